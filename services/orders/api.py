"""The orders API: `python -m services.orders.api` (or uvicorn's --factory create_app).

Routes (routes.py), all under /v1 with a bearer token:
  POST /v1/orders                        resident, operator, admin   202 / 401 403 422 503
  GET  /v1/orders/{order_id}             resident (own), operator, admin   200 / 404
  GET  /v1/orders?resident_id=           resident (own), operator, admin   200 / 403
  GET  /v1/me/orders                     resident   200
  POST /v1/orders/{order_id}/cancel      resident (own), operator, admin   202 / 404 409 503
  GET  /v1/shops/{shop_id}/packing-list?day=   shop (own), operator, admin   200 / 403 422
  GET  /v1/delivery-days                 anyone signed in   200
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from fastapi import FastAPI

from nahnetz.clock import utc_now
from nahnetz.kit.api import create_api, serve
from nahnetz.kit.settings import Settings, load_settings

from .routes import router
from .settings import OrdersSettings


def create_app(settings: Settings | None = None, *, orders_settings: OrdersSettings | None = None,
               clock: Callable[[], datetime] = utc_now) -> FastAPI:
    settings = settings or load_settings()
    app = create_api(settings, title="Nahnetz orders", routers=[router], publishes=True,
                     description="One basket across the region's shops, delivered to a pick-up point.")
    app.state.orders_settings = orders_settings or OrdersSettings()
    app.state.clock = clock
    return app


if __name__ == "__main__":
    serve(create_app)
