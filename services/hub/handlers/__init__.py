"""The hub worker's handlers: each applies one family of typed events to Redis
(and publishes what the hub decides through the `Outbox`), taking its
dependencies as arguments.

- `places`: shops and pick-up points (catalog.shops, pickup.points)
- `orders`: placed, confirmed and cancelled orders (orders.orders)
- `requests`: the decision "request this shop's shipment", once per shipment and attempt
- `tours`: drivers' reports (logistics.tours) -> shipment events
- `shipments`: the read model, projected from the hub's own logistics.shipments
- `stored`: reading back an event kept packed at a key
"""
