"""What tests/integration/test_catalog.py sends the catalog: tokens of who acts, shop
profiles and product listings for its API, and the order events the orders service
would publish. Its processes, topic readers and waiting are the test kit's
(`nahnetz.testing`)."""

from __future__ import annotations

import asyncio
import uuid
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, AsyncIterator

from nahnetz.clock import today_in_berlin
from nahnetz.events import new_event
from nahnetz.kit.auth import issue_token
from nahnetz.records import Money, OrderLine, OrderPlaced, OrderRejected
from nahnetz.testing import ApiProcess, WorkerProcess

SECRET = "catalog-integration-secret-long-enough-for-hs256"


@asynccontextmanager
async def catalog_processes(prefix: str, bootstrap: str, redis_url: str,
                            run_dir: Path) -> AsyncIterator[tuple[ApiProcess, WorkerProcess]]:
    """The catalog's API and worker (a consumer group of its own) as processes, started
    side by side and stopped on the way out."""
    app_id = f"{prefix}-{uuid.uuid4().hex[:8]}"
    where = {"bootstrap": bootstrap, "redis_url": redis_url, "run_dir": run_dir,
             "env": {"NAHNETZ_JWT_SECRET": SECRET}}
    api = ApiProcess("catalog", name=f"{app_id}-api", **where)
    worker = WorkerProcess("catalog", app_id=app_id, name=f"{app_id}-worker", **where)
    try:
        api.launch()
        worker.launch()
        await asyncio.gather(api.wait_ready(), worker.wait_ready())
        yield api, worker
    finally:
        api.stop()
        worker.stop()


# -- tokens and builders ----------------------------------------------------------------------
def operator_token(user: str = "op-anna") -> str:
    return issue_token(SECRET, user, "operator")


def shop_token(shop_id: str) -> str:
    return issue_token(SECRET, f"user-{shop_id}", "shop", shop_id=shop_id)


def resident_token(user: str = "res-karl") -> str:
    return issue_token(SECRET, user, "resident")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def shop_profile(shop_id: str, name: str, municipality: str, lat: float, lon: float, **extra: Any) -> dict:
    return {"shop_id": shop_id, "name": name, "kind": "FARM", "municipality": municipality,
            "address": {"street": "Hauptstraße 1", "postal_code": "33034", "locality": municipality},
            "location": {"lat": lat, "lon": lon},
            "opening_hours": {"intervals": [{"weekday": "MONDAY", "opens": "08:00", "closes": "12:30"},
                                            {"weekday": "SATURDAY", "opens": "08:00", "closes": "12:00"}]},
            "contact": {"person": "Maria Meier", "phone": "+49 5272 123456"}, **extra}


def product_listing(name: str, *, stock: int = 10, price_cents: int = 449, category: str = "DAIRY_EGGS",
                    **extra: Any) -> dict:
    return {"name": name, "unit": "200 g", "price_cents": price_cents, "vat_rate_bp": 700, "stock": stock,
            "category": category, "temperature_class": "CHILLED", "weight_g": 200, "volume_ml": 250, **extra}


def order_placed(order_id: str, lines: list[tuple[str, str, int]], *,
                 pickup_point_id: str = "pp-brakel") -> OrderPlaced:
    """An OrderPlaced as the orders API writes it; lines are (product_id, shop_id, quantity)."""
    def line(product_id: str, shop_id: str, quantity: int) -> OrderLine:
        return OrderLine(product_id=product_id, shop_id=shop_id, product_name=f"Ware {product_id[-6:]}",
                         unit="Stück", quantity=quantity, unit_price=Money(amount_cents=100), vat_rate_bp=700,
                         weight_g=100 * max(quantity, 1), volume_ml=100 * max(quantity, 1))

    total = sum(100 * q for _, _, q in lines) + 290
    return new_event(OrderPlaced, producer="orders-api", order_id=order_id, resident_id="res-karl",
                     lines=[line(*l) for l in lines], pickup_point_id=pickup_point_id,
                     delivery_day=today_in_berlin() + timedelta(days=2), channel="WEB",
                     delivery_fee=Money(amount_cents=290), total=Money(amount_cents=total))


def order_rejected(placed: OrderPlaced, reason: str = "NO_COMPARTMENT") -> OrderRejected:
    return new_event(OrderRejected, producer="orders-worker", caused_by=placed, order_id=placed.order_id,
                     reason=reason)
