"""The hub worker: confirmed orders become shipments, drivers' reports move them,
and the hub's read model follows its own topic.

| agent | consumes | does |
|---|---|---|
| project_shops | catalog.shops | shop locations and opening hours; retries orders waiting for the shop |
| project_points | pickup.points | pick-up point locations and opening hours; retries waiting orders |
| follow_orders | orders.orders | OrderPlaced lines, OrderConfirmed -> ShipmentRequested per shop, OrderCancelled -> withdrawn |
| follow_tours | logistics.tours | StopCompleted -> ShipmentCollected / ShipmentAtHub / ShipmentDelivered; missed collections requested again |
| project_shipments | logistics.shipments | the read model the API answers from |

    python -m services.hub.worker
"""

from __future__ import annotations

from nahnetz.events import Event
from nahnetz.kit.settings import Settings, load_settings
from nahnetz.messaging.faust_app import WorkerApp, create_worker_app, run_worker
from nahnetz.messaging.handling import RetryPolicy
from nahnetz.regions import load_region
from nahnetz.topics import CATALOG_SHOPS, LOGISTICS_SHIPMENTS, LOGISTICS_TOURS, ORDERS_ORDERS, PICKUP_POINTS

from .handlers import orders, places, requests, shipments, tours
from .settings import HubSettings, load_hub_settings

SERVICE = "hub"


def build_app(settings: Settings | None = None, *, hub: HubSettings | None = None,
              app_id: str | None = None) -> WorkerApp:
    settings = settings or load_settings()
    hub = hub or load_hub_settings()
    rules = hub.rules
    hub_id = load_region(hub.region).hub.id
    app = create_worker_app(SERVICE, settings, app_id=app_id or hub.app_id)

    @app.event_agent(CATALOG_SHOPS)
    async def project_shops(event: Event) -> None:
        waiting = await places.project_shop(event, app.redis)
        await requests.retry_waiting_orders(app.redis, app.event_producer, waiting, rules)

    @app.event_agent(PICKUP_POINTS)
    async def project_points(event: Event) -> None:
        waiting = await places.project_point(event, app.redis)
        await requests.retry_waiting_orders(app.redis, app.event_producer, waiting, rules)

    @app.event_agent(ORDERS_ORDERS)
    async def follow_orders(event: Event) -> None:
        await orders.on_order_event(event, app.redis, app.event_producer, rules)

    # A report may run ahead of the order it concerns (see handlers/tours.py): wait for it
    # longer than the default retries, about half a minute, before dead-lettering.
    @app.event_agent(LOGISTICS_TOURS, retry=RetryPolicy(attempts=8, first_delay=0.5, max_delay=10.0))
    async def follow_tours(event: Event) -> None:
        await tours.on_tour_event(event, app.redis, app.event_producer, hub_id=hub_id, rules=rules)

    @app.event_agent(LOGISTICS_SHIPMENTS)
    async def project_shipments(event: Event) -> None:
        await shipments.project_shipment_event(event, app.redis)

    return app


if __name__ == "__main__":
    run_worker(build_app())
