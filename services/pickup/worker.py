"""The pick-up worker: projects pick-up points, routes and decides compartment
reservations, projects parcels and expires the ones not collected in time.

| agent | consumes | does |
|---|---|---|
| project_points | pickup.points | point read models and GEO index |
| route_orders | orders.orders | copies OrderPlaced/Rejected/Cancelled/Expired to pickup.reservation-requests by point |
| decide_compartments | pickup.reservation-requests | CompartmentReserved/Rejected/Released on pickup.reservations |
| project_parcels | pickup.parcels | parcel projection; frees compartments of collected and expired parcels |
| deposit_deliveries | logistics.tours | a driver's DELIVERED stop deposits its orders' parcels (ParcelDeposited), not one at the hub |
| expire_parcels (timer, leader only) | Redis due index | ParcelExpired on pickup.parcels |

    python -m services.pickup.worker
"""

from __future__ import annotations

import logging

from nahnetz.events import Event, now_utc
from nahnetz.kit.settings import Settings, load_settings
from nahnetz.messaging.faust_app import QUICK_FETCH_WAIT_MS, WorkerApp, create_worker_app, run_worker
from nahnetz.records import PickupPointRegistered, PickupPointUpdated
from nahnetz.topics import (
    LOGISTICS_TOURS,
    ORDERS_ORDERS,
    PICKUP_PARCELS,
    PICKUP_POINTS,
    PICKUP_RESERVATION_REQUESTS,
)

from .handlers import expiry, orders, parcels, points, reservations, tour_deliveries
from .settings import PickupSettings, load_pickup_settings

log = logging.getLogger(__name__)

SERVICE = "pickup"


def build_app(settings: Settings | None = None, *, pickup: PickupSettings | None = None,
              app_id: str | None = None) -> WorkerApp:
    settings = settings or load_settings()
    pickup = pickup or load_pickup_settings(settings)
    app = create_worker_app(SERVICE, settings, app_id=app_id or pickup.app_id,
                            fetch_wait_ms=QUICK_FETCH_WAIT_MS)

    @app.event_agent(PICKUP_POINTS)
    async def project_points(event: PickupPointRegistered | PickupPointUpdated) -> None:
        await points.project_point(event, app.redis)

    @app.event_agent(ORDERS_ORDERS)
    async def route_orders(event: Event) -> None:
        await orders.route_order_event(event, app.redis, app.event_producer)

    @app.event_agent(PICKUP_RESERVATION_REQUESTS)
    async def decide_compartments(event: Event) -> None:
        await reservations.handle_reservation_request(event, app.redis, app.event_producer)

    @app.event_agent(PICKUP_PARCELS)
    async def project_parcels(event: Event) -> None:
        await parcels.handle_parcel_event(event, app.redis, app.event_producer)

    @app.event_agent(LOGISTICS_TOURS)
    async def deposit_deliveries(event: Event) -> None:
        await tour_deliveries.deposit_delivered_orders(event, app.redis, app.event_producer, pickup, now_utc())

    @app.timer(pickup.expiry_scan_seconds, on_leader=True, name=f"{SERVICE}.expire_parcels")
    async def expire_parcels() -> None:
        try:
            expired = await expiry.expire_due_parcels(app.redis, app.event_producer, now_utc())
        except Exception:
            # The next run tries again; a parcel leaves the due index only once its event is out.
            log.exception("expiring parcels failed")
            return
        if expired:
            log.info("expired %d parcel(s)", len(expired), extra={"order_ids": expired})

    return app


if __name__ == "__main__":
    run_worker(build_app())
