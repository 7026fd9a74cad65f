"""logistics.tours: dispatched tours and how far their drivers got, for
re-planning (`routing:tour:<tour_id>`, `routing:plan-tours:<plan_id>`).

A tour's events share one partition, so they arrive in order; seeing an event
twice leaves the same state (`domain/replanning.py` decides).
Rebuild: delete `routing:tour:*` and `routing:plan-tours:*` and replay the topic.
"""

from __future__ import annotations

import json

from redis.asyncio import Redis

from nahnetz.messaging.handling import InvalidEvent
from nahnetz.records import TourDispatched

from .. import keys
from ..domain.replanning import TourProgress, TourReport

TourEvent = TourDispatched | TourReport


async def project_tour_event(event: TourEvent, redis: Redis) -> TourProgress:
    key = keys.tour(event.tour_id)
    if isinstance(event, TourDispatched):
        progress = TourProgress.from_dispatch(event)
        async with redis.pipeline(transaction=True) as pipe:
            pipe.set(key, json.dumps(progress.as_json()), nx=True)  # a redelivery keeps the progress
            pipe.sadd(keys.plan_tours(progress.plan_id), progress.tour_id)
            await pipe.execute()
        return progress
    raw = await redis.get(key)
    if raw is None:
        raise InvalidEvent(f"{event.type} for tour {event.tour_id}, which was never dispatched")
    progress = TourProgress.from_json(json.loads(raw)).after(event)
    await redis.set(key, json.dumps(progress.as_json()))
    return progress


async def tours_of_plan(redis: Redis, plan_id: str) -> list[TourProgress]:
    ids = sorted(await redis.smembers(keys.plan_tours(plan_id)))
    raws = await redis.mget([keys.tour(i) for i in ids]) if ids else []
    return [TourProgress.from_json(json.loads(r)) for r in raws if r is not None]
