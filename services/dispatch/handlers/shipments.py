"""Shipments (logistics.shipments) as dispatch keeps them: the ShipmentRequested
of each (`dispatch:shipment:<id>`), which says the order, compartments, weight
and temperature class a driver needs. Its later steps are the hub's business.
Rebuild: replay logistics.shipments.
"""

from __future__ import annotations

from typing import Iterable

from redis.asyncio import Redis

from nahnetz.events import Event
from nahnetz.messaging.outbox import pack, unpack
from nahnetz.records import ShipmentRequested

from .. import keys


async def project_shipment(event: Event, redis: Redis) -> None:
    if not isinstance(event, ShipmentRequested):
        return
    # A missed collection is requested again (attempt + 1, same id): the highest attempt counts.
    stored = await redis.get(keys.shipment(event.shipment_id))
    if stored:
        [current] = unpack(stored)
        if current.attempt > event.attempt:
            return
    await redis.set(keys.shipment(event.shipment_id), pack([event]))


async def load_shipments(redis: Redis, shipment_ids: Iterable[str]) -> dict[str, ShipmentRequested]:
    ids = list(shipment_ids)
    if not ids:
        return {}
    values = await redis.mget([keys.shipment(sid) for sid in ids])
    return {sid: unpack(value)[0] for sid, value in zip(ids, values) if value}
