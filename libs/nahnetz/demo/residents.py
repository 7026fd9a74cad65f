"""Residents ordering: each looks for goods near home in the catalog, picks the
nearest pick-up point with room that day, and orders one basket across shops —
online, or by phone / at the village counter through an assistant."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass
from datetime import date

from ..regions import Place, Region
from .client import DemoError, Platform
from .seeding import OPERATOR

# Ilzer Land's motto: most order online, many still by phone, at the counter or the market.
CHANNELS = (("WEB", 0.62), ("APP", 0.08), ("PHONE", 0.15), ("COUNTER", 0.10), ("MARKET", 0.05))
PAYMENTS = (("ONLINE", 0.5), ("SIMULATED", 0.2), ("AT_PICKUP", 0.3))
ASSISTED = {"PHONE", "COUNTER", "MARKET"}


@dataclass(frozen=True)
class Resident:
    resident_id: str
    home: Place


@dataclass
class PlacedOrder:
    resident: Resident
    channel: str
    order_id: str | None = None
    pickup_point_id: str | None = None
    refused: str | None = None  # the API's 4xx message, when it refused the order
    accepted_in_s: float = 0.0


def pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def residents(region: Region, count: int, rng: random.Random) -> list[Resident]:
    """People spread over the places by population."""
    places = list(region.places)
    homes = rng.choices(places, [p.population for p in places], k=count)
    return [Resident(f"resident-{i + 1:04d}", home) for i, home in enumerate(homes)]


# Thursday and Friday: the days every shop of the region pack is open, so
# goods are collected on the delivery day itself (the hub's rule).
MARKET_DAYS = (3, 4)


async def delivery_day(platform: Platform) -> date:
    """The first Thursday or Friday the booking rules allow for an order placed now."""
    answer = (await platform.call("orders", "GET", "/v1/delivery-days",
                                  who=platform.token(OPERATOR, "operator"))).json()
    days = [date.fromisoformat(d) for d in answer.get("days", [])]
    if not days:
        raise DemoError(f"the orders service offers no delivery day: {answer}")
    return next((d for d in days if d.weekday() in MARKET_DAYS), days[0])


async def place_orders(platform: Platform, region: Region, day: date, orders: int, seed: int,
                       concurrency: int = 16) -> list[PlacedOrder]:
    rng = random.Random(seed)
    people = residents(region, max(1, orders * 2 // 3), rng)
    plans = [(rng.choice(people), pick(rng, CHANNELS), pick(rng, PAYMENTS), rng.randint(1, 4),
              rng.random()) for _ in range(orders)]
    gate = asyncio.Semaphore(concurrency)

    async def one(plan) -> PlacedOrder:
        async with gate:
            return await _order(platform, day, *plan)

    return await asyncio.gather(*(one(p) for p in plans))


async def _order(platform: Platform, day: date, resident: Resident, channel: str, payment: str,
                 items: int, luck: float) -> PlacedOrder:
    placed = PlacedOrder(resident, channel)
    me = platform.token(resident.resident_id, "resident")
    assisted = channel in ASSISTED
    who = platform.token(OPERATOR, "operator") if assisted else me
    home = resident.home
    found = (await platform.call("catalog", "GET", "/v1/products/search", who=me, params={
        "lat": home.lat, "lon": home.lon, "radius_km": 25, "limit": 40})).json()["results"]
    if not found:
        placed.refused = "no goods within 25 km"
        return placed
    rng = random.Random(f"{resident.resident_id}-{luck}")
    basket = rng.sample(found, k=min(items, len(found)))
    temperatures = {p.get("temperature_class", "AMBIENT") for p in basket}
    strictest = "FROZEN" if "FROZEN" in temperatures else ("CHILLED" if "CHILLED" in temperatures else None)
    params = {"lat": home.lat, "lon": home.lon, "day": day.isoformat(), "radius_km": 20, "limit": 3}
    if strictest:
        params["temperature"] = strictest
    points = (await platform.call("pickup", "GET", "/v1/pickup-points/near", who=me,
                                  params=params)).json()["pickup_points"]
    if not points:
        # Everything near is full: ask for the nearest point anyway; the saga will say no.
        params.pop("temperature", None)
        params["radius_km"] = 40
        points = (await platform.call("pickup", "GET", "/v1/pickup-points/near", who=me,
                                      params=params)).json()["pickup_points"] or [{"pickup_point_id": "pp-brakel-bahnhof"}]
    placed.pickup_point_id = points[0]["pickup_point_id"]
    body = {
        "lines": [{"product_id": p["product_id"], "quantity": rng.choice((1, 1, 1, 2, 2, 3))} for p in basket],
        "pickup_point_id": placed.pickup_point_id, "delivery_day": day.isoformat(),
        "payment_method": payment, "channel": channel,
    }
    if assisted:
        body["resident_id"] = resident.resident_id
    began = time.monotonic()
    answer = await platform.call("orders", "POST", "/v1/orders", who=who, json=body,
                                 headers={"Idempotency-Key": str(uuid.uuid4())}, ok=(202, 409, 422))
    placed.accepted_in_s = time.monotonic() - began
    if answer.status_code == 202:
        placed.order_id = answer.json()["order_id"]
    else:
        placed.refused = answer.json().get("message", answer.text[:200])
    return placed


async def outcomes(platform: Platform, placed: list[PlacedOrder], timeout: float = 90.0) -> dict[str, dict]:
    """Each accepted order's final state (CONFIRMED or REJECTED, with reasons) as the
    orders API shows it; waits until no order is pending any more."""
    final, pending = await platform.orders_until((p.order_id for p in placed if p.order_id),
                                                 lambda order: order["status"] not in ("PLACED", "PENDING"),
                                                 timeout=timeout)
    for order_id in pending:
        final[order_id] = {"order_id": order_id, "status": "STILL_PENDING"}
    return final


async def take_alternatives(platform: Platform, final: dict[str, dict], concurrency: int = 8) -> dict[str, dict]:
    """Residents whose order found no room take the nearest other point with room that
    day in one step, as the rejection suggests (the demo's day stays one day). Returns
    the decided replacement orders by id; each order taken again gets `replaced_by`."""
    gate = asyncio.Semaphore(concurrency)

    async def take(order: dict) -> str | None:
        nearest = next((a for a in ((order.get("instead") or {}).get("alternatives") or [])
                        if a["kind"] == "OTHER_POINT" and a["delivery_day"] == order["delivery_day"]), None)
        if nearest is None:
            return None
        me = platform.token(order["resident_id"], "resident")
        async with gate:
            answer = await platform.call("orders", "POST", f"/v1/orders/{order['order_id']}/alternative", who=me,
                                         json={"pickup_point_id": nearest["pickup_point"]["pickup_point_id"]},
                                         headers={"Idempotency-Key": str(uuid.uuid4())}, ok=(202, 409, 422))
        if answer.status_code != 202:
            return None
        order["replaced_by"] = answer.json()["order_id"]  # as the orders API will show it
        return order["replaced_by"]

    rejected = [o for o in final.values() if o["status"] == "REJECTED" and not o.get("replaced_by")]
    taken = [order_id for order_id in await asyncio.gather(*(take(o) for o in rejected)) if order_id]
    decided, pending = await platform.orders_until(taken, lambda o: o["status"] not in ("PLACED", "PENDING"),
                                                   timeout=90.0)
    return decided | {order_id: {"order_id": order_id, "status": "STILL_PENDING"} for order_id in pending}
