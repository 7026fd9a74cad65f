"""The freight exchange (Hybride Frachtbörse, "kein Raum für Leerfahrten"): trips
driven anyway offer their spare room, loads look for a ride, the worker matches
them (as many loads as possible, then the fewest extra kilometres; OR-Tools CP-SAT),
both sides accept, the load is handed over with a code and delivered with proof.
Every match records the kilometres and CO2 it avoids. The hub's own vans offer the
room left on each leg of their planned tours. Assistants (town hall, shop counter,
phone) offer and post for people without a smartphone; proposals reach them through
notify by SMS, call or letter; the load slip and the weekly board are printable.

Entry points:
- `api.py` (HTTP, `python -m services.freight.api`): trips, loads, answers, hand-over,
  load slip, weekly board; its routes call `handlers/commands.py` and `queries.py`.
- `worker.py` (Faust, `python -m services.freight.worker`): the agents and the matching task.
- `rebuild.py` (`python -m services.freight.rebuild --yes`): the Redis state again from the topics.

Topics it owns (writes): freight.trips, freight.loads, freight.matches; it also writes
NotificationRequested to notify.requests. Topics it reads: freight.trips,
freight.loads, freight.matches, logistics.plans (RoutePlanRequested for the vans'
capacity, RoutePlanned for their tours).

The pure rules live in `domain/`, what applies them to Redis and Kafka in `handlers/`.
"""
