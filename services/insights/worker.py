"""The insights worker: folds the domain topics into KPI cells per day and pick-up
point, shop, tour, trip or load, in Redis (areas are joined when read).

| agent | consumes | does |
|---|---|---|
| on_orders | orders.orders | orders, items, value, channels, decisions, lead times, collections, expiries |
| on_reservations | pickup.reservations | compartments held per delivery day, refusals for a full point |
| on_points | pickup.points | where each point is, its compartments and hours |
| on_shops | catalog.shops | where each shop is, its hours; shops opened and closed |
| on_products | catalog.products | goods listed and delisted per shop |
| on_tours | logistics.tours | completed tours, km, stops, on-time stops |
| on_plans | logistics.plans | each planned tour's load factor and empty km |
| on_trips, on_loads | freight.trips, freight.loads | trips offered, loads posted, and where they start |
| on_matches | freight.matches | loads matched and delivered, km avoided, compensation |

Each event is folded once per event id (processed markers); events that cannot be
placed go to `<topic>.dlq`. It writes no topic.

    python -m services.insights.worker
"""

from __future__ import annotations

from nahnetz.events import Event
from nahnetz.kit.settings import Settings, load_settings
from nahnetz.messaging.faust_app import WorkerApp, create_worker_app, run_worker
from nahnetz.topics import (
    CATALOG_PRODUCTS, CATALOG_SHOPS, FREIGHT_LOADS, FREIGHT_MATCHES, FREIGHT_TRIPS, LOGISTICS_PLANS, LOGISTICS_TOURS,
    ORDERS_ORDERS, PICKUP_POINTS, PICKUP_RESERVATIONS,
)

from .handlers import events
from .settings import InsightsSettings, load_insights_settings

SERVICE = "insights"


def build_app(settings: Settings | None = None, *, insights: InsightsSettings | None = None,
              app_id: str | None = None) -> WorkerApp:
    settings = settings or load_settings()
    insights = insights or load_insights_settings(settings)
    app = create_worker_app(SERVICE, settings, app_id=app_id or insights.app_id)
    tolerance_s = insights.on_time_tolerance_min * 60

    @app.event_agent(ORDERS_ORDERS)
    async def on_orders(event: Event) -> None:
        await events.handle_order_event(event, app.redis)

    @app.event_agent(PICKUP_RESERVATIONS)
    async def on_reservations(event: Event) -> None:
        await events.handle_reservation_event(event, app.redis)

    @app.event_agent(PICKUP_POINTS)
    async def on_points(event: Event) -> None:
        await events.handle_point_event(event, app.redis)

    @app.event_agent(CATALOG_SHOPS)
    async def on_shops(event: Event) -> None:
        await events.handle_catalog_event(event, app.redis)

    @app.event_agent(CATALOG_PRODUCTS)
    async def on_products(event: Event) -> None:
        await events.handle_catalog_event(event, app.redis)

    @app.event_agent(LOGISTICS_TOURS)
    async def on_tours(event: Event) -> None:
        await events.handle_tour_event(event, app.redis, tolerance_s)

    @app.event_agent(LOGISTICS_PLANS)
    async def on_plans(event: Event) -> None:
        await events.handle_plan_event(event, app.redis)

    @app.event_agent(FREIGHT_TRIPS)
    async def on_trips(event: Event) -> None:
        await events.handle_listing_event(event, app.redis)

    @app.event_agent(FREIGHT_LOADS)
    async def on_loads(event: Event) -> None:
        await events.handle_listing_event(event, app.redis)

    @app.event_agent(FREIGHT_MATCHES)
    async def on_matches(event: Event) -> None:
        await events.handle_match_event(event, app.redis)

    return app


if __name__ == "__main__":
    run_worker(build_app())
