"""The hub worker's handlers: each applies one kind of event to Redis (and
publishes what the hub decides), taking its dependencies as arguments.

- `places`: shops and pick-up points (catalog.shops, pickup.points)
- `orders`: placed, confirmed and cancelled orders (orders.orders)
- `requests`: the decision "request this shop's shipment", once per shipment and attempt
- `tours`: drivers' reports (logistics.tours) -> shipment events
- `shipments`: the read model, projected from the hub's own logistics.shipments
- `queries`: the API's answers from the read model
"""
