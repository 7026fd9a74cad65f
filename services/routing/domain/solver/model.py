"""The routing problem and its solution, as plain frozen values.

Units: distances in metres and times in seconds (integers, times counted from
the plan's reference instant, e.g. midnight of the planning day), weights in
kg and volumes in litres, money in euros. Everything here is picklable, so a
problem can travel to a worker process and a solution back.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import cached_property
from typing import Iterator, Sequence


class TemperatureClass(str, Enum):
    AMBIENT = "AMBIENT"
    CHILLED = "CHILLED"
    FROZEN = "FROZEN"


@dataclass(frozen=True)
class TimeWindow:
    """Service may start at any second in [start_s, end_s] (both included)."""

    start_s: int
    end_s: int

    def __post_init__(self) -> None:
        if self.end_s < self.start_s:
            raise ValueError(f"time window ends before it starts: {self}")

    def contains(self, t: float) -> bool:
        return self.start_s <= t <= self.end_s


@dataclass(frozen=True)
class Location:
    """A place on the matrix: WGS84 lat/lon for the region, x/y for planar test data."""

    id: str
    lat: float | None = None
    lon: float | None = None
    x: float | None = None
    y: float | None = None


@dataclass(frozen=True)
class TravelMatrix:
    """Row i, column j: driving from location i to location j (in Problem.locations order)."""

    distances_m: tuple[tuple[int, ...], ...]
    durations_s: tuple[tuple[int, ...], ...]

    @classmethod
    def from_rows(cls, distances_m: Sequence[Sequence[int]], durations_s: Sequence[Sequence[int]]) -> TravelMatrix:
        return cls(tuple(tuple(r) for r in distances_m), tuple(tuple(r) for r in durations_s))

    @property
    def size(self) -> int:
        return len(self.distances_m)

    def __post_init__(self) -> None:
        n = len(self.distances_m)
        for rows in (self.distances_m, self.durations_s):
            if len(rows) != n or any(len(r) != n for r in rows):
                raise ValueError("travel matrix must be square, distances and durations of equal size")
            if any(v < 0 for r in rows for v in r):
                raise ValueError("travel matrix holds a negative value")


class JobKind(str, Enum):
    SHIPMENT = "SHIPMENT"  # picked up at one stop, delivered at another by the same vehicle
    PICKUP = "PICKUP"  # collected and brought to the vehicle's end depot
    DELIVERY = "DELIVERY"  # loaded at the vehicle's start depot and delivered


class StopKind(str, Enum):
    START = "START"
    PICKUP = "PICKUP"
    DELIVERY = "DELIVERY"
    END = "END"
    BREAK = "BREAK"  # the driver's rest (Regulation (EC) 561/2006), no job
    RELOAD = "RELOAD"  # back at the start depot between two trips: unload pickups, load the next deliveries


@dataclass(frozen=True)
class Stop:
    """Where and when one half of a job happens. No windows means any time in the shift."""

    location_id: str
    time_windows: tuple[TimeWindow, ...] = ()
    service_s: int = 0

    def __post_init__(self) -> None:
        if self.service_s < 0:
            raise ValueError("service time must not be negative")
        for earlier, later in zip(self.time_windows, self.time_windows[1:]):
            if later.start_s <= earlier.end_s:
                raise ValueError(f"time windows of a stop at {self.location_id} must be sorted and disjoint")


@dataclass(frozen=True)
class Job:
    """One transport order. Required unless it has a penalty: the cost of leaving it out."""

    id: str
    kind: JobKind
    pickup: Stop | None = None
    delivery: Stop | None = None
    weight_kg: float = 0.0
    volume_l: float = 0.0
    temperature: TemperatureClass = TemperatureClass.AMBIENT
    penalty: float | None = None

    def __post_init__(self) -> None:
        wants_pickup = self.kind in (JobKind.SHIPMENT, JobKind.PICKUP)
        wants_delivery = self.kind in (JobKind.SHIPMENT, JobKind.DELIVERY)
        if (self.pickup is not None) != wants_pickup or (self.delivery is not None) != wants_delivery:
            raise ValueError(f"job {self.id}: a {self.kind.value} needs exactly its own stops")
        if self.weight_kg < 0 or self.volume_l < 0:
            raise ValueError(f"job {self.id}: weight and volume must not be negative")
        if self.penalty is not None and self.penalty < 0:
            raise ValueError(f"job {self.id}: penalty must not be negative")

    @classmethod
    def shipment(cls, id: str, pickup: Stop, delivery: Stop, **kw) -> Job:
        return cls(id, JobKind.SHIPMENT, pickup=pickup, delivery=delivery, **kw)

    @classmethod
    def single_pickup(cls, id: str, pickup: Stop, **kw) -> Job:
        return cls(id, JobKind.PICKUP, pickup=pickup, **kw)

    @classmethod
    def single_delivery(cls, id: str, delivery: Stop, **kw) -> Job:
        return cls(id, JobKind.DELIVERY, delivery=delivery, **kw)

    @property
    def required(self) -> bool:
        return self.penalty is None

    def stops(self) -> Iterator[tuple[StopKind, Stop]]:
        """The job's stops in the order they must be served."""
        if self.pickup is not None:
            yield StopKind.PICKUP, self.pickup
        if self.delivery is not None:
            yield StopKind.DELIVERY, self.delivery


DEFAULT_RELOAD_S = 900  # unloading what was collected, loading the next trip: 15 min


@dataclass(frozen=True)
class BreakRule:
    """EU driving time (Regulation (EC) No 561/2006): after at most `max_driving_s`
    of driving a break of at least `break_s` (art. 7), and at most
    `max_daily_driving_s` of driving in the day (art. 6(1))."""

    max_driving_s: int = 16_200  # 4.5 h
    break_s: int = 2_700  # 45 min
    max_daily_driving_s: int = 32_400  # 9 h

    def __post_init__(self) -> None:
        if self.max_driving_s <= 0 or self.break_s <= 0 or self.max_daily_driving_s <= 0:
            raise ValueError("a break rule needs positive driving and break times")


@dataclass(frozen=True)
class Vehicle:
    id: str
    start_location_id: str
    end_location_id: str
    shift: TimeWindow
    capacity_kg: float
    capacity_l: float = float("inf")
    temperatures: frozenset[TemperatureClass] = frozenset({TemperatureClass.AMBIENT})
    max_duration_s: int | None = None
    cost_per_km: float = 0.0
    cost_per_hour: float = 0.0
    fixed_cost: float = 0.0
    breaks: BreakRule | None = None  # None: no driver breaks planned
    max_trips: int = 1  # more: the vehicle may come back to its start depot to reload and go out again
    reload_s: int = DEFAULT_RELOAD_S  # a reload's time at the depot
    max_driving_s: int | None = None  # at most this much driving in the day (None: as the break rule says)

    def __post_init__(self) -> None:
        if self.max_driving_s is not None and self.max_driving_s <= 0:
            raise ValueError(f"vehicle {self.id}: max_driving_s must be positive")
        if self.max_trips < 1:
            raise ValueError(f"vehicle {self.id}: max_trips must be at least 1")
        if self.reload_s < 0:
            raise ValueError(f"vehicle {self.id}: reload time must not be negative")

    @property
    def driving_limit_s(self) -> int | None:
        """The most driving its tour may hold: its own limit, or its driver's daily one."""
        limits = [limit for limit in (self.max_driving_s, self.breaks and self.breaks.max_daily_driving_s) if limit]
        return min(limits) if limits else None

    @property
    def refrigerated(self) -> bool:
        return bool(self.temperatures & {TemperatureClass.CHILLED, TemperatureClass.FROZEN})

    def can_carry(self, temperature: TemperatureClass) -> bool:
        return temperature in self.temperatures


@dataclass(frozen=True)
class StopRef:
    job_id: str
    kind: StopKind  # PICKUP or DELIVERY


@dataclass(frozen=True)
class FixedPrefix:
    """Re-planning: stops a vehicle has done or is doing; they stay first, in this order."""

    vehicle_id: str
    stops: tuple[StopRef, ...]


@dataclass(frozen=True)
class Problem:
    locations: tuple[Location, ...]
    matrix: TravelMatrix
    vehicles: tuple[Vehicle, ...]
    jobs: tuple[Job, ...]
    fixed_prefixes: tuple[FixedPrefix, ...] = ()
    time_budget_s: float = 5.0

    def __post_init__(self) -> None:
        if self.matrix.size != len(self.locations):
            raise ValueError("travel matrix size differs from the number of locations")
        _unique("location", [loc.id for loc in self.locations])
        _unique("vehicle", [v.id for v in self.vehicles])
        _unique("job", [j.id for j in self.jobs])
        known = set(self.location_index)
        for v in self.vehicles:
            for loc in (v.start_location_id, v.end_location_id):
                if loc not in known:
                    raise ValueError(f"vehicle {v.id}: unknown location {loc}")
        for j in self.jobs:
            for _, stop in j.stops():
                if stop.location_id not in known:
                    raise ValueError(f"job {j.id}: unknown location {stop.location_id}")
        self._validate_fixed_prefixes()

    def _validate_fixed_prefixes(self) -> None:
        vehicles = {v.id for v in self.vehicles}
        jobs = self.job_by_id
        seen: set[StopRef] = set()
        _unique("fixed prefix vehicle", [p.vehicle_id for p in self.fixed_prefixes])
        for prefix in self.fixed_prefixes:
            if prefix.vehicle_id not in vehicles:
                raise ValueError(f"fixed prefix for unknown vehicle {prefix.vehicle_id}")
            for i, ref in enumerate(prefix.stops):
                job = jobs.get(ref.job_id)
                if job is None or ref.kind not in dict(job.stops()):
                    raise ValueError(f"fixed stop {ref} is not a stop of a known job")
                if ref in seen:
                    raise ValueError(f"fixed stop {ref} appears twice")
                seen.add(ref)
                if job.kind is JobKind.SHIPMENT and ref.kind is StopKind.DELIVERY:
                    if StopRef(job.id, StopKind.PICKUP) not in prefix.stops[:i]:
                        raise ValueError(f"fixed delivery of {job.id} without its pickup before it")

    @cached_property
    def location_index(self) -> dict[str, int]:
        return {loc.id: i for i, loc in enumerate(self.locations)}

    @cached_property
    def job_by_id(self) -> dict[str, Job]:
        return {j.id: j for j in self.jobs}

    @cached_property
    def vehicle_by_id(self) -> dict[str, Vehicle]:
        return {v.id: v for v in self.vehicles}

    @cached_property
    def fixed_job_ids(self) -> frozenset[str]:
        """The jobs already on a vehicle (its fixed prefix): they may not be left out."""
        return frozenset(ref.job_id for prefix in self.fixed_prefixes for ref in prefix.stops)

    def fixed_prefix_of(self, vehicle_id: str) -> tuple[StopRef, ...]:
        for prefix in self.fixed_prefixes:
            if prefix.vehicle_id == vehicle_id:
                return prefix.stops
        return ()

    def distance_m(self, from_location: str, to_location: str) -> int:
        idx = self.location_index
        return self.matrix.distances_m[idx[from_location]][idx[to_location]]

    def duration_s(self, from_location: str, to_location: str) -> int:
        idx = self.location_index
        return self.matrix.durations_s[idx[from_location]][idx[to_location]]


def _unique(what: str, ids: Sequence[str]) -> None:
    if len(set(ids)) != len(ids):
        raise ValueError(f"{what} ids must be unique")


# --- solution -------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduledStop:
    """One stop of a tour: when the vehicle arrives, starts service and leaves,
    and what it carries after the stop. A BREAK's or RELOAD's service is the
    break or the reloading; it has no job."""

    kind: StopKind
    location_id: str
    job_id: str | None
    arrival_s: int  # the ETA
    service_start_s: int
    departure_s: int
    load_kg: float
    load_l: float


class _Kilometres:
    """Distances in km for people, of a tour or a whole solution."""

    distance_m: int
    empty_distance_m: int

    @property
    def km(self) -> float:
        return self.distance_m / 1000

    @property
    def empty_km(self) -> float:
        return self.empty_distance_m / 1000


@dataclass(frozen=True)
class Tour(_Kilometres):
    vehicle_id: str
    stops: tuple[ScheduledStop, ...]  # START, job stops (and BREAK, RELOAD) in order, END
    distance_m: int
    duration_s: int
    empty_distance_m: int  # driven with nothing on board
    load_factor: float  # mean of load/capacity (the tighter of kg and l), weighted by distance
    cost: float  # euros: fixed + per km + per hour of the duration (breaks and reloads included)

    @property
    def job_stops(self) -> tuple[ScheduledStop, ...]:
        return tuple(s for s in self.stops if s.job_id is not None)

    @property
    def breaks(self) -> tuple[ScheduledStop, ...]:
        return tuple(s for s in self.stops if s.kind is StopKind.BREAK)

    @property
    def trips(self) -> int:
        """Trips from the depot: one more than the reloads."""
        return 1 + sum(1 for s in self.stops if s.kind is StopKind.RELOAD)


class DropReason(str, Enum):
    NO_VEHICLE_FOR_TEMPERATURE = "NO_VEHICLE_FOR_TEMPERATURE"
    TOO_HEAVY = "TOO_HEAVY"
    TOO_BULKY = "TOO_BULKY"
    NO_SUITABLE_VEHICLE = "NO_SUITABLE_VEHICLE"  # each limit is met by some vehicle, never all by one
    WINDOW_UNREACHABLE = "WINDOW_UNREACHABLE"
    TOUR_TOO_LONG = "TOUR_TOO_LONG"  # longer than every suitable vehicle's maximum tour duration
    LEFT_OUT_BY_OPTIMISER = "LEFT_OUT_BY_OPTIMISER"


@dataclass(frozen=True)
class DroppedJob:
    job_id: str
    reason: DropReason
    detail: str  # for people: "no vehicle can carry FROZEN"


class SolveStatus(str, Enum):
    SOLVED = "SOLVED"  # a plan within the time budget (not proven optimal)
    NO_SOLUTION = "NO_SOLUTION"  # fixed stops or required jobs admit no plan found in time


@dataclass(frozen=True)
class Solution(_Kilometres):
    status: SolveStatus
    tours: tuple[Tour, ...]
    dropped: tuple[DroppedJob, ...]
    distance_m: int
    empty_distance_m: int
    load_factor: float
    cost: float  # tours only; penalties of dropped jobs are in `objective`
    objective: float  # cost plus penalties of optional jobs left out
    solve_seconds: float
    strategy: str = ""

    @property
    def vehicles_used(self) -> int:
        return len(self.tours)

    def tour_of(self, vehicle_id: str) -> Tour | None:
        return next((t for t in self.tours if t.vehicle_id == vehicle_id), None)
