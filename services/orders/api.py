"""The orders API: `python -m services.orders.api` (or uvicorn's --factory create_app).

Routes (routes.py), all under /v1 with a bearer token:
  POST /v1/orders                        resident, operator, admin   202 / 401 403 422
  GET  /v1/orders/{order_id}             resident (own), operator, admin   200 / 404
  GET  /v1/orders?resident_id=           resident (own), operator, admin   200 / 403
  GET  /v1/me/orders                     resident   200
  POST /v1/orders/{order_id}/cancel      resident (own), operator, admin   202 / 404 409
  GET  /v1/shops/{shop_id}/packing-list?day=   shop (own), operator, admin   200 / 403 422
  GET  /v1/delivery-days                 anyone signed in   200
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import datetime, timezone
from typing import AsyncIterator, Callable

from fastapi import FastAPI

from nahnetz.kit.api import create_api, serve
from nahnetz.kit.settings import Settings, load_settings
from nahnetz.messaging.producer import EventProducer

from .config import OrdersSettings
from .routes import router


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def create_app(settings: Settings | None = None, *, orders_settings: OrdersSettings | None = None,
               clock: Callable[[], datetime] = utc_now) -> FastAPI:
    settings = settings or load_settings()

    @asynccontextmanager
    async def producer(app: FastAPI) -> AsyncIterator[None]:
        started = EventProducer.from_settings(settings, client_id=f"{settings.service}-api")
        await started.start()
        app.state.producer = started
        try:
            yield
        finally:
            app.state.producer = None
            await started.stop()

    app = create_api(settings, title="Nahnetz orders", routers=[router], lifespans=[producer],
                     description="One basket across the region's shops, delivered to a pick-up point.")
    app.state.orders_settings = orders_settings or OrdersSettings()
    app.state.clock = clock
    app.state.producer = None
    return app


if __name__ == "__main__":
    serve(create_app)
