"""The orders service: a resident's basket across shops, from placement to collection.

Entry points: `api.py` (FastAPI, routes in routes.py), `worker.py` (Faust) and
`rebuild.py` (`python -m services.orders.rebuild --yes`).
- domain/       pure rules: booking days, which days shops' goods can make, who orders
                by which channel, validation and pricing, status lifecycle, the saga,
                an order's parts and their days, parcel events, packing lists,
                notices, when timeouts may fire
- handlers/     one module per incoming event family (products, shops, pickup_points,
                order_events, stock_decisions, compartment_decisions, parcels,
                shipments, timeouts)
                through the kit's Outbox, and commands.py for the API's writes
- routes.py, http_models.py   HTTP in and out; queries.py: the read models the API answers from
- keys.py       every Redis key (all `orders:`, and the worker's processed markers)
- settings.py   ORDERS_* settings

Topics: owns orders.orders and writes notify.requests; reads catalog.products,
catalog.shops, pickup.points, orders.orders, catalog.stock-reservations,
pickup.reservations, pickup.parcels, logistics.shipments. Tests:
tests/unit/test_orders_*.py, tests/integration/test_orders*.py.
"""
