"""Hub mode for one of the hub's plans: its deliveries (remembered from the plan
request, `hub_tours.remember_vehicles`) weighed between the hub's vans and the open
trips of that day passing the hub (`domain/hub_mode.py`). Advice for the operator,
who then posts the loads a trip should take; nothing is changed here. The solver
runs in a worker thread, off the event loop."""

from __future__ import annotations

import asyncio
import json
from datetime import date

from redis.asyncio import Redis

from nahnetz.clock import in_berlin

from .. import keys
from ..domain.hub_mode import Delivery, HubDecision, PassingTrip, decide
from ..queries import open_in_week
from ..settings import FreightSettings
from .state import at

# A van's kilometre when the plan request names no cost, in cents.
DEFAULT_VAN_CENTS_PER_KM = 30


async def plan_doc(redis: Redis, plan_id: str) -> dict | None:
    raw = await redis.get(keys.plan(plan_id))
    return None if raw is None else json.loads(raw)


async def passing_trips(redis: Redis, day: date) -> list[PassingTrip]:
    """The day's open trips of people (the hub's own legs are its vans already)."""
    _, trips, _ = await open_in_week(redis, day)
    return [PassingTrip(t["trip_id"], t["participant_id"], (t["origin"]["lat"], t["origin"]["lon"]),
                        (t["destination"]["lat"], t["destination"]["lon"]), t["spare_weight_g"],
                        t.get("max_detour_m"), t.get("temperature") or "AMBIENT", t.get("price_rule") or "ON_REQUEST",
                        t.get("price_per_km_cents"), t.get("fixed_price_cents"))
            for t in trips if not t.get("tour_id") and in_berlin(at(t["depart_start"])).date() == day]


async def hub_mode(redis: Redis, doc: dict, settings: FreightSettings, seconds: float) -> HubDecision:
    day = date.fromisoformat(doc["day"])
    deliveries = [Delivery(place_id, place_id, d["lat"], d["lon"], d["weight_g"], d.get("temperature", "AMBIENT"))
                  for place_id, d in sorted((doc.get("deliveries") or {}).items())]
    vans = list(doc["vehicles"].values())
    capacity = max(v["max_weight_g"] for v in vans) if vans else 1
    cents = [v.get("cost_per_km_cents") for v in vans if v.get("cost_per_km_cents")]
    per_km = round(sum(cents) / len(cents)) if cents else DEFAULT_VAN_CENTS_PER_KM
    trips = await passing_trips(redis, day)
    hub = (doc["depot"]["lat"], doc["depot"]["lon"])
    return await asyncio.to_thread(decide, hub, deliveries, capacity, per_km, trips, seconds=seconds,
                                   circuity=settings.circuity)
