"""The catalog worker: stock decisions and the read models.

    python -m services.catalog.worker     (NAHNETZ_WORKER_PORT, KAFKA_BOOTSTRAP, REDIS_URL, ...)

Agents (one message at a time each, in partition order):
- orders.orders          -> copy OrderPlaced / OrderRejected / OrderCancelled / OrderExpired / OrderCollected
                            to catalog.stock-requests, once per product (key: product_id)
- catalog.stock-requests -> reserve (StockReserved / StockRejected), release (StockReleased) or
                            sell (StockSold, the order was collected)
                            on catalog.stock-reservations (key: order_id)
- catalog.products       -> product read model, search index, stock levels
- catalog.shops          -> shop read model, places; ShopClosed delists the shop's goods

catalog.products and catalog.stock-requests are both keyed by product id with the
same partition count, and Faust assigns equal partitions of co-partitioned topics
to the same worker, so one worker owns a product's reservations and stock
adjustments; the atomic Redis steps keep them exact even during a rebalance.
"""

from __future__ import annotations

from datetime import timedelta

import faust

from nahnetz.events import Event
from nahnetz.kit.settings import Settings, load_settings
from nahnetz.messaging.faust_app import QUICK_FETCH_WAIT_MS, WorkerApp, create_worker_app, run_worker
from nahnetz.topics import CATALOG_PRODUCTS, CATALOG_SHOPS, CATALOG_STOCK_REQUESTS, ORDERS_ORDERS

from .handlers.order_requests import route_order_event
from .handlers.product_projection import ProductEvent, project_product_event
from .handlers.shop_projection import ShopEvent, project_shop_event
from .handlers.stock_decisions import StockRequest, handle_stock_request
from .settings import CatalogSettings, load_catalog_settings

SERVICE = "catalog"


def record_key() -> str:
    """The Kafka key of the record being handled: the product a stock request is for.
    (The request's value is the order event itself, which names all its products.)"""
    current = faust.current_event()
    key = current.message.key if current is not None else None
    if not key:
        raise RuntimeError("a stock request without a record key (the product id)")
    return key.decode() if isinstance(key, (bytes, bytearray)) else str(key)


def build_app(settings: Settings | None = None, catalog: CatalogSettings | None = None) -> WorkerApp:
    settings = settings or load_settings()
    catalog = catalog or load_catalog_settings()
    app = create_worker_app(SERVICE, settings, app_id=catalog.app_id, fetch_wait_ms=QUICK_FETCH_WAIT_MS)
    remember_orders = timedelta(days=catalog.order_products_ttl_days)

    @app.event_agent(ORDERS_ORDERS, name="route_order_events")
    async def route_order_events(event: Event) -> None:
        await route_order_event(event, app.redis, app.event_producer, remember_for=remember_orders)

    @app.event_agent(CATALOG_STOCK_REQUESTS, name="decide_stock")
    async def decide_stock(event: StockRequest) -> None:
        await handle_stock_request(event, record_key(), app.redis, app.event_producer)

    @app.event_agent(CATALOG_PRODUCTS, name="project_products")
    async def project_products(event: ProductEvent) -> None:
        await project_product_event(event, app.redis)

    @app.event_agent(CATALOG_SHOPS, name="project_shops")
    async def project_shops(event: ShopEvent) -> None:
        await project_shop_event(event, app.redis, app.event_producer)

    return app


if __name__ == "__main__":
    run_worker(build_app())
