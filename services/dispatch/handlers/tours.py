"""Tours: the state of each dispatched tour, the commands that change it, and
the tour's completion.

State: `dispatch:tour:<tour_id>` holds the TourDispatched event and the progress
(JSON, with the ids of the reports folded in). Both the API (right after the
broker acknowledged its event, so the next request sees it) and the worker (its
projection of logistics.tours, the truth) fold events in through `record`, in
one WATCH/MULTI step; folding is idempotent by event id, so they agree, and a
lost write of the API (it died after publishing) is made good by the worker.

Commands are decided under a short per-tour lock in Redis: two reports on one
tour (two taps, the driver and an operator) are judged one after the other
against the same state, and nothing is written unless the event is out.

Rebuild: replay logistics.tours through `record` (the worker does).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, AsyncIterator, Callable, Mapping

from redis.asyncio import Redis
from redis.exceptions import WatchError

from nahnetz.events import Actor, Event, new_event, read_event
from nahnetz.kit.errors import Conflict, NotFound, Unavailable, Unprocessable
from nahnetz.messaging.handling import InvalidEvent
from nahnetz.messaging.idempotency import ProcessedMarkers, Transaction
from nahnetz.messaging.producer import EventProducer

from .. import keys
from ..domain import progress as steps
from ..domain import replans
from ..domain.progress import StopReport, TourProgress
from ..domain.tours import Tour, build_tour, place_ids_of, shipment_ids_of, tour_for_vehicle
from . import projections

log = logging.getLogger(__name__)

API = "dispatch-api"
WORKER = "dispatch-worker"
COMPLETE_TOUR = "dispatch.complete_tour"
MAX_CONFLICTS = 10
# The same TourCompleted id whoever makes it, so a second one is dropped by every consumer.
_COMPLETION_IDS = uuid.UUID("6f1c3a52-8d0e-4a43-9b7e-2f1f0c3d9a11")

_RELEASE_LOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@dataclass(frozen=True)
class TourState:
    dispatched: Event
    tour: Tour
    progress: TourProgress

    @property
    def driver_id(self) -> str:
        return self.tour.driver_id


def _state(raw: Mapping[str, str]) -> TourState | None:
    if not raw.get("dispatched"):
        return None
    dispatched = projections.from_text(raw["dispatched"])
    tour = Tour.from_event(dispatched.data)
    progress = TourProgress.from_json(raw["progress"]) if raw.get("progress") else TourProgress.start(tour)
    return TourState(dispatched, tour, progress)


async def load_tour(redis: Redis, tour_id: str) -> TourState | None:
    return _state(keys.texts(await redis.hgetall(keys.tour(tour_id))))


async def load_tours(redis: Redis, tour_ids: list[str]) -> list[TourState]:
    found = []
    for tour_id in sorted(tour_ids):
        state = await load_tour(redis, tour_id)
        if state is not None:
            found.append(state)
    return found


# -- folding events in -----------------------------------------------------------------------------
async def record(redis: Redis, event: Event) -> TourState:
    """Fold one event of logistics.tours into the tour's state, atomically and once."""
    key = keys.tour(event.tour_id)
    for _ in range(MAX_CONFLICTS):
        async with redis.pipeline(transaction=True) as pipe:
            await pipe.watch(key)
            state = _state(keys.texts(await pipe.hgetall(key)))
            if event.type == "TourDispatched":
                if state is not None:
                    if state.dispatched.event_id != event.event_id:
                        raise InvalidEvent(f"tour {event.tour_id} was dispatched already "
                                           f"(event {state.dispatched.event_id})")
                    return state
                tour = Tour.from_event(event.data)
                new = TourState(event, tour, TourProgress.start(tour))
                replaced = None
                if tour.replaces_tour_id:
                    # The old tour's state is marked in the same step: no report slips in between.
                    await pipe.watch(keys.tour(tour.replaces_tour_id))
                    replaced = _state(keys.texts(await pipe.hgetall(keys.tour(tour.replaces_tour_id))))
                pipe.multi()
                pipe.hset(key, mapping={"dispatched": projections.to_text(event),
                                        "progress": new.progress.to_json()})
                pipe.sadd(keys.tours_of_day(tour.day), tour.tour_id)
                pipe.sadd(keys.driver_tours(tour.driver_id, tour.day), tour.tour_id)
                if replaced is not None:
                    pipe.hset(keys.tour(tour.replaces_tour_id), "progress",
                              replace(replaced.progress, replaced_by=tour.tour_id).to_json())
            else:
                if state is None:
                    # Same key, same partition: the dispatch is always read first.
                    raise InvalidEvent(f"{event.type} for tour {event.tour_id}, which was never dispatched")
                try:
                    after = steps.apply(state.tour, state.progress, event.type, event.data,
                                        event_id=event.event_id, occurred_at=event.meta["occurred_at"])
                except steps.InvalidReport as exc:
                    raise InvalidEvent(str(exc)) from exc
                if after is state.progress:
                    return state
                new = TourState(state.dispatched, state.tour, after)
                pipe.multi()
                pipe.hset(key, "progress", after.to_json())
            try:
                await pipe.execute()
            except WatchError:
                continue  # the API and the worker folded at the same time: fold again on fresh state
            return new
    raise Unavailable(f"tour {event.tour_id} kept changing; try again", headers={"Retry-After": "1"})


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
    """Publish within half the lock's life, so no other command decides on the tour
    while this one's event may still be on its way."""
    try:
        await asyncio.wait_for(producer.publish(event), lock_seconds / 2)
    except Exception as exc:
        raise Unavailable(f"{what} could not be recorded ({type(exc).__name__}); please try again",
                          headers={"Retry-After": "2"}) from exc


# -- dispatching -----------------------------------------------------------------------------------
async def dispatch_tour(*, plan_id: str, vehicle_id: str, driver_id: str, actor: Actor, redis: Redis,
                        producer: EventProducer, lock_seconds: float) -> TourState:
    """TourDispatched for the plan's tour of the vehicle, once per tour."""
    plan = await projections.load_plan(redis, plan_id)
    if plan is None:
        raise NotFound(f"plan {plan_id} is not known")
    if plan.status == projections.FAILED:
        failure = plan.failure or {}
        raise Conflict(f"plan {plan_id} failed ({failure.get('reason')}: {failure.get('message')}); "
                       "nothing can be dispatched from it")
    if plan.planned is None:
        raise Conflict(f"plan {plan_id} has no tours yet; try again when it is planned",
                       headers={"Retry-After": "2"})
    planned = tour_for_vehicle(plan.planned.tours, vehicle_id)
    if planned is None:
        vehicles = sorted(t["vehicle_id"] for t in plan.planned.tours)
        raise Unprocessable(f"plan {plan_id} has no tour for vehicle {vehicle_id}",
                            details={"vehicles_with_tours": vehicles})
    tour_id = planned["tour_id"]
    async with tour_lock(redis, tour_id, lock_seconds):
        existing = await load_tour(redis, tour_id)
        if existing is not None:
            raise Conflict(f"tour {tour_id} was dispatched already, to driver {existing.driver_id}",
                           details={"tour_id": tour_id, "driver_id": existing.driver_id})
        shipments = await projections.load_shipments(redis, shipment_ids_of(planned))
        places = await projections.load_places(redis, place_ids_of(planned), plan.depot)
        async with _taken_over(redis, plan, vehicle_id, lock_seconds) as old:
            tour = build_tour(planned, plan_id=plan_id, day=plan.planned.day, driver_id=driver_id,
                              shipments=shipments, places=places, vehicle_name=plan.vehicle_name(vehicle_id),
                              replaces_tour_id=old.tour.tour_id if old else None,
                              done_stops=replans.carried_over(planned, old.tour, old.progress) if old else ())
            event = new_event("TourDispatched", producer=API, actor=actor, caused_by=plan.planned,
                              **tour.event_fields())
            await _publish(producer, event, "the dispatch", lock_seconds)
            return await record(redis, event)


@asynccontextmanager
async def _taken_over(redis: Redis, plan: projections.PlanState, vehicle_id: str, lock_seconds: float
                      ) -> AsyncIterator[TourState | None]:
    """The vehicle's tour under way that a re-plan's tour takes over (None when the
    plan is no re-plan, or that tour is not running), locked while it is taken over."""
    replan_of = plan.replan_of
    old_plan = await projections.load_plan(redis, replan_of) if replan_of else None
    old_planned = tour_for_vehicle(old_plan.planned.tours, vehicle_id) if old_plan and old_plan.planned else None
    if old_planned is None:
        yield None
        return
    async with tour_lock(redis, old_planned["tour_id"], lock_seconds):
        old = await load_tour(redis, old_planned["tour_id"])
        yield old if old is not None and replans.replaces(old.tour, old.progress, vehicle_id) else None


# -- reports from the road -------------------------------------------------------------------------
@dataclass(frozen=True)
class Reporter:
    """Who reports and how: the driver in the app, or an operator for the driver
    (a paper sheet entered afterwards, a call)."""

    actor: Actor
    channel: str
    occurred_at: datetime | None = None


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
                          correlation_id=state.dispatched.correlation_id, occurred_at=reporter.occurred_at,
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


# -- the worker: follow logistics.tours and close finished tours --------------------------------------
async def follow_tour(event: Event, redis: Redis, producer: EventProducer) -> None:
    state = await record(redis, event)
    # Only the report that finished the tour closes it (the last one folded in): the
    # API folds reports in before the worker reads them, so earlier reports may
    # already see a finished tour, and must not close it again and again.
    if event.type in ("StopCompleted", "StopFailed") and state.progress.applied[-1:] == (event.event_id,):
        await complete_if_finished(state, redis, producer)


async def complete_if_finished(state: TourState, redis: Redis, producer: EventProducer) -> Event | None:
    """TourCompleted once, when every stop is done or failed. Made by the worker
    owning the tour's partition; the marker remembers the event, so a redelivery
    publishes the same one again (consumers drop it by its id)."""
    if state.progress.completed or not state.progress.finished(state.tour):
        return None
    tour = state.tour

    async def build(tx: Transaction) -> bytes:
        completed = new_event("TourCompleted", producer=WORKER, event_id=str(uuid.uuid5(_COMPLETION_IDS, tour.tour_id)),
                              correlation_id=state.dispatched.correlation_id,
                              **steps.completion(tour, state.progress))
        return completed.encode()

    outcome = await ProcessedMarkers(redis, COMPLETE_TOUR).apply(tour.tour_id, build)
    completed = read_event(outcome.result)
    await producer.publish(completed)
    if outcome.applied:
        log.info("tour completed", extra={"tour_id": tour.tour_id, "stops_completed": completed.stops_completed,
                                          "stops_failed": completed.stops_failed})
    return completed
