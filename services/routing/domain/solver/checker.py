"""An independent check of a plan against its problem.

Deliberately written from the problem statement alone: it uses neither
OR-Tools nor any of the solver's modules (only the shared vocabulary in
`model`), and recomputes loads, times and distances itself, so a bug in the
solver's model or in its schedule shows up here instead of being repeated.

Driver breaks (a vehicle's `breaks` rule) are checked as the regulation
reads: the driving between two BREAK stops (and from leaving, and up to
returning) adds up to at most the rule's driving time, each break lasts at
least its break time, and all the tour's driving at most the daily limit (the
rule's, or the vehicle's own `max_driving_s`). A vehicle with several trips
returns to its start depot (RELOAD) between them: no more trips than it may
make, and on every trip its load, recomputed from the jobs, stays within its
capacity. A tour's cost is recomputed in euros from the vehicle's prices.

`travel` replaces the problem's integer matrix when checking against other
figures, e.g. the double-precision distances of a benchmark instance.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .model import Job, JobKind, Problem, ScheduledStop, Solution, StopKind, StopRef, Tour, TravelMatrix, Vehicle

_TOLERANCE = 1e-6
_CENT = 0.005  # euros: costs agree when they round to the same cent


@dataclass(frozen=True)
class Violation:
    # coverage, tour, precedence, temperature, capacity, trips, time_window, shift, duration, breaks,
    # daily_driving, fixed_stops, figures, cost
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


def check_solution(problem: Problem, solution: Solution, travel: TravelMatrix | None = None) -> list[Violation]:
    """Every broken constraint of `solution`; an empty list means feasible."""
    violations: list[Violation] = []
    seen_vehicles: set[str] = set()
    for tour in solution.tours:
        vehicle = problem.vehicle_by_id.get(tour.vehicle_id)
        if vehicle is None:
            violations.append(Violation("tour", f"tour for unknown vehicle {tour.vehicle_id}"))
            continue
        if vehicle.id in seen_vehicles:
            violations.append(Violation("tour", f"vehicle {vehicle.id} has more than one tour"))
        seen_vehicles.add(vehicle.id)
        if _check_shape(problem, vehicle, tour, violations):
            _check_jobs_on_tour(problem, vehicle, tour, violations)
            _check_loads(problem, vehicle, tour, violations)
            _check_times(problem, vehicle, tour, travel, violations)
            _check_breaks(problem, vehicle, tour, travel, violations)
            _check_daily_driving(problem, vehicle, tour, travel, violations)
            _check_fixed_prefix(problem, vehicle, tour, violations)
            _check_figures(problem, tour, travel, violations)
            _check_cost(vehicle, tour, travel, violations)
    _check_coverage(problem, solution, violations)
    for prefix in problem.fixed_prefixes:
        if prefix.stops and prefix.vehicle_id not in seen_vehicles:
            violations.append(Violation("fixed_stops", f"vehicle {prefix.vehicle_id} lost its fixed stops"))
    total = sum(t.distance_m for t in solution.tours)
    if total != solution.distance_m:
        violations.append(Violation("figures", f"total distance {solution.distance_m} m, tours add up to {total} m"))
    cost = sum(t.cost for t in solution.tours)
    if travel is None and abs(cost - solution.cost) > _CENT:
        violations.append(Violation("cost", f"total cost {solution.cost:.2f} EUR, tours add up to {cost:.2f} EUR"))
    return violations


def recompute_distance(problem: Problem, solution: Solution, travel: TravelMatrix | None = None) -> float:
    """Total distance driven, from the matrix and the stop sequence alone."""
    distances = (travel or problem.matrix).distances_m
    idx = problem.location_index
    return sum(
        distances[idx[a.location_id]][idx[b.location_id]]
        for tour in solution.tours
        for a, b in zip(tour.stops, tour.stops[1:])
    )


def _job_stop_location(job: Job, kind: StopKind) -> str | None:
    stop = job.pickup if kind is StopKind.PICKUP else job.delivery if kind is StopKind.DELIVERY else None
    return stop.location_id if stop else None


def _check_shape(problem: Problem, vehicle: Vehicle, tour: Tour, out: list[Violation]) -> bool:
    stops = tour.stops
    if len(stops) < 2 or stops[0].kind is not StopKind.START or stops[-1].kind is not StopKind.END:
        out.append(Violation("tour", f"{vehicle.id}: a tour must run from START to END"))
        return False
    ok = True
    if stops[0].location_id != vehicle.start_location_id:
        out.append(Violation("tour", f"{vehicle.id}: starts at {stops[0].location_id}, not its start depot"))
    if stops[-1].location_id != vehicle.end_location_id:
        out.append(Violation("tour", f"{vehicle.id}: ends at {stops[-1].location_id}, not its end depot"))
    for stop in stops[1:-1]:
        if stop.kind is StopKind.RELOAD:
            if stop.job_id is not None or stop.location_id != vehicle.start_location_id:
                out.append(Violation("tour", f"{vehicle.id}: a reload must be at its start depot, with no job"))
                ok = False
            continue
        if stop.kind is StopKind.BREAK:
            if stop.job_id is not None or stop.location_id not in problem.location_index:
                out.append(Violation("tour", f"{vehicle.id}: a break must be at a known place, with no job"))
                ok = False
            continue
        job = problem.job_by_id.get(stop.job_id or "")
        if stop.kind not in (StopKind.PICKUP, StopKind.DELIVERY) or job is None:
            out.append(Violation("tour", f"{vehicle.id}: stop {stop.kind.value} {stop.job_id} is not a job stop"))
            ok = False
        elif _job_stop_location(job, stop.kind) != stop.location_id:
            out.append(Violation("tour", f"{vehicle.id}: {stop.kind.value} of {job.id} at the wrong place"))
            ok = False
    if tour.trips > vehicle.max_trips:
        out.append(Violation("trips", f"{vehicle.id} makes {tour.trips} trips, at most {vehicle.max_trips} allowed"))
    return ok


def _check_jobs_on_tour(problem: Problem, vehicle: Vehicle, tour: Tour, out: list[Violation]) -> None:
    position = {StopRef(s.job_id, s.kind): i for i, s in enumerate(tour.stops) if s.job_id is not None}
    for ref, i in position.items():
        job = problem.job_by_id[ref.job_id]
        if not vehicle.can_carry(job.temperature):
            out.append(Violation("temperature", f"{job.id} ({job.temperature.value}) on {vehicle.id}"))
        if job.kind is JobKind.SHIPMENT and ref.kind is StopKind.PICKUP:
            delivered = position.get(StopRef(job.id, StopKind.DELIVERY))
            if delivered is None:
                out.append(Violation("precedence", f"{job.id} picked up by {vehicle.id} but delivered by another"))
            elif delivered < i:
                out.append(Violation("precedence", f"{job.id} delivered before it is picked up on {vehicle.id}"))
        if job.kind is JobKind.SHIPMENT and ref.kind is StopKind.DELIVERY:
            if StopRef(job.id, StopKind.PICKUP) not in position:
                out.append(Violation("precedence", f"{job.id} delivered by {vehicle.id} but picked up by another"))


def _check_loads(problem: Problem, vehicle: Vehicle, tour: Tour, out: list[Violation]) -> None:
    # Single deliveries are loaded at the depot when their trip begins (START or
    # RELOAD), single pickups unloaded when it ends; shipments stay on board.
    trips: list[list[Job]] = [[]]
    for s in tour.stops[1:-1]:
        if s.kind is StopKind.RELOAD:
            trips.append([])
        elif s.job_id is not None:
            trips[-1].append(problem.job_by_id[s.job_id])
    trip = 0
    riding = [0.0, 0.0]
    picked = [0.0, 0.0]
    dropping = [sum(j.weight_kg for j in trips[0] if j.kind is JobKind.DELIVERY),
                sum(j.volume_l for j in trips[0] if j.kind is JobKind.DELIVERY)]
    for stop in tour.stops:
        if stop.job_id is not None:
            job = problem.job_by_id[stop.job_id]
            part = riding if job.kind is JobKind.SHIPMENT else picked if job.kind is JobKind.PICKUP else dropping
            sign = 1 if stop.kind is StopKind.PICKUP else -1
            part[0] += sign * job.weight_kg
            part[1] += sign * job.volume_l
        elif stop.kind is StopKind.RELOAD:
            trip += 1
            picked = [0.0, 0.0]
            dropping = [sum(j.weight_kg for j in trips[trip] if j.kind is JobKind.DELIVERY),
                        sum(j.volume_l for j in trips[trip] if j.kind is JobKind.DELIVERY)]
        elif stop.kind is StopKind.END:
            riding, picked, dropping = [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]
        kg = riding[0] + picked[0] + dropping[0]
        litres = riding[1] + picked[1] + dropping[1]
        if kg > vehicle.capacity_kg + _TOLERANCE or litres > vehicle.capacity_l + _TOLERANCE:
            out.append(
                Violation("capacity", f"{vehicle.id} carries {kg:g} kg / {litres:g} l after {_name(stop)}")
            )
        if abs(stop.load_kg - kg) > 1e-6 or abs(stop.load_l - litres) > 1e-6:
            out.append(
                Violation(
                    "figures", f"{vehicle.id} reports {stop.load_kg:g} kg / {stop.load_l:g} l after {_name(stop)}"
                )
            )


def _check_times(
    problem: Problem, vehicle: Vehicle, tour: Tour, travel: TravelMatrix | None, out: list[Violation]
) -> None:
    durations = (travel or problem.matrix).durations_s
    idx = problem.location_index
    start, end = tour.stops[0], tour.stops[-1]
    if start.departure_s < vehicle.shift.start_s:
        out.append(Violation("shift", f"{vehicle.id} leaves at {start.departure_s}, before its shift"))
    if end.arrival_s > vehicle.shift.end_s:
        out.append(Violation("shift", f"{vehicle.id} returns at {end.arrival_s}, after its shift"))
    duration = end.arrival_s - start.departure_s
    if vehicle.max_duration_s is not None and duration > vehicle.max_duration_s:
        out.append(Violation("duration", f"{vehicle.id} takes {duration} s, more than {vehicle.max_duration_s} s"))
    if tour.duration_s != duration:
        out.append(Violation("figures", f"{vehicle.id} reports {tour.duration_s} s, its stops span {duration} s"))
    for before, breaks, stop in _legs(tour):
        clock, left = before.departure_s, durations[idx[before.location_id]][idx[stop.location_id]]
        for rest in breaks:  # drive first, then rest (and wait at the stop)
            if rest.arrival_s < clock - _TOLERANCE:
                out.append(Violation("time_window", f"{vehicle.id} rests at {rest.arrival_s} before it can"))
            left -= min(left, max(0, rest.arrival_s - clock))
            clock = max(clock, rest.departure_s)
        if stop.arrival_s < clock + left - _TOLERANCE:
            out.append(Violation("time_window", f"{vehicle.id} reaches {_name(stop)} faster than driving allows"))
    for stop in tour.stops[1:]:
        if stop.kind is StopKind.RELOAD and (stop.service_start_s < stop.arrival_s
                                            or stop.departure_s < stop.service_start_s + vehicle.reload_s):
            out.append(Violation("time_window", f"{vehicle.id} reloads in less than {vehicle.reload_s} s"))
        if stop.job_id is None:
            continue
        job = problem.job_by_id[stop.job_id]
        planned = job.pickup if stop.kind is StopKind.PICKUP else job.delivery
        assert planned is not None
        if stop.service_start_s < stop.arrival_s:
            out.append(Violation("time_window", f"{vehicle.id} serves {_name(stop)} before arriving"))
        if stop.departure_s < stop.service_start_s + planned.service_s:
            out.append(Violation("time_window", f"{vehicle.id} leaves {_name(stop)} before service is done"))
        windows = planned.time_windows
        if windows and not any(w.start_s <= stop.service_start_s <= w.end_s for w in windows):
            out.append(
                Violation("time_window", f"{vehicle.id} serves {_name(stop)} at {stop.service_start_s}, outside its windows")
            )


def _check_breaks(
    problem: Problem, vehicle: Vehicle, tour: Tour, travel: TravelMatrix | None, out: list[Violation]
) -> None:
    rule = vehicle.breaks
    if rule is None:
        return
    durations = (travel or problem.matrix).durations_s
    idx = problem.location_index
    driven = 0.0

    def drive(seconds: float, up_to: str) -> None:
        nonlocal driven
        driven += seconds
        if driven > rule.max_driving_s + _TOLERANCE:
            out.append(Violation("breaks", f"{vehicle.id} drives {driven:g} s without a break up to {up_to}, "
                                           f"more than {rule.max_driving_s} s"))
            driven = 0.0  # one finding per stretch

    for before, breaks, stop in _legs(tour):
        # Drive first: the time from leaving to a break is driving, as far as the leg goes.
        clock, left = before.departure_s, durations[idx[before.location_id]][idx[stop.location_id]]
        for rest in breaks:
            if rest.location_id not in (before.location_id, stop.location_id):
                out.append(Violation("tour", f"{vehicle.id}: a break at {rest.location_id}, off its way"))
            part = min(left, max(0, rest.arrival_s - clock))
            left -= part
            drive(part, f"the break at {rest.arrival_s}")
            rested = rest.departure_s - max(rest.arrival_s, rest.service_start_s)
            if rested < rule.break_s:
                out.append(Violation("breaks", f"{vehicle.id} rests {rested} s at {rest.service_start_s}, "
                                               f"less than {rule.break_s} s"))
            else:
                driven = 0.0
            clock = max(clock, rest.departure_s)
        drive(left, _name(stop))


def _check_daily_driving(
    problem: Problem, vehicle: Vehicle, tour: Tour, travel: TravelMatrix | None, out: list[Violation]
) -> None:
    # Read off the vehicle here, not through the model's `driving_limit_s`: the checker stays independent.
    limits = [x for x in (vehicle.max_driving_s, vehicle.breaks and vehicle.breaks.max_daily_driving_s) if x]
    if not limits:
        return
    durations = (travel or problem.matrix).durations_s
    idx = problem.location_index
    driven = sum(durations[idx[before.location_id]][idx[stop.location_id]] for before, _, stop in _legs(tour))
    if driven > min(limits) + _TOLERANCE:
        out.append(Violation("daily_driving", f"{vehicle.id} drives {driven:g} s in the day, "
                                              f"more than {min(limits)} s"))


def _legs(tour: Tour) -> list[tuple[ScheduledStop, tuple[ScheduledStop, ...], ScheduledStop]]:
    """(from, breaks on the way, to) for each drive between two stops that are not breaks."""
    legs = []
    here, breaks = tour.stops[0], []
    for stop in tour.stops[1:]:
        if stop.kind is StopKind.BREAK:
            breaks.append(stop)
        else:
            legs.append((here, tuple(breaks), stop))
            here, breaks = stop, []
    return legs


def _check_fixed_prefix(problem: Problem, vehicle: Vehicle, tour: Tour, out: list[Violation]) -> None:
    fixed = problem.fixed_prefix_of(vehicle.id)
    # Breaks and reloads may come between the fixed stops: only the jobs' order counts.
    head = tuple(StopRef(s.job_id, s.kind) for s in tour.stops if s.job_id is not None)[: len(fixed)]
    if head != fixed:
        out.append(Violation("fixed_stops", f"{vehicle.id} does not begin with its fixed stops in order"))


def _check_figures(problem: Problem, tour: Tour, travel: TravelMatrix | None, out: list[Violation]) -> None:
    if travel is not None:
        return  # reported figures are in the problem's own units
    distances = problem.matrix.distances_m
    idx = problem.location_index
    legs = [distances[idx[a.location_id]][idx[b.location_id]] for a, b in zip(tour.stops, tour.stops[1:])]
    if sum(legs) != tour.distance_m:
        out.append(Violation("figures", f"{tour.vehicle_id} reports {tour.distance_m} m, matrix says {sum(legs)} m"))
    empty = sum(leg for leg, s in zip(legs, tour.stops) if s.load_kg <= _TOLERANCE and s.load_l <= _TOLERANCE)
    if empty != tour.empty_distance_m:
        out.append(Violation("figures", f"{tour.vehicle_id} reports {tour.empty_distance_m} empty m, not {empty}"))


def _check_cost(vehicle: Vehicle, tour: Tour, travel: TravelMatrix | None, out: list[Violation]) -> None:
    if travel is not None:
        return  # reported figures are in the problem's own units
    driven_m = tour.distance_m  # checked against the matrix in _check_figures
    hours = (tour.stops[-1].arrival_s - tour.stops[0].departure_s) / 3600
    euros = vehicle.fixed_cost + driven_m / 1000 * vehicle.cost_per_km + hours * vehicle.cost_per_hour
    if abs(euros - tour.cost) > _CENT:
        out.append(Violation("cost", f"{tour.vehicle_id} reports {tour.cost:.2f} EUR, its prices give {euros:.2f} EUR"))


def _check_coverage(problem: Problem, solution: Solution, out: list[Violation]) -> None:
    served = Counter(StopRef(s.job_id, s.kind) for t in solution.tours for s in t.stops if s.job_id is not None)
    dropped = Counter(d.job_id for d in solution.dropped)
    for job_id, times in dropped.items():
        if job_id not in problem.job_by_id:
            out.append(Violation("coverage", f"unknown job {job_id} reported dropped"))
        elif times > 1:
            out.append(Violation("coverage", f"{job_id} reported dropped {times} times"))
    for d in solution.dropped:
        if not d.detail:
            out.append(Violation("coverage", f"{d.job_id} dropped without a reason"))
    for job in problem.jobs:
        counts = [served[StopRef(job.id, kind)] for kind, _ in job.stops()]
        if any(c > 1 for c in counts):
            out.append(Violation("coverage", f"{job.id} served more than once"))
        if all(c == 0 for c in counts):
            if job.id not in dropped:
                out.append(Violation("coverage", f"{job.id} neither served nor reported dropped"))
        elif any(c == 0 for c in counts):
            out.append(Violation("coverage", f"{job.id} only half served"))
        elif job.id in dropped:
            out.append(Violation("coverage", f"{job.id} served and reported dropped"))


def _name(stop) -> str:
    return f"{stop.kind.value} {stop.job_id}" if stop.job_id else f"{stop.kind.value} {stop.location_id}"
