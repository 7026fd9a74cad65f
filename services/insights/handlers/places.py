"""Pick-up points and shops as the figures need them: where they are (municipality,
village, coordinates), a point's compartments and a shop's opening hours, whether
in service or open. Kept as JSON documents (`keys.point`, `keys.shop`), the latest
event of each winning (one partition per point or shop, so in order)."""

from __future__ import annotations

import json
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from nahnetz.records import PickupPointRegistered, PickupPointUpdated, ShopClosed, ShopRegistered, ShopUpdated
from nahnetz.records.common import OpeningHours

from .. import keys

Doc = dict[str, Any]
ISO_WEEKDAY = {"MONDAY": 1, "TUESDAY": 2, "WEDNESDAY": 3, "THURSDAY": 4, "FRIDAY": 5, "SATURDAY": 6, "SUNDAY": 7}


def hours_json(hours: OpeningHours | None) -> tuple[list[list[Any]], list[str]]:
    if hours is None:
        return [], []
    intervals = [[ISO_WEEKDAY[i.weekday.value], i.opens.strftime("%H:%M"), i.closes.strftime("%H:%M")]
                 for i in hours.intervals]
    return intervals, [d.isoformat() for d in hours.closed_on]


def point_doc(event: PickupPointRegistered | PickupPointUpdated) -> Doc:
    intervals, closed_on = hours_json(event.opening_hours)
    return {"pickup_point_id": event.pickup_point_id, "name": event.name, "kind": event.kind.value,
            "municipality": event.municipality, "village": event.address.locality,
            "lat": event.location.lat, "lon": event.location.lon,
            "compartments": {c.compartment_id: [c.size.value, c.temperature_class.value] for c in event.compartments},
            "hours": intervals, "closed_on": closed_on, "host_shop_id": event.host_shop_id,
            "in_service": getattr(event, "in_service", True)}


def shop_doc(event: ShopRegistered | ShopUpdated, open_: bool) -> Doc:
    intervals, closed_on = hours_json(event.opening_hours)
    return {"shop_id": event.shop_id, "name": event.name, "kind": event.kind.value,
            "municipality": event.municipality, "village": event.address.locality,
            "lat": event.location.lat, "lon": event.location.lon, "hours": intervals, "closed_on": closed_on,
            "open": open_}


def dump(doc: Doc) -> str:
    return json.dumps(doc, ensure_ascii=False, sort_keys=True)


async def read_doc(reader: Redis | Pipeline, key: str) -> Doc | None:
    raw = await reader.get(key)
    return None if raw is None else json.loads(raw)


async def project_point(event: PickupPointRegistered | PickupPointUpdated, redis: Redis) -> None:
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(keys.point(event.pickup_point_id), dump(point_doc(event)))
        pipe.sadd(keys.POINTS, event.pickup_point_id)
        await pipe.execute()


def staged_shop(pipe: Pipeline, event: ShopRegistered | ShopUpdated | ShopClosed, before: Doc | None) -> None:
    """Queue the shop's document after `event` (a closing keeps what was known of it)."""
    if isinstance(event, ShopClosed):
        if before is None:
            return
        doc = {**before, "open": False}
    else:
        doc = shop_doc(event, open_=before is None or before.get("open", True))
    pipe.set(keys.shop(event.shop_id), dump(doc))
    pipe.sadd(keys.SHOPS, event.shop_id)
