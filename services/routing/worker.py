"""The routing worker: answers plan requests with OR-Tools tours.

| agent | consumes | does |
|---|---|---|
| plan_requests | logistics.plans | RoutePlanRequested: show PENDING, claim once, solve in the process pool, answer RoutePlanned / RoutePlanFailed through the outbox; outcomes: project the plans' read model |
| project_shipments | logistics.shipments | the shipments plans are made of |
| project_tours | logistics.tours | dispatched tours and drivers' progress, for re-planning |
| project_cancellations | orders.orders | cancelled orders' shipments leave planning |
| recover_plans (timer, leader only) | Redis leases | plans whose worker died: publish what the outbox remembers, or solve again |

The solver runs in a process pool (`ROUTING_SOLVER_PROCESSES`), so the event loop
keeps consuming and answering /readyz during a solve.

    python -m services.routing.worker
"""

from __future__ import annotations

import logging

import mode

from nahnetz.events import Event
from nahnetz.kit.settings import Settings, load_settings
from nahnetz.messaging.faust_app import WorkerApp, create_worker_app, run_worker
from nahnetz.topics import LOGISTICS_PLANS, LOGISTICS_SHIPMENTS, LOGISTICS_TOURS, ORDERS_ORDERS

from .handlers import orders, plans, shipments, tours
from .handlers.plans import Planner
from .handlers.travel import matrix_source
from .settings import RoutingSettings, load_routing_settings

log = logging.getLogger(__name__)

SERVICE = "routing"


def build_app(settings: Settings | None = None, *, routing: RoutingSettings | None = None,
              app_id: str | None = None) -> WorkerApp:
    settings = settings or load_settings()
    routing = routing or load_routing_settings()
    app = create_worker_app(SERVICE, settings, app_id=app_id or routing.app_id)
    planner = Planner(app.redis, app.event_producer, matrix_source(routing.osrm_url, routing.circuity),
                      service_times=routing.service_times, rules=routing.planning_rules,
                      processes=routing.solver_processes,
                      lease_margin_s=routing.lease_margin_s)
    app.planner = planner  # for tests and tools

    @app.event_agent(LOGISTICS_PLANS)
    async def plan_requests(event: plans.PlanEvent) -> None:
        await plans.on_plan_event(event, planner, app.redis)

    @app.event_agent(LOGISTICS_SHIPMENTS)
    async def project_shipments(event: shipments.ShipmentEvent) -> None:
        await shipments.project_shipment(event, app.redis)

    @app.event_agent(LOGISTICS_TOURS)
    async def project_tours(event: tours.TourEvent) -> None:
        await tours.project_tour_event(event, app.redis)

    @app.event_agent(ORDERS_ORDERS)
    async def project_cancellations(event: Event) -> None:
        await orders.project_order_event(event, app.redis)

    @app.timer(routing.recovery_interval_s, on_leader=True, name=f"{SERVICE}.recover_plans")
    async def recover_plans() -> None:
        try:
            resumed = await planner.recover()
        except Exception:
            log.exception("recovering plans failed")  # the next run tries again
            return
        if resumed:
            log.warning("resumed %d plan(s) whose worker stopped", len(resumed), extra={"plan_ids": resumed})

    @app.service
    class SolverPool(mode.Service):
        """Starts the solver processes with the worker and stops them with it."""

        async def on_start(self) -> None:
            self.add_future(planner.warm_up())

        async def on_stop(self) -> None:
            await planner.close()

    return app


if __name__ == "__main__":
    run_worker(build_app())
