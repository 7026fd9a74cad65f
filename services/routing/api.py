"""The routing API: the logistics operator asks for tours and sees the plans.

| method | path | roles | answers |
|---|---|---|---|
| POST | /v1/plans | operator, admin | 202 (RoutePlanRequested; plan_id and status URL), 422 bad day, vehicles, budget or replan_of, 503 broker away (Retry-After) |
| GET | /v1/plans?day= | operator, admin | 200 summaries of the day's plans (day defaults to today, Europe/Berlin) |
| GET | /v1/plans/{plan_id} | operator, admin | 200 status PENDING / PLANNED / FAILED with tours, figures and dropped jobs; 404 |

POST body: `{"day": "2026-11-24", "vehicles": [{"vehicle_id": "van-hx-1"}, ...],
"time_budget_s": 10, "replan_of": null}`; without vehicles the region's fleet
plans, with its shifts (local time) turned into UTC for the day. Send an
Idempotency-Key to make retries safe.

    python -m services.routing.api
"""

from __future__ import annotations

from fastapi import FastAPI

from nahnetz.kit.api import create_api, serve
from nahnetz.kit.settings import Settings, load_settings

from .routes import plans_router
from .settings import RoutingSettings, load_routing_settings


def create_app(settings: Settings | None = None, routing: RoutingSettings | None = None) -> FastAPI:
    settings = settings or load_settings()
    routing = routing or load_routing_settings()
    app = create_api(settings, title="Nahnetz routing", routers=[plans_router()], publishes=True,
                     description="Tours for the hub's vans, planned with OR-Tools.")
    app.state.routing = routing
    return app


if __name__ == "__main__":
    serve(create_app)
