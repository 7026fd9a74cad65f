"""Answers from the read models: points near a place, a point, a day's occupancy, a parcel."""

from __future__ import annotations

from datetime import date
from typing import Any

from redis.asyncio import Redis

from nahnetz.kit.errors import NotFound

from . import keys
from .domain.allocation import free_by_class
from .domain.parcels import compartments_of, from_ms
from .domain.points import PickupPoint
from .handlers.points import load_point

# GEOSEARCH returns this many candidates at most before the day's filters apply.
NEAR_CANDIDATES = 200


async def existing_point(redis: Redis, pickup_point_id: str) -> PickupPoint:
    point = await load_point(redis, pickup_point_id)
    if point is None:
        raise NotFound(f"pick-up point {pickup_point_id} is not known")
    return point


async def occupied(redis: Redis, point_id: str, day: date) -> dict[str, str]:
    return await redis.hgetall(keys.day(point_id, day))


def point_view(point: PickupPoint, day: date | None = None, occupancy: dict[str, str] | None = None) -> dict[str, Any]:
    view = point.to_json()
    if day is not None:
        view["day"] = day.isoformat()
        view["open_on_day"] = point.in_service and point.takes_orders_on(day)
        view["free"] = free_by_class(point.compartments, (occupancy or {}).keys())
    return view


async def near(redis: Redis, *, lat: float, lon: float, radius_km: float, day: date,
               temperature: str | None, limit: int) -> list[dict[str, Any]]:
    """Points within the radius, nearest first, that take orders on `day` and have a
    free compartment (of `temperature`, when given) that day."""
    found = await redis.geosearch(keys.GEO, longitude=lon, latitude=lat, radius=radius_km, unit="km",
                                  sort="ASC", count=NEAR_CANDIDATES, withdist=True)
    answers = []
    for member, distance in found:
        point = await load_point(redis, member)
        if point is None or not point.in_service or not point.takes_orders_on(day):
            continue
        free = free_by_class(point.compartments, (await occupied(redis, point.pickup_point_id, day)).keys())
        if temperature is not None and free.get(temperature, {}).get("free", 0) == 0:
            continue
        if temperature is None and not any(c["free"] for c in free.values()):
            continue
        answers.append({
            "pickup_point_id": point.pickup_point_id, "name": point.name, "kind": point.kind,
            "distance_km": round(float(distance), 3), "location": {"lat": point.lat, "lon": point.lon},
            "address": point.address_line, "municipality": point.municipality,
            "access_note": point.access_note, "day": day.isoformat(), "free": free,
        })
        if len(answers) >= limit:
            break
    return answers


def occupancy_view(point: PickupPoint, day: date, occupancy: dict[str, str], show_orders: bool) -> dict[str, Any]:
    compartments = []
    for c in point.compartments:
        holder = occupancy.get(c.compartment_id)
        entry = {"compartment_id": c.compartment_id, "label": c.label, "size": c.size,
                 "temperature_class": c.temperature_class, "volume_ml": c.volume_ml, "occupied": holder is not None}
        if show_orders:
            entry["order_id"] = holder
        compartments.append(entry)
    used = sum(1 for c in compartments if c["occupied"])
    return {"pickup_point_id": point.pickup_point_id, "day": day.isoformat(), "used": used,
            "total": len(compartments), "by_class": free_by_class(point.compartments, occupancy.keys()),
            "compartments": compartments}


async def parcel_view(redis: Redis, order_id: str) -> dict[str, Any] | None:
    parcel = await redis.hgetall(keys.parcel(order_id))
    if not parcel:
        return None
    return {
        "order_id": order_id, "pickup_point_id": parcel["pickup_point_id"], "status": parcel["status"],
        "compartment_ids": compartments_of(parcel), "deposited_at": parcel.get("deposited_at"),
        "deposited_by": parcel.get("deposited_by"),
        "expires_at": from_ms(parcel["expires_at_ms"]).isoformat(),
        "failed_attempts": int(parcel.get("failed_attempts", 0)), "locked": parcel.get("locked") == "1",
        "stranger_failures": int(parcel.get("stranger_failures", 0)),
        "code_reissues": int(parcel.get("reissues", 0)), "collected_at": parcel.get("collected_at"),
    }
