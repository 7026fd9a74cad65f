"""Hub service (Logistikport HX): turns confirmed orders into shipments, follows
them through the tours and keeps the hub's stock by destination and day.

Entry points:
- `python -m services.hub.worker`: requests one shipment per shop of a confirmed
  order, turns drivers' reports into shipment events, projects the read model
- `python -m services.hub.api`: shipments of a day and the hub's stock, for operators
- `python -m services.hub.rebuild --yes`: clear the projections before a replay

Topics: owns and writes logistics.shipments (ShipmentRequested, ShipmentCollected,
ShipmentAtHub, ShipmentDelivered); reads catalog.shops, pickup.points,
orders.orders, logistics.tours and its own logistics.shipments.
"""
