"""The pick-up API: register points, find them, deposit and collect parcels.

| method | path | roles | answers |
|---|---|---|---|
| POST | /v1/pickup-points | operator, admin | 202 (PickupPointRegistered), 409 id taken, 422 |
| PUT | /v1/pickup-points/{id} | operator, admin | 202 (PickupPointUpdated), 404, 422 |
| GET | /v1/pickup-points/near?lat=&lon=&day=&radius_km=&temperature= | any | 200 |
| GET | /v1/pickup-points/{id}?day= | any | 200, 404 |
| GET | /v1/pickup-points/{id}/occupancy?day= | operator, admin, driver, municipality | 200, 404 |
| POST | /v1/pickup-points/{id}/collect | resident, shop (host counter), operator, admin | 201 (ParcelCollected), 403 wrong code, 404, 409 collected, 410 expired, 423 locked, 429 |
| POST | /v1/parcels/{order_id}/deposit | driver, operator, admin | 201 (ParcelDeposited), 404, 409, 422 |
| GET | /v1/parcels/{order_id} | driver, operator, admin | 200, 404 |

    python -m services.pickup.api
"""

from __future__ import annotations

from fastapi import FastAPI

from nahnetz.kit.api import create_api, serve
from nahnetz.kit.settings import Settings, load_settings

from .routes import parcels_router, points_router
from .settings import PickupSettings, load_pickup_settings


def create_app(settings: Settings | None = None, pickup: PickupSettings | None = None) -> FastAPI:
    settings = settings or load_settings()
    pickup = pickup or load_pickup_settings(settings)
    app = create_api(settings, title="Nahnetz pick-up", routers=[points_router(), parcels_router()],
                     publishes=True,
                     description="Lockers and staffed counters: find them, deposit and collect parcels.")
    app.state.pickup = pickup
    return app


if __name__ == "__main__":
    serve(create_app)
