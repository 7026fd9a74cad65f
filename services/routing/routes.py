"""HTTP routes of the routing service: request a plan, see plans. They parse,
authorise and call: the request's rules are in `domain/plan_requests.py`, what
it becomes in `handlers/commands.py`, the views in `queries.py`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from nahnetz.clock import today_in_berlin
from nahnetz.kit.api import RedisDep, from_state
from nahnetz.kit.auth import Role, User, require_roles
from nahnetz.kit.errors import NotFound, Unprocessable
from nahnetz.kit.http_errors import error_responses
from nahnetz.kit.lookup import found_or_404
from nahnetz.kit.idempotency_keys import Idempotency
from nahnetz.kit.publishing import ProducerDep
from nahnetz.kit.request_model import Day
from nahnetz.regions import load_region

from . import queries
from .domain.plan_requests import Budget
from .handlers import commands
from .http_models import PlanIn
from .settings import RoutingSettings

Operator = Annotated[User, Depends(require_roles(Role.OPERATOR, Role.ADMIN))]


RoutingSettingsDep = Annotated[RoutingSettings, Depends(from_state("routing"))]


def plans_router() -> APIRouter:
    router = APIRouter(prefix="/v1/plans", tags=["plans"])

    @router.post("", status_code=202, responses=error_responses((Unprocessable, (
        "The request breaks a rule: a past day, a budget over the maximum, an unknown replan_of or one of "
        "another day, vehicles outside the fleet without capacity or shift"))))
    async def request_plan(body: PlanIn, user: Operator, redis: RedisDep, producer: ProducerDep,
                           routing: RoutingSettingsDep, once: Idempotency):
        budget = Budget(routing.default_time_budget_s, routing.max_time_budget_s)
        return await once(lambda: commands.request_plan(redis, producer, body.asked(),
                                                        region=load_region(routing.region), budget=budget,
                                                        actor=user.actor()),
                          status_code=202)

    @router.get("")
    async def list_plans(user: Operator, redis: RedisDep, day: Day | None = None) -> dict:
        day = day or today_in_berlin()
        return {"day": day.isoformat(), "plans": await queries.plans_of_day(redis, day)}

    @router.get("/{plan_id}", responses=error_responses((NotFound, "No such plan")))
    async def get_plan(plan_id: str, user: Operator, redis: RedisDep) -> dict:
        return found_or_404(await queries.plan(redis, plan_id), f"plan {plan_id} is not known")

    return router
