"""What the API's writes become: an operator's plan request is decided by
`domain/plan_requests.py`, published as RoutePlanRequested (acknowledged, or a
503), and shown as PENDING under its status URL at once (the worker's
projection never goes back to PENDING)."""

from __future__ import annotations

import uuid
from typing import Any

from redis.asyncio import Redis

from nahnetz.clock import today_in_berlin
from nahnetz.events import Actor, new_event
from nahnetz.kit.publishing import publish
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import RoutePlanRequested
from nahnetz.regions import Region

from .. import queries
from ..domain.plan_requests import Budget, KnownPlan, PlanAsked, decide, request_fields
from .plan_views import show_pending

PRODUCER = "routing-api"


def new_plan_id() -> str:
    return f"plan-{uuid.uuid4().hex[:16]}"


async def request_plan(redis: Redis, producer: EventProducer, asked: PlanAsked, *, region: Region, budget: Budget,
                       actor: Actor) -> dict[str, Any]:
    """Record the request; the answer the API gives (202)."""
    earlier = None
    if asked.replan_of is not None:
        view = await queries.plan(redis, asked.replan_of)
        earlier = None if view is None else KnownPlan(asked.replan_of, view.get("day"))
    fields = decide(asked, today=today_in_berlin(), region=region, budget=budget, earlier=earlier,
                    plan_id=new_plan_id())
    event = new_event(RoutePlanRequested, producer=PRODUCER, actor=actor, **fields)
    await publish(producer, event)
    await show_pending(redis, event)
    return {"plan_id": event.plan_id, "status": "PENDING", "day": event.day.isoformat(),
            "time_budget_s": event.time_budget_s, "vehicle_ids": [v.vehicle_id for v in event.vehicles],
            "event_id": event.event_id, "status_url": f"/v1/plans/{event.plan_id}"}


def plan_requested(asked: PlanAsked, region: Region, *, time_budget_s: int, actor: Actor,
                   plan_id: str | None = None) -> RoutePlanRequested:
    """A request as the API would record it, without the API's checks (tools and tests)."""
    return new_event(RoutePlanRequested, producer=PRODUCER, actor=actor,
                     **request_fields(asked, region, plan_id=plan_id or new_plan_id(), time_budget_s=time_budget_s))
