"""The orders worker: `python -m services.orders.worker`.

Agents (handlers.py does the work):
  catalog.products            -> project_product (prices and shops for new orders)
  pickup.points               -> project_pickup_point
  orders.orders               -> apply_order_event (view, history, saga start/close, notices)
  catalog.stock-reservations  -> apply_stock_decision (the saga)
  pickup.reservations         -> apply_compartment_decision (the saga)
  pickup.parcels              -> apply_parcel_event (ready, collected, expired)
  timer                       -> reject_overdue_orders (TIMEOUT)
Publishes to orders.orders (OrderConfirmed, OrderRejected, OrderReadyForPickup,
OrderCollected, OrderExpired) and notify.requests (NotificationRequested).
"""

from __future__ import annotations

import logging
import time

from nahnetz.events import Event
from nahnetz.kit.settings import Settings, load_settings
from nahnetz.messaging.faust_app import WorkerApp, create_worker_app, run_worker
from nahnetz.messaging.worker_health import group_state
from nahnetz.topics import (CATALOG_PRODUCTS, CATALOG_STOCK_RESERVATIONS, ORDERS_ORDERS, PICKUP_PARCELS,
                            PICKUP_POINTS, PICKUP_RESERVATIONS)

from . import handlers
from .config import OrdersSettings
from .timeout_gate import TimeoutGate

log = logging.getLogger(__name__)


def build_app(settings: Settings | None = None, orders_settings: OrdersSettings | None = None) -> WorkerApp:
    settings = settings or load_settings()
    config = orders_settings or OrdersSettings()
    app = create_worker_app("orders", settings, app_id=config.app_id)

    @app.event_agent(CATALOG_PRODUCTS)
    async def project_products(event: Event) -> None:
        await handlers.project_product(event, app.redis)

    @app.event_agent(PICKUP_POINTS)
    async def project_pickup_points(event: Event) -> None:
        await handlers.project_pickup_point(event, app.redis)

    @app.event_agent(ORDERS_ORDERS)
    async def lifecycle(event: Event) -> None:
        await handlers.apply_order_event(event, app.redis, app.event_producer,
                                         saga_timeout_s=config.saga_timeout_seconds)

    @app.event_agent(CATALOG_STOCK_RESERVATIONS)
    async def stock_decisions(event: Event) -> None:
        await handlers.apply_stock_decision(event, app.redis, app.event_producer)

    @app.event_agent(PICKUP_RESERVATIONS)
    async def compartment_decisions(event: Event) -> None:
        await handlers.apply_compartment_decision(event, app.redis, app.event_producer)

    @app.event_agent(PICKUP_PARCELS)
    async def parcels(event: Event) -> None:
        await handlers.apply_parcel_event(event, app.redis, app.event_producer)

    # After a start or a rebalance the answer agents first catch up on what came
    # meanwhile; deadlines that passed while nobody consumed must not win over
    # answers waiting in the topics.
    gate = TimeoutGate(grace_s=config.saga_timeout_seconds)

    @app.timer(config.timeout_scan_seconds)
    async def reject_overdue_orders() -> None:
        try:
            state = group_state(app, app.source_topics)
            if not gate.open(state.settled_once and not state.rebalancing, time.monotonic()):
                return
            await handlers.reject_overdue_orders(app.redis, app.event_producer)
        except Exception:  # Redis or the broker away: the next tick tries again
            log.exception("scanning saga deadlines failed")

    return app


if __name__ == "__main__":
    run_worker(build_app())
