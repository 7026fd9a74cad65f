"""HTTP routes: each turns a request into a handler call and the answer into JSON
(or the tour sheet's HTML)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse

from nahnetz.events import now_utc
from nahnetz.kit.api import RedisDep, from_state
from nahnetz.kit.auth import CurrentUser, Role, User, require_roles
from nahnetz.kit.errors import Conflict, NotFound, Unprocessable
from nahnetz.kit.idempotency_keys import Idempotency
from nahnetz.messaging.producer import EventProducer

from . import keys
from .domain.progress import TourStatus
from .domain.sheet import BERLIN, tour_sheet
from .handlers import projections, tours, views
from .handlers.tours import Reporter, TourState
from .http_models import (ArrivedIn, CollectedIn, DeliveredIn, DispatchTourIn, FailedIn, ReplanIn, StopReportIn,
                          reported_at)
from .routing_client import PlanRequest, RoutingClient
from .settings import DispatchSettings
from .sheet import render_sheet

ProducerDep = Annotated[EventProducer, Depends(from_state("producer"))]
RoutingDep = Annotated[RoutingClient, Depends(from_state("routing"))]
Staff = Annotated[User, Depends(require_roles(Role.OPERATOR, Role.ADMIN))]
TourReader = Annotated[User, Depends(require_roles(Role.DRIVER, Role.OPERATOR, Role.ADMIN))]
StopIndex = Annotated[int, Path(ge=0, le=999, description="Position of the stop in the tour, from 0.")]
# A paper sheet is entered within days; a time further back or ahead is a typo.
PAPER_TIME_SLACK = timedelta(days=2)


def dispatch_settings(request: Request) -> DispatchSettings:
    return request.app.state.dispatch


DispatchSettingsDep = Annotated[DispatchSettings, Depends(dispatch_settings)]


def today_in_berlin() -> date:
    return datetime.now(BERLIN).date()


def check_visible(user: User, state: TourState) -> None:
    """A driver sees only their own tours; to anyone else the tour does not exist."""
    if user.role is Role.DRIVER and state.driver_id != user.sub:
        raise NotFound(f"tour {state.tour.tour_id} is not known")


async def visible_tour(redis, user: User, tour_id: str) -> TourState:
    state = await tours.load_tour(redis, tour_id)
    if state is None:
        raise NotFound(f"tour {tour_id} is not known")
    check_visible(user, state)
    return state


def reporter_for(user: User, state: TourState, body: StopReportIn) -> Reporter:
    """The assigned driver reports in the app; an operator reports for the driver
    (recorded as on_behalf_of), by default from the paper sheet."""
    check_visible(user, state)
    if user.role is Role.DRIVER:
        if body.at is not None or body.channel is not None:
            raise Unprocessable("`at` and `channel` are for an operator entering a paper sheet; "
                                "the app reports as it happens")
        return Reporter(user.actor(), "APP")
    at = reported_at(body.at)
    if at is not None:
        day = datetime.combine(state.tour.day, datetime.min.time(), BERLIN).astimezone(timezone.utc)
        if at > now_utc() + timedelta(minutes=5) or not (day - PAPER_TIME_SLACK <= at <= day + PAPER_TIME_SLACK):
            raise Unprocessable(f"`at` {at.isoformat()} does not fit tour day {state.tour.day.isoformat()} "
                                "or lies in the future")
    return Reporter(user.actor(on_behalf_of=state.driver_id), body.channel or "PAPER", at)


async def _report(step: str, tour_id: str, seq: int, body: StopReportIn, user: User, redis, producer: EventProducer,
                  settings: DispatchSettings) -> dict[str, Any]:
    state, event = await tours.report_stop(
        tour_id=tour_id, index=seq, step=step, authorize=lambda s: reporter_for(user, s, body),
        params=body.params(), proof=body.proof.as_record() if body.proof else None,
        redis=redis, producer=producer, lock_seconds=settings.lock_seconds)
    return {"tour_id": tour_id, "seq": seq, "step": step, "event_type": event.type, "event_id": event.event_id,
            "stop_status": state.progress.statuses(state.tour)[seq].value,
            "tour_status": state.progress.status(state.tour).value, "status_url": f"/v1/tours/{tour_id}"}


def tours_router() -> APIRouter:
    router = APIRouter(prefix="/v1/tours", tags=["tours"])

    @router.post("", status_code=201)
    async def dispatch_tour(body: DispatchTourIn, user: Staff, redis: RedisDep, producer: ProducerDep,
                            settings: DispatchSettingsDep, once: Idempotency):
        async def dispatch() -> dict:
            state = await tours.dispatch_tour(plan_id=body.plan_id, vehicle_id=body.vehicle_id,
                                              driver_id=body.driver_id, actor=user.actor(), redis=redis,
                                              producer=producer, lock_seconds=settings.lock_seconds)
            return {**views.tour_summary(state), "event_id": state.dispatched.event_id}

        return await once(dispatch, status_code=201)

    @router.get("")
    async def tours_of_day(user: Staff, redis: RedisDep, day: date | None = None) -> dict:
        day = day or today_in_berlin()
        found = await tours.load_tours(redis, list(await redis.smembers(keys.tours_of_day(day))))
        return {"day": day.isoformat(), "tours": [views.tour_summary(s) for s in found]}

    @router.get("/{tour_id}")
    async def get_tour(tour_id: str, user: TourReader, redis: RedisDep) -> dict:
        return views.tour_view(await visible_tour(redis, user, tour_id))

    @router.get("/{tour_id}/sheet", response_class=HTMLResponse)
    async def get_sheet(tour_id: str, user: TourReader, redis: RedisDep, format: str = "html") -> HTMLResponse:
        if format != "html":
            raise Unprocessable(f"the tour sheet comes as html (print it on A4), not as {format!r}")
        state = await visible_tour(redis, user, tour_id)
        places = await projections.load_places(redis, [s.place_id for s in state.tour.stops])
        sheet = tour_sheet(state.tour, places=places, now=now_utc(), progress=state.progress)
        return HTMLResponse(render_sheet(sheet))

    @router.post("/{tour_id}/stops/{seq}/arrived", status_code=201)
    async def report_arrived(tour_id: str, seq: StopIndex, user: TourReader, redis: RedisDep,
                             producer: ProducerDep, settings: DispatchSettingsDep, once: Idempotency,
                             body: ArrivedIn | None = None):
        body = body or ArrivedIn()
        return await once(lambda: _report("arrived", tour_id, seq, body, user, redis, producer, settings),
                          status_code=201)

    @router.post("/{tour_id}/stops/{seq}/collected", status_code=201)
    async def report_collected(tour_id: str, seq: StopIndex, user: TourReader, redis: RedisDep,
                               producer: ProducerDep, settings: DispatchSettingsDep, once: Idempotency,
                               body: CollectedIn | None = None):
        body = body or CollectedIn()
        return await once(lambda: _report("collected", tour_id, seq, body, user, redis, producer, settings),
                          status_code=201)

    @router.post("/{tour_id}/stops/{seq}/delivered", status_code=201)
    async def report_delivered(tour_id: str, seq: StopIndex, user: TourReader, redis: RedisDep,
                               producer: ProducerDep, settings: DispatchSettingsDep, once: Idempotency,
                               body: DeliveredIn | None = None):
        body = body or DeliveredIn()
        return await once(lambda: _report("delivered", tour_id, seq, body, user, redis, producer, settings),
                          status_code=201)

    @router.post("/{tour_id}/stops/{seq}/failed", status_code=201)
    async def report_failed(tour_id: str, seq: StopIndex, body: FailedIn, user: TourReader, redis: RedisDep,
                            producer: ProducerDep, settings: DispatchSettingsDep, once: Idempotency):
        return await once(lambda: _report("failed", tour_id, seq, body, user, redis, producer, settings),
                          status_code=201)

    @router.post("/{tour_id}/replan", status_code=202)
    async def replan(tour_id: str, request: Request, user: Staff, redis: RedisDep, routing: RoutingDep,
                     settings: DispatchSettingsDep, once: Idempotency, body: ReplanIn | None = None):
        body = body or ReplanIn()

        async def ask_routing() -> dict:
            state = await visible_tour(redis, user, tour_id)
            if state.progress.status(state.tour) in (TourStatus.FINISHED, TourStatus.COMPLETED):
                raise Conflict(f"tour {tour_id} is finished; there is nothing left to re-plan")
            plan = PlanRequest(day=state.tour.day, replan_of=state.tour.plan_id,
                               time_budget_s=body.time_budget_s or settings.replan_time_budget_seconds)
            token = request.headers["authorization"].split(" ", 1)[1]
            accepted = await routing.request_plan(
                plan, token=token, idempotency_key=f"dispatch-replan:{tour_id}:{once.key}" if once.key else None)
            return {"tour_id": tour_id, "replan_of": state.tour.plan_id, "plan_id": accepted.plan_id,
                    "status": "requested", "status_url": accepted.status_url or f"/v1/plans/{accepted.plan_id}"}

        return await once(ask_routing, status_code=202)

    return router


def drivers_router() -> APIRouter:
    router = APIRouter(prefix="/v1/drivers", tags=["drivers"])

    @router.get("/me/tours")
    async def my_tours(user: CurrentUser, redis: RedisDep, day: date | None = None) -> dict:
        day = day or today_in_berlin()
        found = await tours.load_tours(redis, list(await redis.smembers(keys.driver_tours(user.sub, day))))
        return {"driver_id": user.sub, "day": day.isoformat(), "tours": [views.tour_view(s) for s in found]}

    return router
