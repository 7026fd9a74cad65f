"""logistics.shipments: the shipments plans are made of, in routing's own keys
(`routing:shipment:<id>` and the days they concern, `routing:day:<day>`).

A shipment's events share one partition, so they arrive in order; seeing an
event twice leaves the same state (`domain/shipments.py` decides).
Rebuild: delete `routing:shipment:*` and `routing:day:*` and replay the topic.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

from redis.asyncio import Redis

from nahnetz.messaging.handling import InvalidEvent
from nahnetz.records import ShipmentRequested

from .. import keys
from ..domain.shipments import Report, ShipmentRecord, after_report, after_request

ShipmentEvent = ShipmentRequested | Report


async def load_shipment(redis: Redis, shipment_id: str) -> ShipmentRecord | None:
    raw = await redis.get(keys.shipment(shipment_id))
    return None if raw is None else ShipmentRecord.from_json(json.loads(raw))


async def project_shipment(event: ShipmentEvent, redis: Redis) -> ShipmentRecord:
    current = await load_shipment(redis, event.shipment_id)
    if isinstance(event, ShipmentRequested):
        record = after_request(current, event)
        if record is current:
            return current  # an older request than the one known
        async with redis.pipeline(transaction=True) as pipe:
            for stale in (current.days if current else set()) - record.days:
                pipe.srem(keys.day(stale), record.shipment_id)
            for day in record.days:
                pipe.sadd(keys.day(day), record.shipment_id)
            pipe.set(keys.shipment(record.shipment_id), json.dumps(record.as_json()))
            await pipe.execute()
        return record
    if current is None:
        raise InvalidEvent(f"{event.type} for shipment {event.shipment_id}, which was never requested")
    moved = after_report(current, event)
    if moved is not current:
        await redis.set(keys.shipment(moved.shipment_id), json.dumps(moved.as_json()))
    return moved


async def shipments_for_day(redis: Redis, day: date, extra_ids: set[str] = frozenset()) -> list[ShipmentRecord]:
    """The shipments a plan of `day` may carry (and `extra_ids`, e.g. those on tours
    being re-planned), with the cancellation of their order."""
    ids = sorted(set(await redis.smembers(keys.day(day))) | set(extra_ids))
    if not ids:
        return []
    raws = await redis.mget([keys.shipment(i) for i in ids])
    records = [ShipmentRecord.from_json(json.loads(r)) for r in raws if r is not None]
    cancelled = await redis.mget([keys.cancelled(r.order_id) for r in records]) if records else []
    return [replace(r, order_cancelled=c is not None) for r, c in zip(records, cancelled)]
