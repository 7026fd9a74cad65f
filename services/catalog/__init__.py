"""The catalog service: shops, their goods, search, and the stock decisions of the order flow.

- `api.py`     FastAPI (python -m services.catalog.api): /v1/shops, /v1/products
- `worker.py`  Faust (python -m services.catalog.worker): stock decisions, read models
- `domain/`    pure rules: money, CSV import, stock, search tokens
- `handlers/`  events and commands applied to Redis and Kafka
- `read_models.py`, `keys.py`: what the API reads, and every Redis key
- `rebuild.py` rebuild the read models by replaying catalog.shops and catalog.products
Tests: tests/unit/test_catalog_*.py, tests/integration/test_catalog*.py
"""
