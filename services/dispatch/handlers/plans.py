"""Plans (logistics.plans) as dispatch keeps them, so the API can build a tour
without asking anyone: the request (depot, vehicles), the planned tours, or why
planning failed.

The request and the answer are kept as the events themselves (`dispatch:plan:<id>`,
text as `nahnetz.messaging.outbox.pack` writes it) and read back typed. Every
projection replaces what it holds with what the event says, so a redelivered
event changes nothing. Rebuild: replay logistics.plans.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping

from redis.asyncio import Redis

from nahnetz.events import Event
from nahnetz.messaging.outbox import pack, unpack
from nahnetz.records import Depot, RoutePlanFailed, RoutePlanned, RoutePlanRequested

from .. import keys

PENDING, PLANNED, FAILED = "PENDING", "PLANNED", "FAILED"


async def project_plan(event: Event, redis: Redis) -> None:
    if isinstance(event, RoutePlanRequested):
        key = keys.plan(event.plan_id)
        async with redis.pipeline(transaction=True) as tx:
            tx.hset(key, "requested", pack([event]))
            tx.hsetnx(key, "status", PENDING)  # a redelivered request must not undo a later answer
            await tx.execute()
    elif isinstance(event, RoutePlanned):
        await redis.hset(keys.plan(event.plan_id), mapping={"planned": pack([event]), "status": PLANNED})
    elif isinstance(event, RoutePlanFailed):
        await redis.hset(keys.plan(event.plan_id), mapping={"status": FAILED, "failure": json.dumps(
            {"reason": event.reason.value, "message": event.message})})


@dataclass(frozen=True)
class PlanState:
    plan_id: str
    status: str
    requested: RoutePlanRequested | None
    planned: RoutePlanned | None
    failure: Mapping[str, Any] | None

    @property
    def replan_of(self) -> str | None:
        """The plan this one re-plans (the routing service names it in both events)."""
        for event in (self.planned, self.requested):
            if event is not None and event.replan_of:
                return event.replan_of
        return None

    @property
    def depot(self) -> Depot | None:
        return self.requested.depot if self.requested is not None else None

    def vehicle_name(self, vehicle_id: str) -> str | None:
        for vehicle in (self.requested.vehicles if self.requested is not None else ()):
            if vehicle.vehicle_id == vehicle_id:
                return vehicle.name
        return None


async def load_plan(redis: Redis, plan_id: str) -> PlanState | None:
    stored = await redis.hgetall(keys.plan(plan_id))
    if not stored:
        return None
    return PlanState(plan_id, stored.get("status", PENDING),
                     _event(stored.get("requested")), _event(stored.get("planned")),
                     json.loads(stored["failure"]) if stored.get("failure") else None)


def _event(text: str | None) -> Any:
    if not text:
        return None
    [event] = unpack(text)
    return event
