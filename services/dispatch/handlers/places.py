"""Shops (catalog.shops) and pick-up points (pickup.points) as a driver needs
them: name, address, a note for drivers and, at a point, the labels printed on
the compartment doors. Each projection replaces what it holds with what the
event says. Rebuild: replay both topics.
"""

from __future__ import annotations

import json
from typing import Iterable

from redis.asyncio import Redis

from nahnetz.events import Event
from nahnetz.records import Address, Depot, PickupPointRegistered, PickupPointUpdated, ShopRegistered, ShopUpdated

from .. import keys
from ..domain.tours import Place


async def project_shop(event: Event, redis: Redis) -> None:
    if isinstance(event, (ShopRegistered, ShopUpdated)):
        await redis.set(keys.shop(event.shop_id), json.dumps(
            {"name": event.name, "address": event.address.to_avro(), "note": event.collection_note}))


async def project_point(event: Event, redis: Redis) -> None:
    if isinstance(event, (PickupPointRegistered, PickupPointUpdated)):
        labels = {c.compartment_id: c.label for c in event.compartments if c.label}
        await redis.set(keys.point(event.pickup_point_id), json.dumps(
            {"name": event.name, "address": event.address.to_avro(), "note": event.access_note,
             "labels": labels}))


async def load_places(redis: Redis, place_ids: Iterable[str], depot: Depot | None = None) -> dict[str, Place]:
    """What dispatch knows of the places of a tour: the hub from the plan request,
    shops and pick-up points from their projections (an id may be either)."""
    ids = list(dict.fromkeys(place_ids))
    places: dict[str, Place] = {}
    if depot is not None:
        places[depot.depot_id] = Place(depot.depot_id, depot.name)
    if not ids:
        return places
    shops = await redis.mget([keys.shop(pid) for pid in ids])
    points = await redis.mget([keys.point(pid) for pid in ids])
    for place_id, shop, point in zip(ids, shops, points):
        found = point or shop
        if found and place_id not in places:
            doc = json.loads(found)
            address = Address.from_avro(doc["address"]) if doc.get("address") else None
            places[place_id] = Place(place_id, doc.get("name"), address, doc.get("note"), doc.get("labels") or {})
    return places
