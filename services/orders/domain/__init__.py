"""The orders domain: pure rules and state machines, no Kafka, Redis or HTTP.

- `booking`: which delivery days can be booked (cut-off, horizon).
- `collection_days`: which days a shop's goods can make (its opening hours, the hub's rule).
- `listings`: what the orders service knows of products, shops and pick-up points.
- `placement`: validating and pricing a new order.
- `lifecycle`: an order's status, its history and the allowed transitions.
- `saga`: joining the stock and compartment answers into a decision.
- `parts`: an order's parts (one per shop) and their days; a moved shipment.
- `parcels`: turning parcel events into order events, once each.
- `packing_list`: what a shop packs for a day.
- `notices`: what the resident is told, and when; `move_notice`: when a part moves.
- `timeout_gate`: when overdue orders may be rejected (after catching up).

Events come in and go out as the typed records of `nahnetz.records` (OrderPlaced,
OrderLine, StockRejected, ...): the domain takes them as they are.
"""
