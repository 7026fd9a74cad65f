"""The orders domain: pure rules and state machines, no Kafka, Redis or HTTP.

- `booking`: which delivery days can be booked (cut-off, horizon).
- `listings`: what the orders service knows of products and pick-up points.
- `placement`: validating and pricing a new order.
- `lifecycle`: an order's status, its history and the allowed transitions.
- `saga`: joining the stock and compartment answers into a decision.
- `parcels`: turning parcel events into order events, once each.
- `packing_list`: what a shop packs for a day.
- `notices`: what the resident is told, and when.
- `timeout_gate`: when overdue orders may be rejected (after catching up).

Events come in and go out as the typed records of `nahnetz.records` (OrderPlaced,
OrderLine, StockRejected, ...): the domain takes them as they are.
"""
