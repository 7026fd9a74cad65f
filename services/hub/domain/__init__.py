"""The hub's pure logic: no Kafka, Redis, HTTP or Faust. It takes the typed
records of `nahnetz.records` (OrderPlaced, OpeningHours, Stop, ...) as they come.

- `opening_hours`: weekly local opening hours -> UTC windows of a day (DST-safe)
- `places`: shops and pick-up points as the hub knows them
- `shipments`: a confirmed order -> one shipment per shop, collection rules, rescheduling
- `progress`: what a driver's report at a stop means for its shipments
- `stock`: shipment statuses and the hub's stock by destination
"""
