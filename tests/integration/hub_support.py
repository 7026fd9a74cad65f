"""What the hub integration tests play of the other services: their events (shops,
pick-up points, orders, tours) and an operator's token. Worker processes, topic readers,
API clients and waiting are the test kit's, `nahnetz.testing`."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time as clock, timezone
from typing import Any

from nahnetz.clock import BERLIN
from nahnetz.events import new_event
from nahnetz.kit.auth import issue_token
from nahnetz.kit.settings import DEV_JWT_SECRET
from nahnetz.records import OrderConfirmed, OrderPlaced, PickupPointRegistered, ShopRegistered, TourDispatched


def auth(role: str = "operator", sub: str = "op-test") -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(DEV_JWT_SECRET, sub, role)}"}


# -- upstream events ------------------------------------------------------------------------------------
def unique_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def money(cents: int) -> dict[str, Any]:
    return {"amount_cents": cents, "currency": "EUR"}


def opening_hours(days: tuple[str, ...] = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"),
                  opens: clock = clock(8), closes: clock = clock(18)) -> dict[str, Any]:
    return {"intervals": [{"weekday": d, "opens": opens, "closes": closes} for d in days],
            "closed_on": [], "note": None}


def shop_registered(shop_id: str, *, lat: float = 51.72, lon: float = 9.30,
                    hours: dict | None = None) -> ShopRegistered:
    return new_event(
        ShopRegistered, producer="catalog-api", shop_id=shop_id, name=f"Hofladen {shop_id[-4:]}", kind="FARM",
        address={"street": "Dorfstraße 3", "postal_code": "37671", "locality": "Ottbergen", "country": "DE"},
        location={"lat": lat, "lon": lon}, municipality="Höxter", opening_hours=hours or opening_hours(),
        contact={"person": None, "phone": "+4952711234", "email": None})


def point_registered(point_id: str, *, lat: float = 51.71, lon: float = 9.18,
                     kind: str = "LOCKER") -> PickupPointRegistered:
    return new_event(
        PickupPointRegistered, producer="pickup-api", pickup_point_id=point_id, kind=kind,
        name=f"Pick-up-Point HX {point_id[-4:]}",
        address={"street": "Am Bahnhof 1", "postal_code": "33034", "locality": "Brakel", "country": "DE"},
        location={"lat": lat, "lon": lon}, municipality="Brakel",
        compartments=[{"compartment_id": f"A{i}", "label": f"A{i}", "size": "M", "temperature_class": "AMBIENT",
                       "volume_ml": 45_000, "max_weight_g": None} for i in range(1, 5)])


def order_line(shop_id: str, product_id: str, *, weight_g: int = 800, volume_ml: int = 1500,
               temperature: str = "AMBIENT", quantity: int = 1) -> dict[str, Any]:
    return {"product_id": product_id, "shop_id": shop_id, "product_name": f"Ware {product_id[-4:]}",
            "unit": "Stück", "quantity": quantity, "unit_price": money(250), "vat_rate_bp": 700,
            "temperature_class": temperature, "weight_g": weight_g, "volume_ml": volume_ml}


def order_placed(order_id: str, point_id: str, day: date, lines: list[dict[str, Any]]) -> OrderPlaced:
    return new_event(OrderPlaced, producer="orders-api", order_id=order_id, resident_id="r-test",
                     lines=lines, pickup_point_id=point_id, delivery_day=day, payment_method="SIMULATED",
                     channel="WEB", delivery_fee=money(250), total=money(250 + 250 * len(lines)))


def order_confirmed(placed: OrderPlaced, compartments: list[str]) -> OrderConfirmed:
    return new_event(OrderConfirmed, producer="orders-worker", caused_by=placed, order_id=placed.order_id,
                     pickup_point_id=placed.pickup_point_id, delivery_day=placed.delivery_day,
                     compartment_ids=compartments)


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    """Local wall-clock time in Brakel on `day`, as UTC."""
    return datetime.combine(day, clock(hour, minute), tzinfo=BERLIN).astimezone(timezone.utc)


def tour_dispatched(day: date, vehicle_id: str, stops: list[tuple[str, str, list[str]]]) -> TourDispatched:
    """Dispatch's TourDispatched of a new tour: `stops` as (kind, place, shipment ids), an hour apart from 08:00."""
    return new_event(
        TourDispatched, producer="dispatch-api", tour_id=unique_id("tour"), plan_id="plan-test", day=day,
        driver_id="d-1", vehicle_id=vehicle_id,
        stops=[{"kind": kind, "place_id": place, "location": {"lat": 51.7, "lon": 9.3}, "shipment_ids": ids,
                "eta": utc(day, 8 + i), "load_g": 0, "load_ml": 0} for i, (kind, place, ids) in enumerate(stops)])
