"""HTTP routes: each parses a request, authorises the caller and calls a command
(`handlers/commands.py`) or a query (`queries.py`), and turns the answer into JSON
(or the tour sheet's HTML)."""

from __future__ import annotations

from typing import Annotated, Any, Awaitable, Callable

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse
from redis.asyncio import Redis

from nahnetz.clock import today_in_berlin
from nahnetz.events import now_utc
from nahnetz.kit.api import RedisDep, from_state
from nahnetz.kit.auth import CurrentUser, Role, User, require_roles
from nahnetz.kit.errors import Conflict, Forbidden, NotFound, Unavailable, Unprocessable
from nahnetz.kit.http_errors import error_responses
from nahnetz.kit.idempotency_keys import Idempotency
from nahnetz.kit.lookup import found_or_404
from nahnetz.kit.publishing import ProducerDep
from nahnetz.kit.request_model import Day
from nahnetz.messaging.producer import EventProducer

from . import queries
from .domain import reports
from .domain.reports import Reporter
from .handlers import commands
from .handlers.routing_client import RoutingClient, RoutingRefused
from .handlers.tours import TourState, load_tour
from .http_models import (ArrivedIn, CollectedIn, DeliveredIn, DispatchTourIn, FailedIn, ReplanIn, StopReportIn,
                          reported_at)
from .settings import DispatchSettings

RoutingDep = Annotated[RoutingClient, Depends(from_state("routing"))]
Staff = Annotated[User, Depends(require_roles(Role.OPERATOR, Role.ADMIN))]
TourReader = Annotated[User, Depends(require_roles(Role.DRIVER, Role.OPERATOR, Role.ADMIN))]
StopIndex = Annotated[int, Path(ge=0, le=999, description="Position of the stop in the tour, from 0.")]


DispatchSettingsDep = Annotated[DispatchSettings, Depends(from_state("dispatch"))]

# What only the routes know they may answer (the kit documents auth, ids, bodies, keys).
NO_TOUR = (NotFound, "No such tour (a driver sees only their own), or no such stop on it")
REPORT_REFUSED = error_responses(
    NO_TOUR, (Conflict, "The report does not fit what already happened on the tour, or another report on it "
                        "is being recorded right now (retry)"),
    (Unprocessable, "The report breaks a rule (`at`/`channel` from a driver, a time off the tour day, an "
                    "odometer reading going back, nothing to do at the stop)"))


def check_visible(user: User, state: TourState) -> None:
    """A driver sees only their own tours; to anyone else the tour does not exist."""
    if user.role is Role.DRIVER and state.driver_id != user.sub:
        raise NotFound(f"tour {state.tour.tour_id} is not known")


async def visible_tour(redis: Redis, user: User, tour_id: str) -> TourState:
    state = found_or_404(await load_tour(redis, tour_id), f"tour {tour_id} is not known")
    check_visible(user, state)
    return state


def reporter_for(user: User, state: TourState, body: StopReportIn, early: bool) -> Reporter:
    """The assigned driver reports in the app; an operator reports for the driver
    (recorded as on_behalf_of), by default from the paper sheet. `early`: the demo
    stack drives a coming day's tours now (DISPATCH_EARLY_REPORTS)."""
    check_visible(user, state)
    if user.role is Role.DRIVER:
        return reports.by_driver(user.actor(), tour_day=state.tour.day, at=body.at, channel=body.channel,
                                 now=now_utc(), early=early)
    return reports.for_driver(user.actor(on_behalf_of=state.driver_id), tour_day=state.tour.day,
                              at=reported_at(body.at), channel=body.channel, now=now_utc(), early=early)


async def _report(step: str, tour_id: str, seq: int, body: StopReportIn, user: User, redis: Redis,
                  producer: EventProducer, settings: DispatchSettings) -> dict[str, Any]:
    state, event = await commands.report_stop(
        tour_id=tour_id, index=seq, step=step,
        authorize=lambda s: reporter_for(user, s, body, early=settings.reports_before_the_day),
        params=body.params(), proof=body.proof.as_record() if body.proof else None,
        redis=redis, producer=producer, lock_seconds=settings.lock_seconds)
    return {"tour_id": tour_id, "seq": seq, "step": step, "event_type": event.type, "event_id": event.event_id,
            "stop_status": state.progress.statuses(state.tour)[seq].value,
            "tour_status": state.progress.status(state.tour).value, "status_url": f"/v1/tours/{tour_id}"}


ReportStep = Callable[[str, StopReportIn], Awaitable[Any]]


async def stop_reporter(tour_id: str, seq: StopIndex, user: TourReader, redis: RedisDep, producer: ProducerDep,
                        settings: DispatchSettingsDep, once: Idempotency) -> ReportStep:
    """What the four stop reports share (path, caller, Redis, producer, one answer per
    Idempotency-Key); each route adds only its step and body."""
    def report(step: str, body: StopReportIn) -> Awaitable[Any]:
        return once(lambda: _report(step, tour_id, seq, body, user, redis, producer, settings), status_code=201)
    return report


StopReport = Annotated[ReportStep, Depends(stop_reporter)]


def tours_router() -> APIRouter:
    router = APIRouter(prefix="/v1/tours", tags=["tours"])

    @router.post("", status_code=201, responses=error_responses(
        (NotFound, "No such plan"),
        (Conflict, "The plan failed or is not planned yet, or the tour was dispatched already"),
        (Unprocessable, "The plan has no tour for this vehicle")))
    async def dispatch_tour(body: DispatchTourIn, user: Staff, redis: RedisDep, producer: ProducerDep,
                            settings: DispatchSettingsDep, once: Idempotency):
        async def dispatch() -> dict:
            state = await commands.dispatch_tour(plan_id=body.plan_id, vehicle_id=body.vehicle_id,
                                                 driver_id=body.driver_id, actor=user.actor(), redis=redis,
                                                 producer=producer, lock_seconds=settings.lock_seconds)
            return {**queries.tour_summary(state), "event_id": state.tour.event_id}

        return await once(dispatch, status_code=201)

    @router.get("")
    async def tours_of_day(user: Staff, redis: RedisDep, day: Day | None = None) -> dict:
        day = day or today_in_berlin()
        found = await queries.tours_of_day(redis, day)
        return {"day": day.isoformat(), "tours": [queries.tour_summary(s) for s in found]}

    @router.get("/{tour_id}", responses=error_responses(NO_TOUR))
    async def get_tour(tour_id: str, user: TourReader, redis: RedisDep) -> dict:
        return queries.tour_view(await visible_tour(redis, user, tour_id))

    @router.get("/{tour_id}/sheet", response_class=HTMLResponse, responses=error_responses(
        NO_TOUR, (Unprocessable, "The sheet comes only as `format=html`")))
    async def get_sheet(tour_id: str, user: TourReader, redis: RedisDep, format: str = "html") -> HTMLResponse:
        if format != "html":
            raise Unprocessable(f"the tour sheet comes as html (print it on A4), not as {format!r}")
        state = await visible_tour(redis, user, tour_id)
        return HTMLResponse(await queries.sheet_html(redis, state, now_utc()))

    @router.post("/{tour_id}/stops/{seq}/arrived", status_code=201, responses=REPORT_REFUSED)
    async def report_arrived(report: StopReport, body: ArrivedIn | None = None):
        return await report("arrived", body or ArrivedIn())

    @router.post("/{tour_id}/stops/{seq}/collected", status_code=201, responses=REPORT_REFUSED)
    async def report_collected(report: StopReport, body: CollectedIn | None = None):
        return await report("collected", body or CollectedIn())

    @router.post("/{tour_id}/stops/{seq}/delivered", status_code=201, responses=REPORT_REFUSED)
    async def report_delivered(report: StopReport, body: DeliveredIn | None = None):
        return await report("delivered", body or DeliveredIn())

    @router.post("/{tour_id}/stops/{seq}/failed", status_code=201, responses=REPORT_REFUSED)
    async def report_failed(report: StopReport, body: FailedIn):
        return await report("failed", body)

    @router.post("/{tour_id}/replan", status_code=202, responses=error_responses(
        NO_TOUR, (Conflict, "The tour is finished, or the routing service refused the re-plan"),
        (Forbidden, "The routing service refused this operator"),
        (Unavailable, "The routing service does not answer or is not configured; try again later"),
        RoutingRefused))
    async def replan(tour_id: str, request: Request, user: Staff, redis: RedisDep, routing: RoutingDep,
                     settings: DispatchSettingsDep, once: Idempotency, body: ReplanIn | None = None):
        body = body or ReplanIn()

        async def ask_routing() -> dict:
            state = await visible_tour(redis, user, tour_id)
            # The operator's own token: routing decides whether this operator may plan.
            token = request.headers["authorization"].split(" ", 1)[1]
            return await commands.replan_tour(
                state, routing=routing, time_budget_s=body.time_budget_s or settings.replan_time_budget_seconds,
                token=token, idempotency_key=f"dispatch-replan:{tour_id}:{once.key}" if once.key else None)

        return await once(ask_routing, status_code=202)

    return router


def drivers_router() -> APIRouter:
    router = APIRouter(prefix="/v1/drivers", tags=["drivers"])

    @router.get("/me/tours")
    async def my_tours(user: CurrentUser, redis: RedisDep, day: Day | None = None) -> dict:
        """The caller's tours of `day`; without it, of the first day from today on with a tour
        still to drive (a driver opening the app the evening before sees tomorrow's)."""
        day = day or await queries.next_tour_day(redis, user.sub, today_in_berlin())
        found = await queries.driver_tours(redis, user.sub, day)
        return {"driver_id": user.sub, "day": day.isoformat(), "tours": [queries.tour_view(s) for s in found]}

    return router
