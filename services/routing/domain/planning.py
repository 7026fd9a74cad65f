"""From a plan request and the hub's shipments to the solver's Problem (pure).

Which shipments a plan for day X carries (`job_for_day`), per shipment:

| shipment | legs |
|---|---|
| REQUESTED, collected on X, delivered on X | both: shop to hub (or direct) and on to the pick-up point |
| REQUESTED, collected on X, delivered later | to the hub only (kept there) |
| AT_HUB (or collected on an earlier day), delivered on X | from the hub only |
| on a dispatched tour of the plan being re-planned, stop done or under way | as on that tour, with those stops fixed first on its vehicle |

The legs of the day are then consolidated into jobs by place, not by shipment
(`consolidation`): one collection per shop, one delivery per pick-up point,
through Logistikport HX. Every job is optional with a penalty far above any
routing cost, so a day with more goods than vans still gets a plan, and what
does not fit is reported with its reason and stays due.

Left out with a reason the operator sees: goods that a plan of an earlier day
collects for the hub and that are not there yet, a collection without a usable
window, goods collected on a tour still running (re-plan that plan), goods of a
cancelled order on their way (they go back to the shop). Withdrawn (cancelled,
not collected) and delivered shipments are not part of a plan.

Times are seconds from local midnight of the planning day; windows are
half-open in UTC, so service must end by a window's end.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from time import monotonic
from typing import Awaitable, Callable, Iterable, Mapping, Sequence

from nahnetz.records import Depot, RouteJob, RoutePlanRequested
from nahnetz.records import Vehicle as PlanVehicle

from .consolidation import (
    Consolidated,
    DayContext,
    Goods,
    JobSpec,
    Role,
    consolidate,
    penalty,
    point_service_s,
    shop_service_s,
)
from .fleet import EU_BREAK_S, cents, local_instant, local_midnight, vehicle_problems
from .replanning import TourProgress
from .shipments import LeftOut, Place, ServiceTimes, ShipmentRecord, UtcWindow
from .solver import (DEFAULT_RELOAD_S, BreakRule, DropReason, FixedPrefix, Job, JobKind, Location, Problem, Solution,
                     SolveStatus, Stop, StopKind, StopRef, TemperatureClass, TimeWindow, TravelMatrix, Vehicle)


class PlanningError(ValueError):
    """The request cannot become a problem; `reason` is a PlanFailureReason symbol."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class PlanningRules:
    """The hub's day: goods collected for distribution today must be at the hub
    by `hub_ready_at` (local time); from then on they are loaded for the last mile."""

    hub_ready_at: time = time(11, 0)


def depot_place(depot: Depot) -> Place:
    return Place(depot.depot_id, depot.name, depot.location.lat, depot.location.lon)


@dataclass(frozen=True)
class PlanningInput:
    problem: Problem
    reference: datetime  # the instant of second 0
    places: Mapping[str, Place]  # by location id
    specs: Mapping[str, JobSpec]  # by job id
    left_out: tuple[LeftOut, ...] = ()
    hub_id: str = ""
    ready_s: int = 0  # the hub's consolidation time
    # To consolidate again in a later round: the day's goods, how, and the jobs kept as they are.
    goods: tuple[Goods, ...] = ()
    context: DayContext | None = None
    kept_jobs: tuple[Job, ...] = ()
    force_direct: frozenset[str] = frozenset()

    @property
    def job_shipments(self) -> dict[str, tuple[str, ...]]:
        return {job_id: spec.shipment_ids for job_id, spec in self.specs.items()}

    def instant(self, seconds: float) -> datetime:
        return self.reference + timedelta(seconds=seconds)

    def with_budget(self, seconds: float) -> PlanningInput:
        return replace(self, problem=replace(self.problem, time_budget_s=max(0.5, seconds)))

    def missed_hub(self, solution: Solution) -> frozenset[str]:
        """Goods for today's distribution whose collection to the hub is left out."""
        return frozenset(sid for d in solution.dropped if self.specs[d.job_id].hub_deadline
                         for sid in self.specs[d.job_id].shipment_ids)

    def stranded(self, solution: Solution) -> frozenset[str]:
        """Shipments a served distribution would load at the hub although their
        collection is left out: they are not there to load."""
        missing = self.missed_hub(solution)
        served = {s.job_id for t in solution.tours for s in t.stops if s.job_id}
        return frozenset(sid for job_id in served if self.specs[job_id].role is Role.DISTRIBUTE
                         for sid in self.specs[job_id].collected_today if sid in missing)

    def served_shipments(self, solution: Solution) -> int:
        served = {s.job_id for t in solution.tours for s in t.stops if s.job_id}
        return len({sid for j in served for sid in self.specs[j].shipment_ids} - self.stranded(solution))

    def next_round(self, solution: Solution) -> PlanningInput | None:
        """The day again with the goods whose collection for today's distribution
        the optimiser left out (no van had time before the consolidation) sent
        direct (shop -> point, e.g. in the afternoon); None when there are none."""
        missing = frozenset(sid for d in solution.dropped if d.reason is DropReason.LEFT_OUT_BY_OPTIMISER
                            and self.specs[d.job_id].hub_deadline for sid in self.specs[d.job_id].shipment_ids)
        missing -= self.force_direct
        if not missing or self.context is None:
            return None
        return self._with_direct(self.force_direct | missing)

    def as_published(self, job_ids: Iterable[str]) -> PlanningInput:
        """The round a published plan was solved in, for re-checking it: the
        collections for today's distribution it no longer names went direct."""
        named = set(job_ids)
        gone = frozenset(sid for job in self.problem.jobs if self.specs[job.id].hub_deadline and job.id not in named
                         for sid in self.specs[job.id].shipment_ids)
        return self._with_direct(self.force_direct | gone) if gone - self.force_direct else self

    def _with_direct(self, force: frozenset[str]) -> PlanningInput:
        assert self.context is not None
        made = consolidate(self.goods, self.context, force)
        specs = {j.id: self.specs[j.id] for j in self.kept_jobs}
        specs.update(made.specs)
        problem = replace(self.problem, jobs=self.kept_jobs + tuple(made.jobs))
        return replace(self, problem=problem, specs=specs, force_direct=force)


MatrixFunction = Callable[[Sequence[Location]], TravelMatrix]


def windows_in_seconds(reference: datetime, windows: Sequence[UtcWindow], service_s: int
                       ) -> tuple[TimeWindow, ...] | None:
    """Windows in which service can start and end; () for any time, None when none is usable."""
    if not windows:
        return ()
    usable: list[TimeWindow] = []
    for window in sorted(windows, key=lambda w: w.start):
        start = max(0, int((window.start - reference).total_seconds()))
        end = int((window.end - reference).total_seconds()) - service_s  # service must be done when it closes
        if end >= start and (not usable or start > usable[-1].end_s):
            usable.append(TimeWindow(start, end))
    return tuple(usable) or None


@dataclass
class _Builder:
    request: RoutePlanRequested
    service: ServiceTimes
    reference: datetime
    places: dict[str, Place] = field(default_factory=dict)
    jobs: list[Job] = field(default_factory=list)
    specs: dict[str, JobSpec] = field(default_factory=dict)
    left_out: list[LeftOut] = field(default_factory=list)

    @property
    def depot(self) -> Place:
        return depot_place(self.request.depot)

    def seconds(self, instant: datetime) -> int:
        return int((instant - self.reference).total_seconds())

    def place(self, place: Place) -> str:
        self.places.setdefault(place.place_id, place)
        return place.place_id

    def windows(self, windows: Sequence[UtcWindow], service_s: int) -> tuple[TimeWindow, ...] | None:
        return windows_in_seconds(self.reference, windows, service_s)

    def leave_out(self, shipment: ShipmentRecord, reason: str, detail: str) -> None:
        self.left_out.append(LeftOut(shipment.shipment_id, (shipment.shipment_id,), reason, detail))

    def add_extra(self, job: RouteJob) -> None:
        if job.kind not in ("PICKUP", "DELIVERY"):
            raise PlanningError("INVALID_REQUEST", f"job {job.job_id} has the kind {job.kind}, which this planner "
                                                   "does not know (PICKUP or DELIVERY)")
        if job.job_id in self.specs or any(j.job_id == job.job_id for j in self.left_out):
            raise PlanningError("INVALID_REQUEST", f"job id {job.job_id} is used twice")
        windows = self.windows(job.time_windows, job.service_s)
        if windows is None:
            self.left_out.append(LeftOut(job.job_id, tuple(job.shipment_ids), "TIME_WINDOW",
                                         "its time windows are too short for the visit"))
            return
        stop = Stop(self.place(Place(job.place_id, None, job.location.lat, job.location.lon)), windows,
                    job.service_s)
        kind = JobKind.PICKUP if job.kind == "PICKUP" else JobKind.DELIVERY
        self.jobs.append(Job(job.job_id, kind, pickup=stop if kind is JobKind.PICKUP else None,
                             delivery=stop if kind is JobKind.DELIVERY else None,
                             weight_kg=job.weight_g / 1000, volume_l=job.volume_ml / 1000,
                             temperature=TemperatureClass(job.temperature_class),
                             penalty=penalty(len(job.shipment_ids))))
        self.specs[job.job_id] = JobSpec(Role.EXTRA, tuple(job.shipment_ids))

    def vehicle(self, record: PlanVehicle) -> Vehicle:
        problems = vehicle_problems(record)
        if problems:
            raise PlanningError("INVALID_REQUEST", "; ".join(problems))
        start, end = max(0, self.seconds(record.shift.start)), self.seconds(record.shift.end)
        if end <= start:
            raise PlanningError("INVALID_REQUEST", f"vehicle {record.vehicle_id}: its shift is over before the day starts")
        depot = self.request.depot.depot_id
        return Vehicle(
            id=record.vehicle_id, start_location_id=depot, end_location_id=depot, shift=TimeWindow(start, end),
            capacity_kg=record.max_weight_g / 1000, capacity_l=record.max_volume_ml / 1000,
            temperatures=frozenset(TemperatureClass(t) for t in record.temperature_classes),
            cost_per_km=(cents(record.cost_per_km) or 0) / 100, cost_per_hour=(cents(record.cost_per_hour) or 0) / 100,
            fixed_cost=(cents(record.fixed_cost) or 0) / 100,
            breaks=None if record.break_after_s is None else BreakRule(
                record.break_after_s, record.break_s or EU_BREAK_S),
            max_trips=record.max_trips or 1, reload_s=DEFAULT_RELOAD_S if record.reload_s is None else record.reload_s,
        )


def job_for_day(shipment: ShipmentRecord, day: date) -> JobKind | tuple[str, str] | None:
    """How a plan for `day` carries the shipment: a job kind, (reason, detail) when
    it should but cannot, None when the day's plan has nothing to do with it."""
    status, collected_on = shipment.status, shipment.collection_day
    if status == "DELIVERED" or (status == "REQUESTED" and shipment.order_cancelled):
        return None
    if status == "REQUESTED":
        if collected_on == day:
            return JobKind.SHIPMENT if shipment.delivery_day == day else JobKind.PICKUP
        if collected_on is None and shipment.delivery_day == day:
            return "TIME_WINDOW", "the shop has no collection window for this delivery"
        if collected_on is not None and collected_on < day <= shipment.delivery_day:
            return ("OTHER", f"to be collected on {collected_on.isoformat()} and kept at the hub: the plan of that "
                             "day collects it (a failed collection reported there is requested again); a plan of "
                             f"{shipment.delivery_day.isoformat()} delivers it once it is collected")
        return None
    if shipment.delivery_day != day:
        return None
    if shipment.order_cancelled:
        return "OTHER", "the order was cancelled: the goods go back to the shop, not to the pick-up point"
    if status == "AT_HUB" or (collected_on is not None and collected_on < day):
        return JobKind.DELIVERY
    return ("OTHER", "collected on a tour that is still running: re-plan that tour's plan (replan_of) "
                     "to keep the goods on their vehicle")


@dataclass(frozen=True)
class DraftProblem:
    """Everything of the problem but the travel matrix, which is fetched for
    `locations` (possibly over the network) before `with_matrix` finishes it:
    the day's goods are consolidated into jobs then, since whether a shop's
    goods can reach the hub in time depends on travel times."""

    request: RoutePlanRequested
    locations: tuple[Location, ...]
    vehicles: tuple[Vehicle, ...]
    goods: tuple[Goods, ...]
    jobs: tuple[Job, ...]  # carried on from dispatched tours, and the request's own
    specs: Mapping[str, JobSpec]
    fixed_prefixes: tuple[FixedPrefix, ...]
    reference: datetime
    places: Mapping[str, Place]
    left_out: tuple[LeftOut, ...]
    shipments: Mapping[str, ShipmentRecord]
    service: ServiceTimes
    rules: PlanningRules

    def with_matrix(self, matrix: TravelMatrix) -> PlanningInput:
        index = {loc.id: i for i, loc in enumerate(self.locations)}
        if matrix.size != len(index):
            raise PlanningError("INVALID_REQUEST", "travel matrix size differs from the number of places")
        ready_s = int((local_instant(self.request.day, self.rules.hub_ready_at) - self.reference).total_seconds())
        ctx = DayContext(
            hub_id=self.request.depot.depot_id, service=self.service, ready_s=ready_s, vehicles=self.vehicles,
            windows=lambda windows, service_s: windows_in_seconds(self.reference, windows, service_s),
            duration=lambda a, b: matrix.durations_s[index[a]][index[b]],
        )
        made: Consolidated = consolidate(self.goods, ctx)
        try:
            problem = Problem(locations=self.locations, matrix=matrix, vehicles=self.vehicles,
                              jobs=self.jobs + tuple(made.jobs), fixed_prefixes=self.fixed_prefixes,
                              time_budget_s=float(self.request.time_budget_s))
        except ValueError as exc:
            raise PlanningError("INVALID_REQUEST", str(exc)) from exc
        return PlanningInput(problem, self.reference, self.places, {**self.specs, **made.specs},
                             self.left_out + tuple(made.left_out), hub_id=self.request.depot.depot_id,
                             ready_s=ready_s, goods=self.goods, context=ctx, kept_jobs=self.jobs)


def draft_problem(request: RoutePlanRequested, shipments: Iterable[ShipmentRecord], *,
                  tours: Sequence[TourProgress] = (), service: ServiceTimes = ServiceTimes(),
                  rules: PlanningRules = PlanningRules()) -> DraftProblem:
    """The solver's problem for the request, but for the matrix; raises
    PlanningError when there is none."""
    if not request.vehicles:
        raise PlanningError("NO_VEHICLES", "the request has no vehicles")
    builder = _Builder(request, service, local_midnight(request.day))
    builder.place(builder.depot)
    vehicles = tuple(builder.vehicle(v) for v in request.vehicles)
    by_id = {s.shipment_id: s for s in shipments}
    prefixes, carried, onward = _carried_on(builder, tours, by_id, {v.id for v in vehicles})
    goods = [Goods(by_id[sid], JobKind.DELIVERY, at_hub_early=False) for sid in onward]
    for shipment in sorted(by_id.values(), key=lambda s: s.shipment_id):
        if shipment.shipment_id in carried:
            continue
        decision = job_for_day(shipment, request.day)
        if isinstance(decision, JobKind):
            goods.append(Goods(shipment, decision))
        elif decision is not None:
            builder.leave_out(shipment, *decision)
    for item in goods:
        if item.legs in (JobKind.SHIPMENT, JobKind.PICKUP):
            builder.place(item.shipment.shop)
        if item.legs in (JobKind.SHIPMENT, JobKind.DELIVERY):
            builder.place(item.shipment.point)
    for job in request.jobs:
        builder.add_extra(job)
    if not goods and not builder.jobs and not builder.left_out:
        raise PlanningError("NO_JOBS", f"nothing to carry on {request.day.isoformat()}")
    return DraftProblem(
        request=request,
        locations=tuple(Location(p.place_id, lat=p.lat, lon=p.lon) for p in builder.places.values()),
        vehicles=vehicles, goods=tuple(goods), jobs=tuple(builder.jobs), specs=dict(builder.specs),
        fixed_prefixes=prefixes, reference=builder.reference, places=dict(builder.places),
        left_out=tuple(builder.left_out), shipments=by_id, service=service, rules=rules,
    )


def build_problem(request: RoutePlanRequested, shipments: Iterable[ShipmentRecord], matrix: MatrixFunction, *,
                  tours: Sequence[TourProgress] = (), service: ServiceTimes = ServiceTimes(),
                  rules: PlanningRules = PlanningRules()) -> PlanningInput:
    """`draft_problem` finished with a matrix computed in place (tools and tests)."""
    draft = draft_problem(request, shipments, tours=tours, service=service, rules=rules)
    return draft.with_matrix(matrix(draft.locations))


def _carried_on(builder: _Builder, tours: Sequence[TourProgress], shipments: Mapping[str, ShipmentRecord],
                vehicle_ids: set[str]) -> tuple[tuple[FixedPrefix, ...], set[str], list[str]]:
    """Re-planning: the goods whose ride on a dispatched tour has begun stay on
    it, as jobs between the tour's stops, with the stops done or under way fixed
    first on the vehicle. Returns the prefixes, the shipments carried on, and
    those of them that still go from the hub to their pick-up point today."""
    prefixes: list[FixedPrefix] = []
    carried: set[str] = set()
    ends: dict[str, set[str]] = defaultdict(set)  # shipment -> where its rides end: "hub" or "point"
    seen_vehicles: set[str] = set()
    hub = builder.depot
    for tour in tours:
        legs = [leg for leg in tour.fixed_legs() if leg.shipment_id in shipments]  # unknown: nothing to keep
        if not legs:
            continue
        if tour.vehicle_id not in vehicle_ids:
            raise PlanningError("INVALID_REQUEST", f"vehicle {tour.vehicle_id} of tour {tour.tour_id} has stops done "
                                                   "or under way but is not among the request's vehicles")
        if tour.vehicle_id in seen_vehicles:
            raise PlanningError("INVALID_REQUEST", f"vehicle {tour.vehicle_id} has two dispatched tours in the plan")
        seen_vehicles.add(tour.vehicle_id)
        rides: dict[tuple[int, int, bool], list[ShipmentRecord]] = defaultdict(list)
        for leg in legs:
            rides[(leg.load, leg.unload, tour.delivered_at(leg))].append(shipments[leg.shipment_id])
            carried.add(leg.shipment_id)
            ends[leg.shipment_id].add("hub" if tour.stops[leg.unload].place_id == hub.place_id else "point")
        pickups: dict[int, list[StopRef]] = defaultdict(list)
        deliveries: dict[int, list[StopRef]] = defaultdict(list)
        for (load, unload, delivered), records in sorted(rides.items()):
            job_id = f"{tour.tour_id}:{load}>{unload}" + ("" if delivered else ":open")
            builder.jobs.append(_carried_job(builder, job_id, tour, load, unload, delivered, records))
            builder.specs[job_id] = JobSpec(Role.CARRIED, tuple(r.shipment_id for r in records))
            pickups[load].append(StopRef(job_id, StopKind.PICKUP))
            if delivered:
                deliveries[unload].append(StopRef(job_id, StopKind.DELIVERY))
        order = [ref for index in range(tour.reached + 1) for ref in deliveries[index] + pickups[index]]
        prefixes.append(FixedPrefix(tour.vehicle_id, tuple(order)))
    day = builder.request.day
    onward = sorted(sid for sid in carried if ends[sid] == {"hub"} and shipments[sid].delivery_day == day
                    and shipments[sid].status != "DELIVERED" and not shipments[sid].order_cancelled)
    return tuple(prefixes), carried, onward


def _carried_job(builder: _Builder, job_id: str, tour: TourProgress, load: int, unload: int, delivered: bool,
                 records: Sequence[ShipmentRecord]) -> Job:
    """Done stops keep no window (their time has passed); a delivery still to
    come keeps its pick-up point's opening hours."""
    service, hub = builder.service, builder.depot

    def place(index: int) -> Place:
        place_id = tour.stops[index].place_id
        for r in records:
            for candidate in (r.shop, r.point):
                if candidate.place_id == place_id:
                    return candidate
        return hub

    start, end = place(load), place(unload)
    pickup_s = service.at_hub_s if start.place_id == hub.place_id else shop_service_s(records, service.at_shop_s, service)
    if end.place_id == hub.place_id:
        delivery = Stop(builder.place(end), (), service.at_hub_s)
    else:
        delivery_s = point_service_s(records, service.at_point_s, service)
        windows = () if delivered else (builder.windows(records[0].delivery_windows, delivery_s) or ())
        delivery = Stop(builder.place(end), windows, delivery_s)
    strictest = max((TemperatureClass(r.temperature_class) for r in records),
                    key=list(TemperatureClass).index)
    return Job(job_id, JobKind.SHIPMENT, pickup=Stop(builder.place(start), (), pickup_s), delivery=delivery,
               weight_kg=sum(r.weight_g for r in records) / 1000, volume_l=sum(r.volume_ml for r in records) / 1000,
               temperature=strictest, penalty=penalty(len(records)))


# -- solving in rounds ------------------------------------------------------------------------------
FIRST_ROUND_SHARE = 0.5  # of the time budget, when a second round may be needed
MIN_ROUND_S = 1.0  # a round with less time finds little: the first solution stands


async def solve_in_rounds(inp: PlanningInput, solve: Callable[[Problem], Awaitable[Solution]],
                          clock: Callable[[], float] = monotonic) -> tuple[PlanningInput, Solution]:
    """Solve within the problem's time budget, in at most two rounds. The solver
    cannot know that a distribution needs the day's collections: when it leaves
    out a collection for today's distribution, the day is solved again with
    those goods direct from the shop (`PlanningInput.next_round`) in the time
    left, and the round serving more shipments wins. Goods whose collection is
    left out in the winning round are left off their distribution's stop
    (`PlanningInput.stranded`) and reported with their collection."""
    started = clock()
    budget = inp.problem.time_budget_s
    may_repeat = any(spec.hub_deadline for spec in inp.specs.values())
    solution = await solve(inp.with_budget(budget * FIRST_ROUND_SHARE if may_repeat else budget).problem)
    following = inp.next_round(solution)
    left = budget - (clock() - started)
    if following is not None and left >= MIN_ROUND_S:
        again = await solve(following.with_budget(left).problem)
        if again.status is SolveStatus.SOLVED and (
                solution.status is not SolveStatus.SOLVED
                or following.served_shipments(again) > inp.served_shipments(solution)):
            inp, solution = following.with_budget(left), again
    return inp, replace(solution, solve_seconds=clock() - started)
