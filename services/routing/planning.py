"""From a plan request and the hub's shipments to the solver's Problem (pure).

Which shipments a plan for day X carries, and how:

| shipment | job |
|---|---|
| REQUESTED, collected on X, delivered on X | SHIPMENT: pick up at the shop, deliver at the pick-up point, same vehicle |
| REQUESTED, collected on X, delivered later | PICKUP: collect at the shop, bring to the hub (kept there) |
| AT_HUB (or collected on an earlier day), delivered on X | DELIVERY: load at the hub, deliver at the pick-up point |
| on a dispatched tour of the plan being re-planned, stop done or under way | as on that tour, with those stops fixed first on its vehicle |

Left out with a reason the operator sees: goods that a plan of an earlier day
collects for the hub and that are not there yet, a collection without a usable
window, goods collected on a tour still running (re-plan that plan), goods of a
cancelled order on their way (they go back to the shop). Withdrawn (cancelled,
not collected) and delivered shipments are not part of a plan.

Service times: 5 min at a shop, 3 min + 1 min per compartment at a pick-up
point. Times are seconds from local midnight of the planning day; windows are
half-open in UTC, so service must end by a window's end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Callable, Iterable, Mapping, Sequence

from .fleet import BERLIN, VehicleRecord, local_midnight
from .replanning import TourProgress
from .solver import (
    FixedPrefix,
    Job,
    JobKind,
    Location,
    Problem,
    Stop,
    StopKind,
    TemperatureClass,
    TimeWindow,
    TravelMatrix,
    Vehicle,
)


class PlanningError(ValueError):
    """The request cannot become a problem; `reason` is a PlanFailureReason symbol."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class ServiceTimes:
    at_shop_s: int = 300
    at_point_s: int = 180
    per_compartment_s: int = 60
    at_depot_s: int = 0

    def at_point(self, compartments: int) -> int:
        return self.at_point_s + self.per_compartment_s * max(1, compartments)


@dataclass(frozen=True)
class Place:
    place_id: str
    name: str | None
    lat: float
    lon: float

    @property
    def location(self) -> dict[str, float]:
        return {"lat": self.lat, "lon": self.lon}


@dataclass(frozen=True)
class UtcWindow:
    start: datetime
    end: datetime  # exclusive


@dataclass(frozen=True)
class ShipmentRecord:
    """Routing's view of a shipment (projected from logistics.shipments)."""

    shipment_id: str
    order_id: str
    shop: Place
    point: Place
    compartments: int
    delivery_day: date
    weight_g: int
    volume_ml: int
    temperature_class: str
    pickup_windows: tuple[UtcWindow, ...]
    delivery_windows: tuple[UtcWindow, ...]  # empty: any time
    attempt: int = 1
    status: str = "REQUESTED"
    order_cancelled: bool = False

    @classmethod
    def from_request(cls, data: Mapping[str, Any]) -> ShipmentRecord:
        """From ShipmentRequested."""
        return cls(
            shipment_id=data["shipment_id"], order_id=data["order_id"],
            shop=Place(data["shop_id"], data.get("shop_name"), data["shop_location"]["lat"],
                       data["shop_location"]["lon"]),
            point=Place(data["pickup_point_id"], data.get("pickup_point_name"),
                        data["pickup_point_location"]["lat"], data["pickup_point_location"]["lon"]),
            compartments=len(data["compartment_ids"]), delivery_day=data["delivery_day"],
            weight_g=data["weight_g"], volume_ml=data["volume_ml"],
            temperature_class=data.get("temperature_class") or "AMBIENT",
            pickup_windows=tuple(UtcWindow(w["start"], w["end"]) for w in data["pickup_windows"]),
            delivery_windows=tuple(UtcWindow(w["start"], w["end"]) for w in data.get("delivery_windows") or ()),
            attempt=data.get("attempt", 1),
        )

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> ShipmentRecord:
        def windows(items: Iterable[Sequence[str]]) -> tuple[UtcWindow, ...]:
            return tuple(UtcWindow(datetime.fromisoformat(s), datetime.fromisoformat(e)) for s, e in items)

        return cls(
            shipment_id=doc["shipment_id"], order_id=doc["order_id"], shop=Place(**doc["shop"]),
            point=Place(**doc["point"]), compartments=doc["compartments"],
            delivery_day=date.fromisoformat(doc["delivery_day"]), weight_g=doc["weight_g"],
            volume_ml=doc["volume_ml"], temperature_class=doc["temperature_class"],
            pickup_windows=windows(doc["pickup_windows"]), delivery_windows=windows(doc["delivery_windows"]),
            attempt=doc["attempt"], status=doc["status"], order_cancelled=doc.get("order_cancelled", False),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "shipment_id": self.shipment_id, "order_id": self.order_id, "shop": self.shop.__dict__,
            "point": self.point.__dict__, "compartments": self.compartments,
            "delivery_day": self.delivery_day.isoformat(), "weight_g": self.weight_g, "volume_ml": self.volume_ml,
            "temperature_class": self.temperature_class,
            "pickup_windows": [[w.start.isoformat(), w.end.isoformat()] for w in self.pickup_windows],
            "delivery_windows": [[w.start.isoformat(), w.end.isoformat()] for w in self.delivery_windows],
            "attempt": self.attempt, "status": self.status, "order_cancelled": self.order_cancelled,
        }

    @property
    def collection_day(self) -> date | None:
        if not self.pickup_windows:
            return None
        return min(w.start for w in self.pickup_windows).astimezone(BERLIN).date()

    @property
    def days(self) -> set[date]:
        """The days whose plans may concern this shipment."""
        return {d for d in (self.collection_day, self.delivery_day) if d is not None}


@dataclass(frozen=True)
class ExtraJob:
    """A visit the request names itself (the `nahnetz.logistics.RouteJob` record)."""

    job_id: str
    kind: str  # PICKUP (bring to the depot), DELIVERY (take from the depot), OTHER
    shipment_ids: tuple[str, ...]
    place: Place
    windows: tuple[UtcWindow, ...]
    service_s: int
    weight_g: int
    volume_ml: int
    temperature_class: str

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> ExtraJob:
        return cls(record["job_id"], record.get("kind") or "OTHER", tuple(record["shipment_ids"]),
                   Place(record["place_id"], None, record["location"]["lat"], record["location"]["lon"]),
                   tuple(UtcWindow(w["start"], w["end"]) for w in record.get("time_windows") or ()),
                   record.get("service_s", 180), record["weight_g"], record["volume_ml"],
                   record.get("temperature_class") or "AMBIENT")


@dataclass(frozen=True)
class PlanRequest:
    plan_id: str
    day: date
    depot: Place
    vehicles: tuple[VehicleRecord, ...]
    extra_jobs: tuple[ExtraJob, ...] = ()
    time_budget_s: int = 10
    replan_of: str | None = None

    @classmethod
    def from_event(cls, data: Mapping[str, Any]) -> PlanRequest:
        depot = data["depot"]
        return cls(
            plan_id=data["plan_id"], day=data["day"],
            depot=Place(depot["depot_id"], depot["name"], depot["location"]["lat"], depot["location"]["lon"]),
            vehicles=tuple(VehicleRecord.from_record(v) for v in data["vehicles"]),
            extra_jobs=tuple(ExtraJob.from_record(j) for j in data["jobs"]),
            time_budget_s=data.get("time_budget_s", 10), replan_of=data.get("replan_of"),
        )


@dataclass(frozen=True)
class LeftOut:
    """A job the plan does not carry, decided before solving."""

    job_id: str
    shipment_ids: tuple[str, ...]
    reason: str  # a nahnetz.logistics.DropReason symbol
    detail: str


@dataclass(frozen=True)
class PlanningInput:
    problem: Problem
    reference: datetime  # the instant of second 0
    places: Mapping[str, Place]  # by location id
    job_shipments: Mapping[str, tuple[str, ...]]
    left_out: tuple[LeftOut, ...] = ()

    def instant(self, seconds: float) -> datetime:
        return self.reference + timedelta(seconds=seconds)


MatrixFunction = Callable[[Sequence[Location]], TravelMatrix]


@dataclass
class _Builder:
    request: PlanRequest
    service: ServiceTimes
    reference: datetime
    places: dict[str, Place] = field(default_factory=dict)
    jobs: list[Job] = field(default_factory=list)
    job_shipments: dict[str, tuple[str, ...]] = field(default_factory=dict)
    left_out: list[LeftOut] = field(default_factory=list)

    def seconds(self, instant: datetime) -> int:
        return int((instant - self.reference).total_seconds())

    def place(self, place: Place) -> str:
        self.places.setdefault(place.place_id, place)
        return place.place_id

    def windows(self, windows: Sequence[UtcWindow], service_s: int) -> tuple[TimeWindow, ...] | None:
        """Windows in which service can start and end; () for any time, None when none is usable."""
        if not windows:
            return ()
        usable = []
        for window in sorted(windows, key=lambda w: w.start):
            start = max(0, self.seconds(window.start))
            end = self.seconds(window.end) - service_s  # service must be done when the window closes
            if end >= start and (not usable or start > usable[-1].end_s):
                usable.append(TimeWindow(start, end))
        return tuple(usable) or None

    def leave_out(self, shipment: ShipmentRecord, reason: str, detail: str) -> None:
        self.left_out.append(LeftOut(shipment.shipment_id, (shipment.shipment_id,), reason, detail))

    def add_shipment(self, shipment: ShipmentRecord, kind: JobKind, fixed: frozenset[StopKind] = frozenset()) -> None:
        """Fixed stops (done or under way) keep no window: their time has passed."""
        shop_s, point_s = self.service.at_shop_s, self.service.at_point(shipment.compartments)
        pickup = delivery = None
        if kind in (JobKind.SHIPMENT, JobKind.PICKUP):
            windows = () if StopKind.PICKUP in fixed else self.windows(shipment.pickup_windows, shop_s)
            if windows is None:
                self.leave_out(shipment, "TIME_WINDOW", "the shop's collection windows are too short for the visit")
                return
            pickup = Stop(self.place(shipment.shop), windows, shop_s)
        if kind in (JobKind.SHIPMENT, JobKind.DELIVERY):
            windows = () if StopKind.DELIVERY in fixed else self.windows(shipment.delivery_windows, point_s)
            if windows is None:
                self.leave_out(shipment, "TIME_WINDOW", "the pick-up point's opening hours are too short for the visit")
                return
            delivery = Stop(self.place(shipment.point), windows, point_s)
        self.jobs.append(Job(shipment.shipment_id, kind, pickup=pickup, delivery=delivery,
                             weight_kg=shipment.weight_g / 1000, volume_l=shipment.volume_ml / 1000,
                             temperature=TemperatureClass(shipment.temperature_class)))
        self.job_shipments[shipment.shipment_id] = (shipment.shipment_id,)

    def add_extra(self, job: ExtraJob) -> None:
        if job.kind not in ("PICKUP", "DELIVERY"):
            raise PlanningError("INVALID_REQUEST", f"job {job.job_id} has the kind {job.kind}, which this planner "
                                                   "does not know (PICKUP or DELIVERY)")
        if job.job_id in self.job_shipments:
            raise PlanningError("INVALID_REQUEST", f"job id {job.job_id} is used twice")
        windows = self.windows(job.windows, job.service_s)
        if windows is None:
            self.left_out.append(LeftOut(job.job_id, job.shipment_ids, "TIME_WINDOW",
                                         "its time windows are too short for the visit"))
            return
        stop = Stop(self.place(job.place), windows, job.service_s)
        kind = JobKind.PICKUP if job.kind == "PICKUP" else JobKind.DELIVERY
        self.jobs.append(Job(job.job_id, kind, pickup=stop if kind is JobKind.PICKUP else None,
                             delivery=stop if kind is JobKind.DELIVERY else None,
                             weight_kg=job.weight_g / 1000, volume_l=job.volume_ml / 1000,
                             temperature=TemperatureClass(job.temperature_class)))
        self.job_shipments[job.job_id] = job.shipment_ids

    def vehicle(self, record: VehicleRecord) -> Vehicle:
        problems = record.problems()
        if problems:
            raise PlanningError("INVALID_REQUEST", "; ".join(problems))
        start, end = max(0, self.seconds(record.shift_start)), self.seconds(record.shift_end)
        if end <= start:
            raise PlanningError("INVALID_REQUEST", f"vehicle {record.vehicle_id}: its shift is over before the day starts")
        depot = self.request.depot.place_id
        return Vehicle(
            id=record.vehicle_id, start_location_id=depot, end_location_id=depot, shift=TimeWindow(start, end),
            capacity_kg=record.max_weight_g / 1000, capacity_l=record.max_volume_ml / 1000,
            temperatures=frozenset(TemperatureClass(t) for t in record.temperature_classes),
            cost_per_km=(record.cost_per_km_cents or 0) / 100, cost_per_hour=(record.cost_per_hour_cents or 0) / 100,
            fixed_cost=(record.fixed_cost_cents or 0) / 100,
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
    `locations` (possibly over the network) before `with_matrix` finishes it."""

    request: PlanRequest
    locations: tuple[Location, ...]
    vehicles: tuple[Vehicle, ...]
    jobs: tuple[Job, ...]
    fixed_prefixes: tuple[FixedPrefix, ...]
    reference: datetime
    places: Mapping[str, Place]
    job_shipments: Mapping[str, tuple[str, ...]]
    left_out: tuple[LeftOut, ...]

    def with_matrix(self, matrix: TravelMatrix) -> PlanningInput:
        try:
            problem = Problem(locations=self.locations, matrix=matrix, vehicles=self.vehicles, jobs=self.jobs,
                              fixed_prefixes=self.fixed_prefixes, time_budget_s=float(self.request.time_budget_s))
        except ValueError as exc:
            raise PlanningError("INVALID_REQUEST", str(exc)) from exc
        return PlanningInput(problem, self.reference, self.places, self.job_shipments, self.left_out)


def draft_problem(request: PlanRequest, shipments: Iterable[ShipmentRecord], *,
                  tours: Sequence[TourProgress] = (), service: ServiceTimes = ServiceTimes()) -> DraftProblem:
    """The solver's problem for the request, but for the matrix; raises
    PlanningError when there is none."""
    if not request.vehicles:
        raise PlanningError("NO_VEHICLES", "the request has no vehicles")
    builder = _Builder(request, service, local_midnight(request.day))
    builder.place(request.depot)
    vehicles = tuple(builder.vehicle(v) for v in request.vehicles)
    by_id = {s.shipment_id: s for s in shipments}
    prefixes = _fixed_prefixes(builder, tours, by_id, {v.id for v in vehicles})
    fixed_ids = {ref.job_id for p in prefixes for ref in p.stops}
    for shipment in sorted(by_id.values(), key=lambda s: s.shipment_id):
        if shipment.shipment_id in fixed_ids:
            continue
        decision = job_for_day(shipment, request.day)
        if isinstance(decision, JobKind):
            builder.add_shipment(shipment, decision)
        elif decision is not None:
            builder.leave_out(shipment, *decision)
    for job in request.extra_jobs:
        builder.add_extra(job)
    if not builder.jobs and not builder.left_out:
        raise PlanningError("NO_JOBS", f"nothing to carry on {request.day.isoformat()}")
    # Keep only the prefixes' stops whose jobs exist (a job may have been left out).
    known = {j.id for j in builder.jobs}
    prefixes = tuple(FixedPrefix(p.vehicle_id, tuple(r for r in p.stops if r.job_id in known)) for p in prefixes)
    return DraftProblem(
        request=request,
        locations=tuple(Location(p.place_id, lat=p.lat, lon=p.lon) for p in builder.places.values()),
        vehicles=vehicles, jobs=tuple(builder.jobs), fixed_prefixes=tuple(p for p in prefixes if p.stops),
        reference=builder.reference, places=dict(builder.places), job_shipments=dict(builder.job_shipments),
        left_out=tuple(builder.left_out),
    )


def build_problem(request: PlanRequest, shipments: Iterable[ShipmentRecord], matrix: MatrixFunction, *,
                  tours: Sequence[TourProgress] = (), service: ServiceTimes = ServiceTimes()) -> PlanningInput:
    """`draft_problem` finished with a matrix computed in place (tools and tests)."""
    draft = draft_problem(request, shipments, tours=tours, service=service)
    return draft.with_matrix(matrix(draft.locations))


def _fixed_prefixes(builder: _Builder, tours: Sequence[TourProgress], shipments: Mapping[str, ShipmentRecord],
                    vehicle_ids: set[str]) -> tuple[FixedPrefix, ...]:
    prefixes: dict[str, FixedPrefix] = {}
    for tour in tours:
        refs = tour.fixed_stops()
        if not refs:
            continue
        if tour.vehicle_id not in vehicle_ids:
            raise PlanningError("INVALID_REQUEST", f"vehicle {tour.vehicle_id} of tour {tour.tour_id} has stops done "
                                                   "or under way but is not among the request's vehicles")
        if tour.vehicle_id in prefixes:
            raise PlanningError("INVALID_REQUEST", f"vehicle {tour.vehicle_id} has two dispatched tours in the plan")
        kinds = tour.job_kinds()
        kept = []
        for ref in refs:
            shipment = shipments.get(ref.job_id)
            if shipment is None:
                continue  # not known to routing: nothing to keep a place for
            if ref.job_id not in builder.job_shipments:
                fixed = frozenset(r.kind for r in refs if r.job_id == ref.job_id)
                builder.add_shipment(shipment, kinds[ref.job_id], fixed)
            kept.append(ref)
        prefixes[tour.vehicle_id] = FixedPrefix(tour.vehicle_id, tuple(kept))
    return tuple(prefixes.values())
