"""HTTP routes of the routing service: request a plan, see plans."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from nahnetz.kit.api import RedisDep, from_state
from nahnetz.kit.auth import Role, User, require_roles
from nahnetz.kit.errors import NotFound, Unavailable, Unprocessable
from nahnetz.kit.idempotency_keys import Idempotency
from nahnetz.messaging.producer import EventProducer
from nahnetz.regions import load_region

from . import keys
from .fleet import BERLIN
from .handlers import read_model
from .http_models import PlanIn
from .requests import plan_requested
from .settings import RoutingSettings

ProducerDep = Annotated[EventProducer, Depends(from_state("producer"))]
Operator = Annotated[User, Depends(require_roles(Role.OPERATOR, Role.ADMIN))]


def routing_settings(request: Request) -> RoutingSettings:
    return request.app.state.routing


RoutingSettingsDep = Annotated[RoutingSettings, Depends(routing_settings)]


def today_in_berlin() -> date:
    return datetime.now(BERLIN).date()


def plans_router() -> APIRouter:
    router = APIRouter(prefix="/v1/plans", tags=["plans"])

    @router.post("", status_code=202)
    async def request_plan(body: PlanIn, user: Operator, redis: RedisDep, producer: ProducerDep,
                           routing: RoutingSettingsDep, once: Idempotency):
        async def plan() -> dict:
            if body.day < today_in_berlin():
                raise Unprocessable(f"{body.day.isoformat()} is past; plans are made for today or later")
            budget = body.time_budget_s or routing.default_time_budget_s
            if budget > routing.max_time_budget_s:
                raise Unprocessable(f"time_budget_s may be at most {routing.max_time_budget_s}")
            if body.replan_of is not None:
                await _check_replan(redis, body)
            event = plan_requested(body, load_region(routing.region), time_budget_s=budget, actor=user.actor())
            try:
                await producer.publish(event)
            except Exception as exc:
                raise Unavailable(f"the request could not be recorded ({type(exc).__name__}); try again",
                                  headers={"Retry-After": "2"}) from exc
            # Visible at once under its status URL; the worker's projection never goes back to PENDING.
            async with redis.pipeline(transaction=True) as pipe:
                pipe.set(keys.plan(event.plan_id), json.dumps(read_model.pending_view(event)), nx=True)
                pipe.zadd(keys.plans_of_day(body.day),
                          {event.plan_id: int(event.meta["occurred_at"].timestamp() * 1000)}, nx=True)
                await pipe.execute()
            return {"plan_id": event.plan_id, "status": "PENDING", "day": body.day.isoformat(),
                    "time_budget_s": budget, "vehicle_ids": [v["vehicle_id"] for v in event.vehicles],
                    "event_id": event.event_id, "status_url": f"/v1/plans/{event.plan_id}"}

        return await once(plan, status_code=202)

    @router.get("")
    async def list_plans(user: Operator, redis: RedisDep, day: date | None = None) -> dict:
        day = day or today_in_berlin()
        return {"day": day.isoformat(), "plans": await read_model.plans_of_day(redis, day)}

    @router.get("/{plan_id}")
    async def get_plan(plan_id: str, user: Operator, redis: RedisDep) -> dict:
        found = await read_model.plan(redis, plan_id)
        if found is None:
            raise NotFound(f"plan {plan_id} is not known")
        return found

    return router


async def _check_replan(redis, body: PlanIn) -> None:
    earlier = await read_model.plan(redis, body.replan_of)
    if earlier is None:
        raise Unprocessable(f"plan {body.replan_of} (replan_of) is not known")
    if earlier.get("day") != body.day.isoformat():
        raise Unprocessable(f"plan {body.replan_of} is for {earlier.get('day')}, not {body.day.isoformat()}")
