"""What routing keeps of other topics, in its own keys: shipments
(logistics.shipments), cancellations (orders.orders) and the progress of
dispatched tours (logistics.tours).

Each shipment's and each tour's events share one partition, so they arrive in
order; every handler leaves the same state when it sees an event twice.

Rebuild: delete `routing:shipment:*`, `routing:day:*`, `routing:cancelled:*`,
`routing:tour:*`, `routing:plan-tours:*` and replay the three topics.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

from redis.asyncio import Redis

from nahnetz.events import Event
from nahnetz.messaging.handling import InvalidEvent

from .. import keys
from ..planning import ShipmentRecord
from ..replanning import TourProgress

_RANK = {"REQUESTED": 0, "COLLECTED": 1, "AT_HUB": 2, "DELIVERED": 3}
_STATUS_OF = {"ShipmentCollected": "COLLECTED", "ShipmentAtHub": "AT_HUB", "ShipmentDelivered": "DELIVERED"}


async def load_shipment(redis: Redis, shipment_id: str) -> ShipmentRecord | None:
    raw = await redis.get(keys.shipment(shipment_id))
    return None if raw is None else ShipmentRecord.from_json(json.loads(raw))


async def project_shipment(event: Event, redis: Redis) -> ShipmentRecord | None:
    current = await load_shipment(redis, event.shipment_id)
    if event.type == "ShipmentRequested":
        record = ShipmentRecord.from_request(event.data)
        if current is not None and record.attempt < current.attempt:
            return current  # an older request than the current one
        if current is not None and record.attempt == current.attempt:
            record = replace(record, status=current.status)  # the same request again
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
    reported = _STATUS_OF[event.type]
    if _RANK[reported] > _RANK[current.status]:
        current = replace(current, status=reported)
        await redis.set(keys.shipment(current.shipment_id), json.dumps(current.as_json()))
    return current


async def project_order_event(event: Event, redis: Redis) -> None:
    """Only cancellations matter here: their shipments leave planning."""
    if event.type == "OrderCancelled":
        await redis.set(keys.cancelled(event.order_id), event.meta["occurred_at"].isoformat())


async def shipments_for_day(redis: Redis, day: date, extra_ids: set[str] = frozenset()) -> list[ShipmentRecord]:
    """The shipments a plan of `day` may carry (and `extra_ids`, e.g. those on tours
    being re-planned), with the cancellation of their order."""
    ids = sorted({keys.text(m) for m in await redis.smembers(keys.day(day))} | set(extra_ids))
    if not ids:
        return []
    raws = await redis.mget([keys.shipment(i) for i in ids])
    records = [ShipmentRecord.from_json(json.loads(r)) for r in raws if r is not None]
    cancelled = await redis.mget([keys.cancelled(r.order_id) for r in records]) if records else []
    return [replace(r, order_cancelled=c is not None) for r, c in zip(records, cancelled)]


async def project_tour_event(event: Event, redis: Redis) -> TourProgress | None:
    key = keys.tour(event.tour_id)
    if event.type == "TourDispatched":
        progress = TourProgress.from_dispatch(event.data)
        async with redis.pipeline(transaction=True) as pipe:
            pipe.set(key, json.dumps(progress.as_json()), nx=True)  # a redelivery keeps the progress
            pipe.sadd(keys.plan_tours(progress.plan_id), progress.tour_id)
            await pipe.execute()
        return progress
    raw = await redis.get(key)
    if raw is None:
        raise InvalidEvent(f"{event.type} for tour {event.tour_id}, which was never dispatched")
    progress = TourProgress.from_json(json.loads(raw))
    if event.type == "StopCompleted":
        progress = progress.reported(event.stop_index)
    elif event.type == "StopFailed":
        progress = progress.stop_failed(event.stop_index, tuple(event.shipment_ids))
    elif event.type == "TourCompleted":
        progress = replace(progress, reached=len(progress.stops) - 1, completed=True)
    await redis.set(key, json.dumps(progress.as_json()))
    return progress


async def tours_of_plan(redis: Redis, plan_id: str) -> list[TourProgress]:
    ids = sorted(keys.text(m) for m in await redis.smembers(keys.plan_tours(plan_id)))
    raws = await redis.mget([keys.tour(i) for i in ids]) if ids else []
    return [TourProgress.from_json(json.loads(r)) for r in raws if r is not None]
