"""The dispatch service's handlers: each applies one family of typed events (or
the API's commands) to Redis and causes effects through the kit, taking its
dependencies as arguments.

- `plans`: plan requests, planned tours and failures (logistics.plans)
- `shipments`: ShipmentRequested of each shipment (logistics.shipments)
- `places`: shops and pick-up points as drivers need them (catalog.shops, pickup.points)
- `tours`: the tours' state folded from logistics.tours; TourCompleted once a tour is done
- `commands`: what the API's writes become (dispatch, stop reports, re-plan)
- `routing_client`: the one outgoing HTTP call, to the routing service for a re-plan
- `sheet`: the tour sheet rendered as HTML (Jinja2, `templates/`)
"""
