"""The orders worker: `python -m services.orders.worker`.

Agents (each only calls its handler in handlers/):
  catalog.products            -> products.project_product (prices and shops for new orders)
  catalog.shops               -> shops.project_shop (opening hours: which days an order may book)
  pickup.points               -> pickup_points.project_pickup_point
  orders.orders               -> order_events.apply_order_event (view, history, saga start/close, notices)
  catalog.stock-reservations  -> stock_decisions.apply_stock_decision (the saga)
  pickup.reservations         -> compartment_decisions.apply_compartment_decision (the saga)
  pickup.parcels              -> parcels.apply_parcel_event (ready, collected, expired)
  logistics.shipments         -> shipments.apply_shipment_event (a part moved: OrderDeliveryMoved)
  timer (after the group      -> timeouts.reject_overdue_orders (TIMEOUT), for deadlines
  has caught up, TimeoutGate)    behind the answer topics' watermark too (timeout_gate.horizon)
Publishes to orders.orders (OrderConfirmed, OrderRejected, OrderReadyForPickup,
OrderCollected, OrderExpired, OrderDeliveryMoved) and notify.requests (NotificationRequested).
"""

from __future__ import annotations

import logging
import time

from nahnetz.events import Event
from nahnetz.kit.settings import Settings, load_settings
from nahnetz.messaging.faust_app import QUICK_FETCH_WAIT_MS, WorkerApp, create_worker_app, run_worker
from nahnetz.messaging.handling import RetryPolicy
from nahnetz.messaging.worker_health import group_state
from nahnetz.records import (CompartmentHoldMoved, CompartmentRejected, CompartmentReleased, CompartmentReserved,
                             PickupPointRegistered, PickupPointUpdated, StockRejected, StockReleased, StockReserved,
                             StockSold)
from nahnetz.topics import (CATALOG_PRODUCTS, CATALOG_SHOPS, CATALOG_STOCK_RESERVATIONS, LOGISTICS_SHIPMENTS,
                            ORDERS_ORDERS, PICKUP_PARCELS, PICKUP_POINTS, PICKUP_RESERVATIONS)

from .domain.lifecycle import OrderEvent
from .domain.timeout_gate import TimeoutGate, horizon
from .handlers.compartment_decisions import apply_compartment_decision
from .handlers.order_events import apply_order_event
from .handlers.parcels import ParcelEvent, apply_parcel_event
from .handlers.pickup_points import project_pickup_point
from .handlers.products import ProductEvent, project_product
from .handlers.shipments import apply_shipment_event
from .handlers.shops import ShopEvent, project_shop
from .handlers.stock_decisions import apply_stock_decision
from .handlers.timeouts import reject_overdue_orders as reject_overdue
from .settings import OrdersSettings

log = logging.getLogger(__name__)

# Where the saga's answers come from: a deadline is judged only once these are handled past it.
ANSWER_TOPICS = (CATALOG_STOCK_RESERVATIONS.name, PICKUP_RESERVATIONS.name)


def build_app(settings: Settings | None = None, orders_settings: OrdersSettings | None = None) -> WorkerApp:
    settings = settings or load_settings()
    config = orders_settings or OrdersSettings()
    app = create_worker_app("orders", settings, app_id=config.app_id, fetch_wait_ms=QUICK_FETCH_WAIT_MS)

    @app.event_agent(CATALOG_PRODUCTS)
    async def project_products(event: ProductEvent) -> None:
        await project_product(event, app.redis)

    @app.event_agent(CATALOG_SHOPS)
    async def project_shops(event: ShopEvent) -> None:
        await project_shop(event, app.redis)

    @app.event_agent(PICKUP_POINTS)
    async def project_pickup_points(event: PickupPointRegistered | PickupPointUpdated) -> None:
        await project_pickup_point(event, app.redis)

    @app.event_agent(ORDERS_ORDERS)
    async def lifecycle(event: OrderEvent) -> None:
        await apply_order_event(event, app.redis, app.event_producer, saga_timeout_s=config.saga_timeout_seconds)

    @app.event_agent(CATALOG_STOCK_RESERVATIONS)
    async def stock_decisions(event: StockReserved | StockRejected | StockReleased | StockSold) -> None:
        await apply_stock_decision(event, app.redis, app.event_producer)

    @app.event_agent(PICKUP_RESERVATIONS)
    async def compartment_decisions(event: CompartmentReserved | CompartmentRejected | CompartmentReleased
                                    | CompartmentHoldMoved) -> None:
        await apply_compartment_decision(event, app.redis, app.event_producer)

    @app.event_agent(PICKUP_PARCELS)
    async def parcels(event: ParcelEvent) -> None:
        await apply_parcel_event(event, app.redis, app.event_producer)

    # A moved shipment may overtake the order's confirmation (see handlers/shipments.py): wait
    # for it longer than the default retries, about half a minute, before dead-lettering.
    @app.event_agent(LOGISTICS_SHIPMENTS, retry=RetryPolicy(attempts=8, first_delay=0.5, max_delay=10.0))
    async def shipments(event: Event) -> None:
        await apply_shipment_event(event, app.redis, app.event_producer)

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
            now = time.time()
            mine = await app.watermarks(ANSWER_TOPICS, int(now * 1000))
            await reject_overdue(app.redis, app.event_producer, watermarks=mine, clock=lambda: now)
        except Exception:  # Redis or the broker away: the next tick tries again
            # Answers lag behind once they are back: wait the grace period again.
            gate.interrupted()
            log.exception("scanning saga deadlines failed")

    return app


if __name__ == "__main__":
    run_worker(build_app())
