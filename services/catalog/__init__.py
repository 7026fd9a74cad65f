"""The catalog service: shops, their goods, search, and the stock decisions of the order flow.

Entry points:
- `python -m services.catalog.api`      FastAPI (routes.py): /v1/shops, /v1/products
- `python -m services.catalog.worker`   Faust: stock decisions, read models
- `python -m services.catalog.rebuild --yes`  replay catalog.shops / catalog.products into the read models

Topics it owns (writes): catalog.shops, catalog.products (the API's commands; the
worker's delistings of a closed shop), catalog.stock-requests (order events re-keyed
by product), catalog.stock-reservations (StockReserved / StockRejected / StockReleased /
StockSold).
Topics it reads: orders.orders, catalog.stock-requests, catalog.products, catalog.shops.

- `domain/`    pure rules: money, CSV import, listings, shops, stock, search tokens
- `handlers/`  one module per incoming event family, and `commands` for the API's writes
- `queries.py` what the API reads; `keys.py` every Redis key; `settings.py` CATALOG_*
Tests: tests/unit/test_catalog_*.py, tests/integration/test_catalog.py
"""
