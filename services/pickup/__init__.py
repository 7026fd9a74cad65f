"""The pick-up service: lockers and staffed counters, compartment reservations per
delivery day, parcel deposit, collection with a code, and expiry.

Entry points: `api.py` (HTTP, `python -m services.pickup.api`) and `worker.py`
(Faust, `python -m services.pickup.worker`). The pure rules live in `domain/`,
what applies them to Redis and Kafka in `handlers/`.
"""
