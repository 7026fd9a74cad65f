"""The read models the API answers from: a plan's view (`routing:plan:<plan_id>`)
and the plans of a day (`routing:plans:<day>`), as projected from
logistics.plans (`handlers/plans.py`, documents shaped by `domain/plan_views.py`)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from redis.asyncio import Redis

from . import keys
from .domain.plan_views import summary


async def plan(redis: Redis, plan_id: str) -> dict[str, Any] | None:
    raw = await redis.get(keys.plan(plan_id))
    return None if raw is None else json.loads(raw)


async def plans_of_day(redis: Redis, day: date) -> list[dict[str, Any]]:
    ids = await redis.zrange(keys.plans_of_day(day), 0, -1)
    raws = await redis.mget([keys.plan(i) for i in ids]) if ids else []
    return [summary(json.loads(raw)) for raw in raws if raw is not None]
