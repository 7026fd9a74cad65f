"""The solver's Solution as a RoutePlanned event, and back (pure).

`route_planned_fields` gives the event's fields as typed records
(`nahnetz.records.PlannedTour`, `DroppedJob`); the handler adds the envelope.

Every tour runs from the hub back to the hub; its stops carry the ETA (UTC) and
the load on board after the stop. A reload between two trips is a DEPOT stop at
the hub; a driver's break is not a stop but listed in the tour's `breaks` (the
ETAs after it allow for it). The plan's cost in euros is `cost_eur`, each tour's in
`tour_costs_eur` (by tour id). The solver's
precise reasons for leaving a job out map onto the event's coarser DropReason,
with the solver's words kept in `detail`.

`plan_as_solution` rebuilds a Solution from a published plan and the problem it
was made for, so the independent checker (`check_solution`) can re-check what
consumers actually received: ETAs, loads, order of stops, figures.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Iterable, Sequence

from nahnetz import records
from nahnetz.clock import in_berlin

from .planning import PlanningInput
from .shipments import LeftOut
from .solver import (
    DroppedJob,
    DropReason,
    Job,
    JobKind,
    Problem,
    ScheduledStop,
    Solution,
    SolveStatus,
    StopKind,
    Tour,
)
from .solver.precheck import earliest_service_start
from .solver.schedule import tour_cost

PLAN_REASON = {
    DropReason.NO_VEHICLE_FOR_TEMPERATURE: "TEMPERATURE_CLASS",
    DropReason.TOO_HEAVY: "CAPACITY",
    DropReason.TOO_BULKY: "CAPACITY",
    DropReason.NO_SUITABLE_VEHICLE: "CAPACITY",
    DropReason.WINDOW_UNREACHABLE: "TIME_WINDOW",
    DropReason.TOUR_TOO_LONG: "TIME_WINDOW",
    # Optional jobs are left out when the fleet has no room for them today.
    DropReason.LEFT_OUT_BY_OPTIMISER: "CAPACITY",
}
_SOLVER_WORDS = {
    DropReason.NO_VEHICLE_FOR_TEMPERATURE: "no van of the plan can carry {temperature} goods",
    DropReason.TOO_HEAVY: "too heavy for every van ({kg:g} kg)",
    DropReason.TOO_BULKY: "too bulky for every van ({litres:g} l)",
    DropReason.NO_SUITABLE_VEHICLE: "no van can carry {temperature} goods of {kg:g} kg and {litres:g} l",
    DropReason.WINDOW_UNREACHABLE: "no van can get there within the opening hours and its shift",
    DropReason.TOUR_TOO_LONG: "longer than every suitable van may drive",
}
_STILL_DUE = "the goods stay due for the next plan"
_STOP_KIND = {StopKind.START: "DEPOT", StopKind.END: "DEPOT", StopKind.RELOAD: "DEPOT",
              StopKind.PICKUP: "PICKUP", StopKind.DELIVERY: "DELIVERY"}


def tour_id(plan_id: str, vehicle_id: str) -> str:
    return f"{plan_id}-{vehicle_id}"


def _grams(kg: float) -> int:
    return int(round(kg * 1000))


def _place_groups(stops: Sequence[ScheduledStop]) -> list[list[ScheduledStop]]:
    """Consecutive stops at one place are one stop for the driver."""
    groups: list[list[ScheduledStop]] = []
    for stop in stops:
        if groups and groups[-1][-1].location_id == stop.location_id:
            groups[-1].append(stop)
        else:
            groups.append([stop])
    return groups


def planned_tour(plan_id: str, inp: PlanningInput, tour: Tour, stranded: frozenset[str] = frozenset()
                 ) -> records.PlannedTour:
    """The tour as drivers get it: one stop per place visit. At the hub (DEPOT)
    the stop lists what is unloaded, then what is loaded; goods that a van
    brings in and takes out again at the same hub visit stay on board and are
    not listed there."""
    shipments = inp.job_shipments
    stops = []
    for group in _place_groups([s for s in tour.stops if s.kind is not StopKind.BREAK]):
        first = group[0]
        place = inp.places[first.location_id]
        job_stops = [s for s in group if s.job_id]
        unloads = [sid for s in job_stops if s.kind is StopKind.DELIVERY for sid in shipments.get(s.job_id, ())]
        loads = [sid for s in job_stops if s.kind is StopKind.PICKUP for sid in shipments.get(s.job_id, ())]
        through = set(unloads) & set(loads)
        ids = [sid for sid in dict.fromkeys(unloads + loads) if sid not in through and sid not in stranded]
        kinds = {_STOP_KIND[s.kind] for s in group}
        kind = "DEPOT" if first.location_id == inp.hub_id or "DEPOT" in kinds else (
            kinds.pop() if len(kinds) == 1 else "OTHER")
        stops.append(records.Stop(
            kind=records.StopKind(kind), place_id=first.location_id, name=place.name, location=place.location,
            job_ids=list(dict.fromkeys(s.job_id for s in job_stops)), shipment_ids=ids,
            eta=inp.instant(first.arrival_s), load_g=_grams(group[-1].load_kg), load_ml=_grams(group[-1].load_l),
        ))
    return records.PlannedTour(
        tour_id=tour_id(plan_id, tour.vehicle_id), vehicle_id=tour.vehicle_id, stops=stops,
        distance_km=tour.distance_m / 1000, duration_s=tour.duration_s, empty_km=tour.empty_distance_m / 1000,
        load_factor=round(tour.load_factor, 6),
        breaks=[records.DriverBreak(place_id=b.location_id, starts_at=inp.instant(b.service_start_s),
                                    ends_at=inp.instant(b.departure_s)) for b in tour.breaks])


def dropped_jobs(inp: PlanningInput, solution: Solution) -> list[records.DroppedJob]:
    dropped = [_left_out(item) for item in inp.left_out]
    for job in solution.dropped:
        reason, detail = explain(inp, job)
        dropped.append(records.DroppedJob(job_id=job.job_id, shipment_ids=list(inp.job_shipments.get(job.job_id, ())),
                                          reason=records.DropReason(reason), detail=detail))
    return dropped


def explain(inp: PlanningInput, dropped: DroppedJob) -> tuple[str, str]:
    """The event's reason and words an operator can act on."""
    job = inp.problem.job_by_id.get(dropped.job_id)
    spec = inp.specs.get(dropped.job_id)
    reason = PLAN_REASON.get(dropped.reason, "OTHER")
    if dropped.reason in _SOLVER_WORDS and job is not None:
        words = _SOLVER_WORDS[dropped.reason].format(temperature=job.temperature.value, kg=job.weight_kg,
                                                     litres=job.volume_l)
    elif dropped.reason is DropReason.LEFT_OUT_BY_OPTIMISER and job is not None:
        able = [v.id for v in inp.problem.vehicles if v.can_carry(job.temperature)]
        if len(able) < len(inp.problem.vehicles):
            words = (f"no van for {job.temperature.value} goods has time left today "
                     f"({', '.join(able)} {'is' if len(able) == 1 else 'are'} full)")
        elif spec is not None and spec.hub_deadline:
            at = in_berlin(inp.instant(inp.ready_s)).strftime("%H:%M")
            words = f"not enough vehicle time to bring the goods to the hub by {at}"
        else:
            words = "not enough vehicle time today: the vans' shifts are full"
    else:
        words = dropped.detail
    return reason, f"{words}; {_STILL_DUE} [{dropped.reason.value}]"


def _left_out(item: LeftOut) -> records.DroppedJob:
    return records.DroppedJob(job_id=item.job_id, shipment_ids=list(item.shipment_ids),
                              reason=records.DropReason(item.reason), detail=item.detail)


def route_planned_fields(plan_id: str, day: date, inp: PlanningInput, solution: Solution, *,
                         matrix_source: str, replan_of: str | None = None) -> dict[str, Any]:
    """The fields of RoutePlanned for a solved problem."""
    stranded = inp.stranded(solution)
    return {
        "plan_id": plan_id, "day": day,
        "tours": [planned_tour(plan_id, inp, tour, stranded) for tour in solution.tours],
        "dropped": dropped_jobs(inp, solution),
        "distance_km": solution.distance_m / 1000, "solve_time_ms": int(round(solution.solve_seconds * 1000)),
        "matrix_source": matrix_source, "empty_km": solution.empty_distance_m / 1000,
        "load_factor": round(solution.load_factor, 6), "replan_of": replan_of, "cost_eur": round(solution.cost, 2),
        "tour_costs_eur": {tour_id(plan_id, t.vehicle_id): round(t.cost, 2) for t in solution.tours},
    }


def empty_plan_fields(plan_id: str, day: date, inp: PlanningInput, *, matrix_source: str,
                      replan_of: str | None = None) -> dict[str, Any]:
    """A plan without tours: everything was left out before solving."""
    return {"plan_id": plan_id, "day": day, "tours": [], "dropped": [_left_out(i) for i in inp.left_out],
            "distance_km": 0.0, "solve_time_ms": 0, "matrix_source": matrix_source, "empty_km": 0.0,
            "load_factor": 0.0, "replan_of": replan_of, "cost_eur": 0.0, "tour_costs_eur": {}}


def plan_as_solution(problem: Problem, reference: datetime, tours: Iterable[records.PlannedTour],
                     dropped: Iterable[records.DroppedJob] = ()) -> Solution:
    """A published plan's tours as a Solution of `problem`: a stop with several
    jobs becomes one solver stop per job, in the order listed; arrival from the
    ETA (then straight on at the same place), service as early as the stop's
    windows allow, loads recomputed from the jobs except the load published
    after each stop, figures as published. Jobs left out before solving are not
    in the problem and are skipped."""
    rebuilt = [_tour(problem, reference, tour) for tour in tours]
    distance = sum(t.distance_m for t in rebuilt)
    empty = sum(t.empty_distance_m for t in rebuilt)
    left_out = tuple(DroppedJob(d.job_id, DropReason.LEFT_OUT_BY_OPTIMISER, d.detail or str(d.reason))
                     for d in dropped if d.job_id in problem.job_by_id)
    cost = sum(t.cost for t in rebuilt)
    return Solution(SolveStatus.SOLVED, tuple(rebuilt), left_out, distance, empty,
                    sum(t.load_factor * t.distance_m for t in rebuilt) / distance if distance else 0.0,
                    cost, cost, 0.0)


def _tour(problem: Problem, reference: datetime, published_tour: records.PlannedTour) -> Tour:
    vehicle = problem.vehicle_by_id[published_tour.vehicle_id]
    published = published_tour.stops
    jobs = [problem.job_by_id[j] for stop in published for j in stop.job_ids if j in problem.job_by_id]
    kg = sum(j.weight_kg for j in jobs if j.kind is JobKind.DELIVERY)  # loaded at the start depot
    litres = sum(j.volume_l for j in jobs if j.kind is JobKind.DELIVERY)
    stops: list[ScheduledStop] = []
    breaks = sorted((_seconds(b.starts_at, reference), _seconds(b.ends_at, reference), b.place_id)
                    for b in published_tour.breaks)
    last = len(published) - 1
    for i, stop in enumerate(published):
        arrival = _seconds(stop.eta, reference)
        place = stop.place_id
        visits = []
        for job_id in stop.job_ids:
            job = problem.job_by_id.get(job_id)
            if job is None:
                continue
            kind = StopKind.PICKUP if job.pickup is not None and job.pickup.location_id == place else StopKind.DELIVERY
            visits.append((job, kind))
        parts: list[tuple[StopKind, Job | None]] = [(StopKind.START, None)] if i == 0 else []
        if 0 < i < last and not visits and place == vehicle.start_location_id:
            parts.append((StopKind.RELOAD, None))  # a hub visit with nothing named: between two trips
        parts += [(kind, job) for job, kind in visits]
        if i == last and i > 0:
            parts.append((StopKind.END, None))
        for n, (kind, job) in enumerate(parts):
            if n and breaks and breaks[0][2] == place and breaks[0][0] <= arrival + 1:
                # A rest between two jobs at one place (one stop for the driver): the next job waits for it.
                start, end, _ = breaks.pop(0)
                stops.append(ScheduledStop(StopKind.BREAK, place, None, start, start, end, kg, litres))
                arrival = max(arrival, end)
            if job is None:
                if kind is StopKind.END:
                    kg = litres = 0.0
                start = arrival
                departure = arrival + (vehicle.reload_s if kind is StopKind.RELOAD else 0)
            else:
                planned = job.pickup if kind is StopKind.PICKUP else job.delivery
                sign = 1 if kind is StopKind.PICKUP else -1
                kg += sign * job.weight_kg
                litres += sign * job.volume_l
                start = earliest_service_start(arrival, planned, vehicle.shift)
                start = arrival if start is None else start
                departure = start + planned.service_s
            if n == len(parts) - 1:
                kg, litres = stop.load_g / 1000, stop.load_ml / 1000  # as published
            stops.append(ScheduledStop(kind, place, job.id if job else None, arrival, start, departure, kg, litres))
            arrival = departure  # the next part is at the same place
    stops = _with_breaks(stops, breaks)
    distance_m = int(round(published_tour.distance_km * 1000))
    return Tour(vehicle.id, tuple(stops), distance_m, published_tour.duration_s,
                int(round(published_tour.empty_km * 1000)), published_tour.load_factor,
                tour_cost(vehicle, distance_m, published_tour.duration_s))


def _seconds(at: datetime, reference: datetime) -> int:
    """A published time as the solver's seconds since `reference`."""
    return int(round((at - reference).total_seconds()))


def _with_breaks(stops: list[ScheduledStop], breaks: Sequence[tuple[int, int, str]]) -> list[ScheduledStop]:
    """The published breaks (start, end, place) put back among the stops: each before
    the first stop the van reaches once the break is over."""
    merged = list(stops)
    for start, end, place in sorted(breaks):
        at = next((i for i, s in enumerate(merged) if i > 0 and s.kind is not StopKind.BREAK and s.arrival_s >= end),
                  len(merged) - 1)
        before = merged[at - 1]
        merged.insert(at, ScheduledStop(StopKind.BREAK, place, None, start, start, end, before.load_kg, before.load_l))
    return merged
