"""The orders service: a resident's basket across shops, from placement to collection.

Entry points: `api.py` (FastAPI, routes in routes.py) and `worker.py` (Faust).
- domain/      pure rules: booking days, validation and pricing, status lifecycle,
               the saga, parcel events, packing lists, notices
- commands.py  what the API does for a POST (validate, publish)
- queries.py   what the API reads (the worker's read models)
- handlers.py  what the worker does with each event (atomic with processed markers)
- order_events.py, outbox.py   the events the worker publishes, once
- timeout_gate.py  when the worker may reject overdue orders (after catching up)
- keys.py, store.py            the Redis keys (all `orders:`) and their JSON values
- config.py    ORDERS_* settings; rebuild.py: rebuild the state from the topics

Topics: writes orders.orders and notify.requests; reads catalog.products,
pickup.points, orders.orders, catalog.stock-reservations, pickup.reservations,
pickup.parcels. Tests: tests/unit/test_orders_*.py, tests/integration/test_orders*.py.
"""
