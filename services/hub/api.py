"""The hub API: what the logistics operator sees of the hub's shipments.

| method | path | roles | answers |
|---|---|---|---|
| GET | /v1/hub/stock?day= | operator, admin | 200 (day defaults to today, Europe/Berlin), 422 bad day |
| GET | /v1/shipments?day=&status=&pickup_point_id= | operator, admin | 200, 422 bad status or day |
| GET | /v1/shipments/{shipment_id} | operator, admin | 200, 404 |

Shipments are created by the hub worker from confirmed orders (no command here);
every answer comes from the read model the worker projects from logistics.shipments.

    python -m services.hub.api
"""

from __future__ import annotations

from fastapi import FastAPI

from nahnetz.kit.api import create_api, serve
from nahnetz.kit.settings import Settings, load_settings

from .routes import hub_router


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    return create_api(settings, title="Nahnetz hub", routers=[hub_router()],
                      description="Logistikport HX: shipments from shops to pick-up points, and the hub's stock.")


if __name__ == "__main__":
    serve(create_app)
