"""The orders worker's handlers: events in, Redis state and events out.

Each takes its dependencies as arguments (Redis, the producer, a clock) and the
typed event of its topic. A handler that decides does it through the kit's
`Outbox`: the state change and the events it causes are committed with the
event's processed marker in one Redis step, then published, so a redelivery
publishes nothing and a crash before the publish publishes the same events again.

| module: handler | consumes | does |
|---|---|---|
| products: project_product | catalog.products | keeps orders:product:* (prices, shops, weights) |
| pickup_points: project_pickup_point | pickup.points | keeps orders:pickup-point:* |
| order_events: apply_order_event | orders.orders | view and history; starts and closes the saga; notices |
| stock_decisions: apply_stock_decision | catalog.stock-reservations | a product's answer to the saga |
| compartment_decisions: apply_compartment_decision | pickup.reservations | the compartment answer to the saga |
| timeouts: reject_overdue_orders | (timer) | rejects awaiting orders past their deadline (TIMEOUT) |
| parcels: apply_parcel_event | pickup.parcels | OrderReadyForPickup / OrderCollected / OrderExpired, once each |
| shops: project_shop | catalog.shops | keeps orders:shop:* (opening hours: which days an order may book) |
| shipments: apply_shipment_event | logistics.shipments | OrderDeliveryMoved when the hub moves a part, once |
| commands: place_order, cancel_order | (the API) | validate, publish OrderPlaced / OrderCancelled |

Shared: `store` (the JSON values in Redis), `events_out` (the events published,
with derived ids), `answers` (recording a saga answer, for both answer topics).
"""
