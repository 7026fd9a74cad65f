"""The catalog API: shops and their goods, search, availability.

    python -m services.catalog.api      (NAHNETZ_HTTP_PORT, KAFKA_BOOTSTRAP, REDIS_URL, CATALOG_*)

The routes are in routes.py; the producer for the writes' events comes from
`create_api(..., publishes=True)`.
"""

from __future__ import annotations

from fastapi import FastAPI

from nahnetz.kit.api import create_api, serve
from nahnetz.kit.body_limit import DEFAULT_MAX_BODY_BYTES
from nahnetz.kit.settings import Settings, load_settings

from .routes import products, shops
from .settings import load_catalog_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    catalog = load_catalog_settings()
    # A CSV import is the one large body an API takes; its route names the limit in German too.
    app = create_api(settings, title="Nahnetz catalog", routers=[shops, products], publishes=True,
                     description="Shops, farms and market stalls list their goods; residents find them.",
                     max_body_bytes=max(DEFAULT_MAX_BODY_BYTES, catalog.import_max_bytes + 1024))
    app.state.catalog = catalog
    return app


if __name__ == "__main__":
    serve(create_app)
