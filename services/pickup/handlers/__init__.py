"""What applies events and commands to the pick-up domain, Redis and Kafka.

Each function takes its dependencies (Redis client, event producer, settings) as
arguments; the worker's agents and the API's routes only call them.

One module per incoming event family:
- `points`: pickup.points -> the point read models and the GEO index.
- `orders`: orders.orders -> copies to pickup.reservation-requests, keyed by pick-up point.
- `reservations`: pickup.reservation-requests -> compartment decisions (the worker owning the point).
- `parcels`: pickup.parcels -> the parcel projection; frees the compartments of collected and expired parcels.
- `tour_deliveries`: logistics.tours -> a delivered stop deposits its orders' parcels.

What the API's writes become (`commands`), and the parcel steps both sides use:
- `deposits`: depositing a parcel (the terminal's deposit and a delivered stop).
- `collection`: opening a parcel with its code, counting wrong codes, announcing a lock.
- `code_attempts`: the rate limits of code attempts.
- `expiry`: the expiry job (a worker timer).
"""
