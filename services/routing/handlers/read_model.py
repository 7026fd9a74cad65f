"""The plans' read model (`routing:plan:<plan_id>`), projected from
logistics.plans: PENDING when requested, PLANNED with tours, figures and
dropped jobs, or FAILED with the reason.

Rebuild: delete `routing:plan:*` and `routing:plans:*` except
`routing:plans:solving`, and replay logistics.plans (the outcome events carry
everything the view shows).
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from typing import Any, Mapping

from redis.asyncio import Redis

from nahnetz.events import Event

from .. import keys


def pending_view(request: Event) -> dict[str, Any]:
    actor = request.meta.get("actor") or {}
    return {
        "plan_id": request.plan_id, "day": request.day.isoformat(), "status": "PENDING",
        "requested_at": request.meta["occurred_at"].isoformat(), "requested_by": actor.get("user_id"),
        "time_budget_s": request.time_budget_s, "replan_of": request.replan_of,
        "vehicle_ids": [v["vehicle_id"] for v in request.vehicles],
        "depot": {"depot_id": request.depot["depot_id"], "name": request.depot["name"]},
    }


async def project_outcome(event: Event, redis: Redis) -> dict[str, Any]:
    """Apply RoutePlanned or RoutePlanFailed to the plan's view (idempotent)."""
    raw = await redis.get(keys.plan(event.plan_id))
    view = json.loads(raw) if raw is not None else {"plan_id": event.plan_id}
    view["answered_at"] = event.meta["occurred_at"].isoformat()
    if event.type == "RoutePlanned":
        view.update(status="PLANNED", day=event.day.isoformat(), tours=[_tour(t) for t in event.tours],
                    dropped=[dict(d) for d in event.dropped], figures=figures(event.data),
                    matrix_source=event.matrix_source, replan_of=event.replan_of, failure=None)
    else:
        view.update(status="FAILED", failure={"reason": event.reason, "message": event.message})
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(keys.plan(event.plan_id), json.dumps(view))
        if view.get("day"):
            pipe.zadd(keys.plans_of_day(view["day"]), {event.plan_id: _ms(view.get("requested_at"), event)}, nx=True)
        # The outcome is published: no recovery needed any more.
        pipe.set(keys.plan_outcome(event.plan_id), event.encode(), nx=True)
        pipe.zrem(keys.SOLVING, event.plan_id)
        await pipe.execute()
    return view


def figures(data: Mapping[str, Any]) -> dict[str, Any]:
    tours = data["tours"]
    return {
        "vehicles_used": len(tours), "distance_km": round(data["distance_km"], 3),
        "empty_km": round(data["empty_km"] if data.get("empty_km") is not None
                          else sum(t["empty_km"] for t in tours), 3),
        "load_factor": data.get("load_factor"), "duration_s": sum(t["duration_s"] for t in tours),
        "stops": sum(len(t["stops"]) - 2 for t in tours), "dropped_jobs": len(data["dropped"]),
        "solve_time_ms": data["solve_time_ms"],
    }


def _tour(tour: Mapping[str, Any]) -> dict[str, Any]:
    return {**tour, "stops": [{**s, "eta": s["eta"].isoformat()} for s in tour["stops"]]}


def _ms(requested_at: str | None, event: Event) -> int:
    instant = datetime.fromisoformat(requested_at) if requested_at else event.meta["occurred_at"]
    return int(instant.astimezone(timezone.utc).timestamp() * 1000)


async def plan(redis: Redis, plan_id: str) -> dict[str, Any] | None:
    raw = await redis.get(keys.plan(plan_id))
    return None if raw is None else json.loads(raw)


async def plans_of_day(redis: Redis, day: date) -> list[dict[str, Any]]:
    ids = [keys.text(m) for m in await redis.zrange(keys.plans_of_day(day), 0, -1)]
    raws = await redis.mget([keys.plan(i) for i in ids]) if ids else []
    summaries = []
    for raw in raws:
        if raw is None:
            continue
        view = json.loads(raw)
        summaries.append({k: view.get(k) for k in ("plan_id", "day", "status", "requested_at", "requested_by",
                                                    "answered_at", "replan_of", "figures", "failure")})
    return summaries
