"""What the pick-up integration tests send the service: the orders service's
OrderPlaced with lines of a temperature class and volume, a locker to register, and
dispatch's TourDispatched that brings orders to their point.
Its worker, topic readers and waiting are the test kit's (`nahnetz.testing`)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timezone
from typing import Any

from nahnetz.events import new_event
from nahnetz.records import Money, OrderLine, OrderPlaced, TourDispatched


def money(cents: int) -> Money:
    return Money(amount_cents=cents)


def line(temperature: str, volume_ml: int, quantity: int = 1, product: str | None = None,
         shop: str = "shop-test") -> OrderLine:
    return OrderLine(product_id=product or f"p-{uuid.uuid4().hex[:8]}", shop_id=shop, product_name="Ware",
                     unit="Stück", quantity=quantity, unit_price=money(250), vat_rate_bp=700,
                     temperature_class=temperature, weight_g=500 * quantity, volume_ml=volume_ml)


def order_placed(order_id: str, point_id: str, day: date, lines: list[OrderLine], resident: str = "r-1"
                 ) -> OrderPlaced:
    return new_event(OrderPlaced, producer="orders-api", order_id=order_id, resident_id=resident,
                     lines=lines, pickup_point_id=point_id, delivery_day=day, payment_method="SIMULATED",
                     channel="WEB", delivery_fee=money(290), total=money(290 + 250 * len(lines)))


def locker_body(point_id: str, compartments: list[tuple[str, str, int]], *, lat: float = 51.775,
                lon: float = 9.383, name: str = "Pick-up-Point HX Test") -> dict[str, Any]:
    """compartments: (id, temperature class, litres)."""
    return {
        "pickup_point_id": point_id, "kind": "LOCKER", "name": name,
        "address": {"street": "Am Markt 1", "postal_code": "37671", "locality": "Höxter"},
        "location": {"lat": lat, "lon": lon}, "municipality": "Höxter",
        "compartments": [{"compartment_id": cid, "label": cid, "size": "M", "temperature_class": temp,
                          "volume_ml": litres * 1000} for cid, temp, litres in compartments],
        "access_note": "neben dem Rathauseingang",
    }


def tour_to(point_id: str, day: date, order_ids: list[str], driver_id: str) -> TourDispatched:
    """A tour of `driver_id` that unloads the orders at the pick-up point (its last stop)."""
    eta = int(datetime.combine(day, time(12), tzinfo=timezone.utc).timestamp() * 1000)
    unload = [{"shipment_id": f"s-{order_id}", "order_id": order_id, "action": "UNLOAD", "shop_id": "shop-test",
               "pickup_point_id": point_id} for order_id in order_ids]
    return new_event(
        TourDispatched, producer="dispatch-api", tour_id=f"tour-{uuid.uuid4().hex[:10]}", plan_id="plan-test",
        day=day, driver_id=driver_id, vehicle_id="van-test",
        stops=[{"kind": "DELIVERY", "place_id": point_id, "location": {"lat": 51.7, "lon": 9.3}, "eta": eta,
                "load_g": 0, "load_ml": 0, "shipment_ids": [u["shipment_id"] for u in unload],
                "consignments": unload}])


def tour_bringing(point_id: str, day: date, parts: list[tuple[str, str]], driver_id: str) -> TourDispatched:
    """A tour of `driver_id` that unloads the given parts of orders, (order id, shop id) each
    one shipment, at the pick-up point (its last stop)."""
    eta = int(datetime.combine(day, time(12), tzinfo=timezone.utc).timestamp() * 1000)
    unload = [{"shipment_id": f"s-{order_id}-{shop_id}", "order_id": order_id, "action": "UNLOAD",
               "shop_id": shop_id, "pickup_point_id": point_id} for order_id, shop_id in parts]
    return new_event(
        TourDispatched, producer="dispatch-api", tour_id=f"tour-{uuid.uuid4().hex[:10]}", plan_id="plan-test",
        day=day, driver_id=driver_id, vehicle_id="van-test",
        stops=[{"kind": "DELIVERY", "place_id": point_id, "location": {"lat": 51.7, "lon": 9.3}, "eta": eta,
                "load_g": 0, "load_ml": 0, "shipment_ids": [u["shipment_id"] for u in unload],
                "consignments": unload}])
