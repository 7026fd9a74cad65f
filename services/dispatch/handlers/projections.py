"""Projections of other services' topics into dispatch's own keys, so the API can
build a tour without asking anyone: plans (logistics.plans), shipments
(logistics.shipments), shops (catalog.shops) and pick-up points (pickup.points).

Plans and shipments are kept as the events themselves (base64 of their Avro
bytes, so the API's text Redis client can hold them); shops and points as the
little a driver needs. Every projection replaces what it holds with what the
event says, so a redelivered event changes nothing. Rebuild: replay the topics.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from redis.asyncio import Redis

from nahnetz.events import Event, read_event

from .. import keys
from ..domain.tours import Place, Shipment

PENDING, PLANNED, FAILED = "PENDING", "PLANNED", "FAILED"


def to_text(event: Event) -> str:
    return base64.b64encode(event.encode()).decode("ascii")


def from_text(value: bytes | str) -> Event:
    return read_event(base64.b64decode(value))


# -- logistics.plans -------------------------------------------------------------------------------
async def project_plan(event: Event, redis: Redis) -> None:
    key = keys.plan(event.plan_id)
    if event.type == "RoutePlanRequested":
        async with redis.pipeline(transaction=True) as tx:
            tx.hset(key, "requested", to_text(event))
            tx.hsetnx(key, "status", PENDING)  # a redelivered request must not undo a later answer
            await tx.execute()
    elif event.type == "RoutePlanned":
        await redis.hset(key, mapping={"planned": to_text(event), "status": PLANNED})
    elif event.type == "RoutePlanFailed":
        await redis.hset(key, mapping={"status": FAILED, "failure": json.dumps(
            {"reason": event.reason, "message": event.message})})


@dataclass(frozen=True)
class PlanState:
    plan_id: str
    status: str
    requested: Event | None
    planned: Event | None
    failure: Mapping[str, Any] | None

    @property
    def replan_of(self) -> str | None:
        """The plan this one re-plans (the routing service names it in both events)."""
        for event in (self.planned, self.requested):
            if event is not None and event.data.get("replan_of"):
                return event.data["replan_of"]
        return None

    @property
    def depot(self) -> Mapping[str, Any] | None:
        return self.requested.depot if self.requested is not None else None

    def vehicle_name(self, vehicle_id: str) -> str | None:
        for vehicle in (self.requested.vehicles if self.requested is not None else ()):
            if vehicle["vehicle_id"] == vehicle_id:
                return vehicle.get("name")
        return None


async def load_plan(redis: Redis, plan_id: str) -> PlanState | None:
    raw = keys.texts(await redis.hgetall(keys.plan(plan_id)))
    if not raw:
        return None
    return PlanState(plan_id, raw.get("status", PENDING),
                     from_text(raw["requested"]) if raw.get("requested") else None,
                     from_text(raw["planned"]) if raw.get("planned") else None,
                     json.loads(raw["failure"]) if raw.get("failure") else None)


# -- logistics.shipments ---------------------------------------------------------------------------
async def project_shipment(event: Event, redis: Redis) -> None:
    # Only the request says what a shipment is; its later steps are the hub's business.
    if event.type == "ShipmentRequested":
        # A missed collection is requested again (attempt + 1, same id): the highest attempt counts.
        stored = await redis.get(keys.shipment(event.shipment_id))
        if stored and from_text(stored).data.get("attempt", 1) > event.data.get("attempt", 1):
            return
        await redis.set(keys.shipment(event.shipment_id), to_text(event))


async def load_shipments(redis: Redis, shipment_ids: Iterable[str]) -> dict[str, Shipment]:
    ids = list(shipment_ids)
    if not ids:
        return {}
    values = await redis.mget([keys.shipment(sid) for sid in ids])
    return {sid: Shipment.from_event(from_text(value).data) for sid, value in zip(ids, values) if value}


# -- catalog.shops and pickup.points ---------------------------------------------------------------
async def project_shop(event: Event, redis: Redis) -> None:
    if event.type in ("ShopRegistered", "ShopUpdated"):
        await redis.set(keys.shop(event.shop_id), json.dumps(
            {"name": event.name, "address": dict(event.address), "note": event.collection_note}))


async def project_point(event: Event, redis: Redis) -> None:
    if event.type in ("PickupPointRegistered", "PickupPointUpdated"):
        labels = {c["compartment_id"]: c["label"] for c in event.compartments if c.get("label")}
        await redis.set(keys.point(event.pickup_point_id), json.dumps(
            {"name": event.name, "address": dict(event.address), "note": event.access_note, "labels": labels}))


async def load_places(redis: Redis, place_ids: Iterable[str], depot: Mapping[str, Any] | None = None
                      ) -> dict[str, Place]:
    """What dispatch knows of the places of a tour: the hub from the plan request,
    shops and pick-up points from their projections (an id may be either)."""
    ids = list(dict.fromkeys(place_ids))
    places: dict[str, Place] = {}
    if depot is not None:
        places[depot["depot_id"]] = Place(depot["depot_id"], depot["name"])
    if not ids:
        return places
    shops = await redis.mget([keys.shop(pid) for pid in ids])
    points = await redis.mget([keys.point(pid) for pid in ids])
    for place_id, shop, point in zip(ids, shops, points):
        found = point or shop
        if found and place_id not in places:
            doc = json.loads(found)
            places[place_id] = Place(place_id, doc.get("name"), doc.get("address"), doc.get("note"),
                                     doc.get("labels") or {})
    return places
