"""The plans' read model (`routing:plan:<plan_id>`, `routing:plans:<day>`),
projected from logistics.plans: PENDING when requested (by the API at once, and
by the worker from the event), then PLANNED or FAILED from the outcome. The
documents are shaped by `domain/plan_views.py`.

Rebuild: delete `routing:plan:*` and `routing:plans:*` except
`routing:plans:solving`, and replay logistics.plans.
"""

from __future__ import annotations

import json

from redis.asyncio import Redis

from nahnetz.records import RoutePlanRequested

from .. import keys
from ..domain.plan_views import Outcome, answered_view, instant_ms, pending_view, requested_ms


async def show_pending(redis: Redis, request: RoutePlanRequested) -> None:
    """The request in the read model, unless the plan is shown already (API and worker)."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(keys.plan(request.plan_id), json.dumps(pending_view(request)), nx=True)
        pipe.zadd(keys.plans_of_day(request.day), {request.plan_id: instant_ms(request.meta.occurred_at)}, nx=True)
        await pipe.execute()


async def project_outcome(event: Outcome, redis: Redis) -> dict:
    """Apply RoutePlanned or RoutePlanFailed to the plan's view (idempotent)."""
    raw = await redis.get(keys.plan(event.plan_id))
    view = answered_view(json.loads(raw) if raw is not None else None, event)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(keys.plan(event.plan_id), json.dumps(view))
        if view.get("day"):
            pipe.zadd(keys.plans_of_day(view["day"]), {event.plan_id: requested_ms(view, event)}, nx=True)
        # The outcome is published: answered, and no recovery needed any more.
        pipe.set(keys.plan_outcome(event.plan_id), event.type, nx=True)
        pipe.zrem(keys.SOLVING, event.plan_id)
        await pipe.execute()
    return view
