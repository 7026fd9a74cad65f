"""The solver's Solution as a RoutePlanned event, and back (pure).

Every tour runs from the hub back to the hub; its stops carry the ETA (UTC) and
the load on board after the stop. The solver's precise reasons for leaving a
job out map onto the event's coarser DropReason, with the solver's words kept
in `detail`.

`plan_as_solution` rebuilds a Solution from a published plan and the problem it
was made for, so the independent checker (`check_solution`) can re-check what
consumers actually received: ETAs, loads, order of stops, figures.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Iterable, Mapping

from .planning import LeftOut, PlanningInput
from .solver import (
    DroppedJob,
    DropReason,
    Problem,
    ScheduledStop,
    Solution,
    SolveStatus,
    StopKind,
    Tour,
)
from .solver.precheck import earliest_service_start

PLAN_REASON = {
    DropReason.NO_VEHICLE_FOR_TEMPERATURE: "TEMPERATURE_CLASS",
    DropReason.TOO_HEAVY: "CAPACITY",
    DropReason.TOO_BULKY: "CAPACITY",
    DropReason.NO_SUITABLE_VEHICLE: "CAPACITY",
    DropReason.WINDOW_UNREACHABLE: "TIME_WINDOW",
    DropReason.TOUR_TOO_LONG: "TIME_WINDOW",
    DropReason.LEFT_OUT_BY_OPTIMISER: "TIME_BUDGET",
}
_STOP_KIND = {StopKind.START: "DEPOT", StopKind.END: "DEPOT", StopKind.PICKUP: "PICKUP",
              StopKind.DELIVERY: "DELIVERY"}


def tour_id(plan_id: str, vehicle_id: str) -> str:
    return f"{plan_id}-{vehicle_id}"


def _grams(kg: float) -> int:
    return int(round(kg * 1000))


def planned_tour(plan_id: str, inp: PlanningInput, tour: Tour) -> dict[str, Any]:
    stops = []
    for stop in tour.stops:
        place = inp.places[stop.location_id]
        stops.append({
            "kind": _STOP_KIND[stop.kind], "place_id": stop.location_id, "name": place.name,
            "location": place.location,
            "job_ids": [stop.job_id] if stop.job_id else [],
            "shipment_ids": list(inp.job_shipments.get(stop.job_id, ())) if stop.job_id else [],
            "eta": inp.instant(stop.arrival_s), "load_g": _grams(stop.load_kg), "load_ml": _grams(stop.load_l),
        })
    return {"tour_id": tour_id(plan_id, tour.vehicle_id), "vehicle_id": tour.vehicle_id, "stops": stops,
            "distance_km": tour.distance_m / 1000, "duration_s": tour.duration_s,
            "empty_km": tour.empty_distance_m / 1000, "load_factor": round(tour.load_factor, 6)}


def dropped_jobs(inp: PlanningInput, solution: Solution) -> list[dict[str, Any]]:
    dropped = [_left_out(item) for item in inp.left_out]
    for job in solution.dropped:
        dropped.append({"job_id": job.job_id, "shipment_ids": list(inp.job_shipments.get(job.job_id, ())),
                        "reason": PLAN_REASON.get(job.reason, "OTHER"),
                        "detail": f"{job.reason.value}: {job.detail}"})
    return dropped


def _left_out(item: LeftOut) -> dict[str, Any]:
    return {"job_id": item.job_id, "shipment_ids": list(item.shipment_ids), "reason": item.reason,
            "detail": item.detail}


def route_planned_fields(plan_id: str, day: date, inp: PlanningInput, solution: Solution, *,
                         matrix_source: str, replan_of: str | None = None) -> dict[str, Any]:
    """The fields of RoutePlanned for a solved problem."""
    return {
        "plan_id": plan_id, "day": day,
        "tours": [planned_tour(plan_id, inp, tour) for tour in solution.tours],
        "dropped": dropped_jobs(inp, solution),
        "distance_km": solution.distance_m / 1000, "solve_time_ms": int(round(solution.solve_seconds * 1000)),
        "matrix_source": matrix_source, "empty_km": solution.empty_distance_m / 1000,
        "load_factor": round(solution.load_factor, 6), "replan_of": replan_of,
    }


def empty_plan_fields(plan_id: str, day: date, inp: PlanningInput, *, matrix_source: str,
                      replan_of: str | None = None) -> dict[str, Any]:
    """A plan without tours: everything was left out before solving."""
    return {"plan_id": plan_id, "day": day, "tours": [], "dropped": [_left_out(i) for i in inp.left_out],
            "distance_km": 0.0, "solve_time_ms": 0, "matrix_source": matrix_source, "empty_km": 0.0,
            "load_factor": 0.0, "replan_of": replan_of}


def plan_as_solution(problem: Problem, reference: datetime, tours: Iterable[Mapping[str, Any]],
                     dropped: Iterable[Mapping[str, Any]] = ()) -> Solution:
    """A published plan's tours as a Solution of `problem`: arrival from the ETA,
    service as early as the stop's windows allow, loads and figures as published.
    Only job stops the problem knows are kept (jobs left out before solving are not
    in it)."""
    rebuilt = [_tour(problem, reference, tour) for tour in tours]
    distance = sum(t.distance_m for t in rebuilt)
    empty = sum(t.empty_distance_m for t in rebuilt)
    left_out = tuple(DroppedJob(d["job_id"], DropReason.LEFT_OUT_BY_OPTIMISER, d.get("detail") or d["reason"])
                     for d in dropped if d["job_id"] in problem.job_by_id)
    return Solution(SolveStatus.SOLVED, tuple(rebuilt), left_out, distance, empty,
                    sum(t.load_factor * t.distance_m for t in rebuilt) / distance if distance else 0.0,
                    0.0, 0.0, 0.0)


def _tour(problem: Problem, reference: datetime, record: Mapping[str, Any]) -> Tour:
    vehicle = problem.vehicle_by_id[record["vehicle_id"]]
    records = record["stops"]
    stops = []
    for i, stop in enumerate(records):
        arrival = int(round((stop["eta"] - reference).total_seconds()))
        kg, litres = stop["load_g"] / 1000, stop["load_ml"] / 1000
        if stop["kind"] == "DEPOT":
            kind = StopKind.START if i == 0 else StopKind.END
            stops.append(ScheduledStop(kind, stop["place_id"], None, arrival, arrival, arrival, kg, litres))
            continue
        job_id = stop["job_ids"][0]
        kind = StopKind.PICKUP if stop["kind"] == "PICKUP" else StopKind.DELIVERY
        job = problem.job_by_id[job_id]
        planned = job.pickup if kind is StopKind.PICKUP else job.delivery
        start = earliest_service_start(arrival, planned, vehicle.shift)
        start = arrival if start is None else start
        stops.append(ScheduledStop(kind, stop["place_id"], job_id, arrival, start, start + planned.service_s,
                                   kg, litres))
    return Tour(vehicle.id, tuple(stops), int(round(record["distance_km"] * 1000)), record["duration_s"],
                int(round(record["empty_km"] * 1000)), record["load_factor"], 0.0)
