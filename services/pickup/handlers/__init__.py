"""What applies events and commands to the pick-up domain, Redis and Kafka.

Each function takes its dependencies (Redis client, event producer, settings) as
arguments; the worker's agents and the API's routes only call them.

- `points`: project pickup.points into the point read models and the GEO index.
- `routing`: copy order events to pickup.reservation-requests, keyed by pick-up point.
- `reservations`: decide and release compartments (the worker owning the point).
- `parcels`: deposit, collection with a code, expiry, and the parcel projection.
"""
