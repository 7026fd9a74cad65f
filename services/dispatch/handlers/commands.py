"""What the dispatch API's writes become: dispatching a planned tour, a driver's
report from a stop, and a re-plan asked of the routing service.

Commands on a tour are decided under a short per-tour lock in Redis: two
reports on one tour (two taps, the driver and an operator) are judged one after
the other against the same state, and nothing is written unless the event is
out (acknowledged by the broker, `nahnetz.kit.publishing`); then it is folded
into the tour's state at once (`tours.record`), so the next request sees it.
"""

from __future__ import annotations

import asyncio
import secrets
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Callable, Mapping

from redis.asyncio import Redis

from nahnetz.events import Actor, Event, new_event
from nahnetz.kit.errors import Conflict, NotFound, Unprocessable
from nahnetz.kit.publishing import broker_unavailable, publish
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import TourDispatched

from .. import keys
from ..domain import progress as steps
from ..domain import replans
from ..domain.progress import StopReport
from ..domain.reports import Reporter
from ..domain.tours import build_tour, place_ids_of, shipment_ids_of, tour_for_vehicle
from . import places, plans, shipments
from .routing_client import PlanRequest, RoutingClient
from .tours import TourState, load_tour, record

API = "dispatch-api"

_RELEASE_LOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


# -- the lock of a command -------------------------------------------------------------------------
@asynccontextmanager
async def tour_lock(redis: Redis, tour_id: str, seconds: float) -> AsyncIterator[None]:
    token = secrets.token_hex(8)
    key = keys.tour_lock(tour_id)
    if not await redis.set(key, token, nx=True, px=int(seconds * 1000)):
        raise Conflict(f"another report on tour {tour_id} is being recorded right now; try again in a moment",
                       headers={"Retry-After": "1"})
    try:
        yield
    finally:
        await redis.eval(_RELEASE_LOCK, 1, key, token)


async def _publish(producer: EventProducer, event: Event, what: str, lock_seconds: float) -> None:
    """Publish (acknowledged) within half the lock's life, so no other command
    decides on the tour while this one's event may still be on its way."""
    try:
        await asyncio.wait_for(publish(producer, event), lock_seconds / 2)
    except asyncio.TimeoutError as exc:
        raise broker_unavailable(what) from exc


# -- dispatching -----------------------------------------------------------------------------------
async def dispatch_tour(*, plan_id: str, vehicle_id: str, driver_id: str, actor: Actor, redis: Redis,
                        producer: EventProducer, lock_seconds: float) -> TourState:
    """TourDispatched for the plan's tour of the vehicle, once per tour."""
    plan = await plans.load_plan(redis, plan_id)
    if plan is None:
        raise NotFound(f"plan {plan_id} is not known")
    if plan.status == plans.FAILED:
        failure = plan.failure or {}
        raise Conflict(f"plan {plan_id} failed ({failure.get('reason')}: {failure.get('message')}); "
                       "nothing can be dispatched from it")
    if plan.planned is None:
        raise Conflict(f"plan {plan_id} has no tours yet; try again when it is planned",
                       headers={"Retry-After": "2"})
    planned = tour_for_vehicle(plan.planned.tours, vehicle_id)
    if planned is None:
        vehicles = sorted(t.vehicle_id for t in plan.planned.tours)
        raise Unprocessable(f"plan {plan_id} has no tour for vehicle {vehicle_id}",
                            details={"vehicles_with_tours": vehicles})
    async with tour_lock(redis, planned.tour_id, lock_seconds):
        existing = await load_tour(redis, planned.tour_id)
        if existing is not None:
            raise Conflict(f"tour {planned.tour_id} was dispatched already, to driver {existing.driver_id}",
                           details={"tour_id": planned.tour_id, "driver_id": existing.driver_id})
        known = await shipments.load_shipments(redis, shipment_ids_of(planned))
        where = await places.load_places(redis, place_ids_of(planned), plan.depot)
        async with _taken_over(redis, plan, vehicle_id, lock_seconds) as old:
            fields = build_tour(planned, plan_id=plan_id, day=plan.planned.day, driver_id=driver_id,
                                shipments=known, places=where, vehicle_name=plan.vehicle_name(vehicle_id),
                                replaces_tour_id=old.tour.tour_id if old else None,
                                done_stops=replans.carried_over(planned, old.tour, old.progress) if old else ())
            event = new_event(TourDispatched, producer=API, actor=actor, caused_by=plan.planned, **fields)
            await _publish(producer, event, "the dispatch", lock_seconds)
            return await record(redis, event)


@asynccontextmanager
async def _taken_over(redis: Redis, plan: plans.PlanState, vehicle_id: str, lock_seconds: float
                      ) -> AsyncIterator[TourState | None]:
    """The vehicle's tour under way that a re-plan's tour takes over (None when the
    plan is no re-plan, or that tour is not running), locked while it is taken over."""
    replan_of = plan.replan_of
    old_plan = await plans.load_plan(redis, replan_of) if replan_of else None
    old_planned = tour_for_vehicle(old_plan.planned.tours, vehicle_id) if old_plan and old_plan.planned else None
    if old_planned is None:
        yield None
        return
    async with tour_lock(redis, old_planned.tour_id, lock_seconds):
        old = await load_tour(redis, old_planned.tour_id)
        yield old if old is not None and replans.replaces(old.tour, old.progress, vehicle_id) else None


# -- reports from the road -------------------------------------------------------------------------
async def report_stop(*, tour_id: str, index: int, step: str, authorize: Callable[[TourState], Reporter],
                      params: Mapping[str, Any], proof: Mapping[str, Any] | None, redis: Redis,
                      producer: EventProducer, lock_seconds: float) -> tuple[TourState, Event]:
    """Check a report against the tour and publish it. `authorize(state)` says who
    reports how, or raises when the caller may not report on this tour."""
    async with tour_lock(redis, tour_id, lock_seconds):
        state = await load_tour(redis, tour_id)
        if state is None:
            raise NotFound(f"tour {tour_id} is not known")
        reporter = authorize(state)
        report = decide(step, state, index, params)
        extra: dict[str, Any] = {"channel": reporter.channel}
        if proof is not None:
            extra["proof"] = dict(proof)
        event = new_event(report.event_type, producer=API, actor=reporter.actor,
                          correlation_id=state.tour.correlation_id, occurred_at=reporter.occurred_at,
                          **report.fields, **extra)
        await _publish(producer, event, "the report", lock_seconds)
        return await record(redis, event), event


def decide(step: str, state: TourState, index: int, params: Mapping[str, Any]) -> StopReport:
    if step == "arrived":
        return steps.decide_arrival(state.tour, state.progress, index, odometer_km=params.get("odometer_km"))
    if step == "collected":
        return steps.decide_collection(state.tour, state.progress, index)
    if step == "delivered":
        return steps.decide_delivery(state.tour, state.progress, index,
                                     compartment_ids=params.get("compartment_ids"))
    if step == "failed":
        return steps.decide_failure(state.tour, state.progress, index, reason=params["reason"],
                                    note=params.get("note"))
    raise ValueError(f"unknown step {step!r}")


# -- re-planning -----------------------------------------------------------------------------------
async def replan_tour(state: TourState, *, routing: RoutingClient, time_budget_s: int, token: str,
                      idempotency_key: str | None) -> dict[str, Any]:
    """Ask routing for a new plan of the tour's day that keeps its done stops; the
    tour of that plan is dispatched like any other and takes this one over."""
    replans.check_replannable(state.tour, state.progress)
    plan = PlanRequest(day=state.tour.day, replan_of=state.tour.plan_id, time_budget_s=time_budget_s)
    accepted = await routing.request_plan(plan, token=token, idempotency_key=idempotency_key)
    return {"tour_id": state.tour.tour_id, "replan_of": state.tour.plan_id, "plan_id": accepted.plan_id,
            "status": "requested", "status_url": accepted.status_url or f"/v1/plans/{accepted.plan_id}"}
