"""The dispatch worker: projects what the API needs to build tours, follows the
tours and closes each one when its last stop is reported.

| agent | consumes | does |
|---|---|---|
| project_plans | logistics.plans | plan requests (depot, vehicles), planned tours, failures |
| project_shipments | logistics.shipments | ShipmentRequested: order, compartments, weight, temperature |
| project_shops | catalog.shops | names, addresses and drivers' notes of shops |
| project_points | pickup.points | names, addresses, access notes and compartment labels of pick-up points |
| follow_tours | logistics.tours | the tours' state; TourCompleted once every stop is done or failed |

    python -m services.dispatch.worker
"""

from __future__ import annotations

from nahnetz.events import Event
from nahnetz.kit.settings import Settings, load_settings
from nahnetz.messaging.faust_app import WorkerApp, create_worker_app, run_worker
from nahnetz.topics import CATALOG_SHOPS, LOGISTICS_PLANS, LOGISTICS_SHIPMENTS, LOGISTICS_TOURS, PICKUP_POINTS

from .handlers import places, plans, shipments, tours
from .settings import load_dispatch_settings

SERVICE = "dispatch"


def build_app(settings: Settings | None = None, *, app_id: str | None = None) -> WorkerApp:
    settings = settings or load_settings()
    app = create_worker_app(SERVICE, settings, app_id=app_id or load_dispatch_settings().app_id)

    @app.event_agent(LOGISTICS_PLANS)
    async def project_plans(event: Event) -> None:
        await plans.project_plan(event, app.redis)

    @app.event_agent(LOGISTICS_SHIPMENTS)
    async def project_shipments(event: Event) -> None:
        await shipments.project_shipment(event, app.redis)

    @app.event_agent(CATALOG_SHOPS)
    async def project_shops(event: Event) -> None:
        await places.project_shop(event, app.redis)

    @app.event_agent(PICKUP_POINTS)
    async def project_points(event: Event) -> None:
        await places.project_point(event, app.redis)

    @app.event_agent(LOGISTICS_TOURS)
    async def follow_tours(event: Event) -> None:
        await tours.follow_tour(event, app.redis, app.event_producer)

    return app


if __name__ == "__main__":
    run_worker(build_app())
