"""The pick-up service: lockers and staffed counters, compartment reservations per
delivery day, parcel deposit, collection with a code, and expiry.

Entry points:
- `api.py` (HTTP, `python -m services.pickup.api`): register and find points, deposit and
  collect parcels; its routes call `handlers/commands.py` and `queries.py`.
- `worker.py` (Faust, `python -m services.pickup.worker`): the agents below and the expiry timer.
- `rebuild.py` (`python -m services.pickup.rebuild --yes`): the Redis state again from the topics.

Topics it owns (writes): pickup.points, pickup.reservation-requests (internal: order
events keyed by point), pickup.reservations, pickup.parcels; it also writes
NotificationRequested to notify.requests (the resident's code, the operator's alert).
Topics it reads: pickup.points, orders.orders, pickup.reservation-requests,
pickup.parcels, logistics.tours.

The pure rules live in `domain/`, what applies them to Redis and Kafka in `handlers/`.
"""
