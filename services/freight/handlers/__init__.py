"""What applies events and commands to the freight domain, Redis and Kafka.

Each function takes its dependencies (Redis client, event producer, settings) as
arguments; the worker's agents and the API's routes only call them.

One module per incoming event family:
- `trips`: freight.trips -> trip offers; a withdrawn trip cancels its matches.
- `loads`: freight.loads -> loads; a withdrawn load cancels its match.
- `matches`: freight.matches -> a match's life; the agreement once both sides accepted.
- `hub_tours`: logistics.plans -> the hub tours' spare room as trips.

What the API's writes become (`commands`), and what both sides use:
- `matching`: the matching round (solver in a thread) and its proposals.
- `state`: the JSON documents in Redis and the one writer of a match's state.
- `notices`: NotificationRequested for notify.
- `places`: known places and the travel matrix.
- `printing`: the load slip and the weekly board (Jinja2, `templates/`).
"""
