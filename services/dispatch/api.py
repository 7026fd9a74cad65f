"""The dispatch API: hand planned tours to drivers, show them (also as a printable
sheet), take the drivers' reports from the road, and ask for a re-plan.

| method | path | roles | answers |
|---|---|---|---|
| POST | /v1/tours | operator, admin | 201 (TourDispatched), 404 plan, 409 dispatched already / plan not ready / shipments unknown, 422 |
| GET | /v1/tours?day= | operator, admin | 200 |
| GET | /v1/tours/{tour_id} | driver (own), operator, admin | 200, 404 |
| GET | /v1/tours/{tour_id}/sheet | driver (own), operator, admin | 200 text/html (A4 print), 404, 422 format |
| POST | /v1/tours/{tour_id}/stops/{seq}/arrived | driver (own), operator, admin | 201 (StopCompleted ARRIVED), 404, 409, 422 |
| POST | /v1/tours/{tour_id}/stops/{seq}/collected | driver (own), operator, admin | 201 (StopCompleted COLLECTED), 404, 409, 422 |
| POST | /v1/tours/{tour_id}/stops/{seq}/delivered | driver (own), operator, admin | 201 (StopCompleted DELIVERED), 404, 409 not collected yet, 422 |
| POST | /v1/tours/{tour_id}/stops/{seq}/failed | driver (own), operator, admin | 201 (StopFailed), 404, 409, 422 |
| POST | /v1/tours/{tour_id}/replan | operator, admin | 202 (routing's new plan id), 404, 409, 503 routing away |
| GET | /v1/drivers/me/tours?day= | any (the caller's own tours) | 200 |

Every POST takes an Idempotency-Key. The worker (worker.py) publishes TourCompleted
once every stop is done or failed.

    python -m services.dispatch.api
"""

from __future__ import annotations

from fastapi import FastAPI

from nahnetz.kit.api import create_api, serve
from nahnetz.kit.settings import Settings, load_settings

from .handlers.routing_client import HttpRoutingClient, RoutingClient, RoutingNotConfigured
from .routes import drivers_router, tours_router
from .settings import DispatchSettings, load_dispatch_settings


def create_app(settings: Settings | None = None, dispatch: DispatchSettings | None = None,
               routing: RoutingClient | None = None) -> FastAPI:
    settings = settings or load_settings()
    dispatch = dispatch or load_dispatch_settings(settings.env)
    if routing is None:
        routing = (HttpRoutingClient(dispatch.routing_url, timeout=dispatch.routing_timeout_seconds)
                   if dispatch.routing_url else RoutingNotConfigured())

    app = create_api(settings, title="Nahnetz dispatch", routers=[tours_router(), drivers_router()],
                     publishes=True,
                     description="Tours for drivers: dispatch, tour sheet, reports from each stop, re-planning.")
    app.state.dispatch = dispatch
    app.state.routing = routing
    return app


if __name__ == "__main__":
    serve(create_app)
