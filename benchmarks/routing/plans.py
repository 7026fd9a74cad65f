"""Turn a peer's bare stop sequences into our Solution, so our checker judges it.

A peer is trusted for nothing but the order of the stops on each van: the
schedule (earliest service start, leaving the depot at the start of the shift),
the loads and the distances are rebuilt here from the same integer matrix the
peer and our solver were given, and then checked on the exact distances.
"""

from __future__ import annotations

from services.routing.domain.solver import (
    DropReason,
    DroppedJob,
    JobKind,
    Problem,
    ScheduledStop,
    Solution,
    SolveStatus,
    StopKind,
    StopRef,
    Tour,
)


def plan_from_sequences(
    problem: Problem, routes: list[list[StopRef]], unassigned: list[str], label: str
) -> Solution:
    """routes[k] is driven by problem.vehicles[k]; empty routes are left out."""
    used = [r for r in routes if r]
    if len(used) > len(problem.vehicles):
        raise ValueError(f"{label}: {len(used)} routes for {len(problem.vehicles)} vehicles")
    tours = tuple(_tour(problem, k, route) for k, route in enumerate(used))
    dropped = tuple(
        DroppedJob(job_id, DropReason.LEFT_OUT_BY_OPTIMISER, f"left out by {label}") for job_id in unassigned
    )
    distance = sum(t.distance_m for t in tours)
    return Solution(
        status=SolveStatus.SOLVED if tours or not problem.jobs else SolveStatus.NO_SOLUTION,
        tours=tours,
        dropped=dropped,
        distance_m=distance,
        empty_distance_m=sum(t.empty_distance_m for t in tours),
        load_factor=0.0,  # not compared
        cost=sum(t.cost for t in tours),
        objective=sum(t.cost for t in tours),
        solve_seconds=0.0,
        strategy=label,
    )


def _tour(problem: Problem, k: int, route: list[StopRef]) -> Tour:
    vehicle = problem.vehicles[k]
    idx = problem.location_index
    jobs = problem.job_by_id
    durations, distances = problem.matrix.durations_s, problem.matrix.distances_m
    # Single deliveries leave the depot on board.
    on_board = [jobs[r.job_id] for r in route if jobs[r.job_id].kind is JobKind.DELIVERY]
    kg = sum(j.weight_kg for j in on_board)
    litres = sum(j.volume_l for j in on_board)
    t = vehicle.shift.start_s
    stops = [ScheduledStop(StopKind.START, vehicle.start_location_id, None, t, t, t, kg, litres)]
    where = vehicle.start_location_id
    distance = empty = 0
    for ref in route:
        job = jobs[ref.job_id]
        stop = job.pickup if ref.kind is StopKind.PICKUP else job.delivery
        assert stop is not None, f"{ref} is not a stop of {job.id}"
        leg = distances[idx[where]][idx[stop.location_id]]
        distance += leg
        empty += leg if kg <= 1e-9 and litres <= 1e-9 else 0
        arrival = t + durations[idx[where]][idx[stop.location_id]]
        start = _earliest_start(arrival, stop.time_windows)
        t = start + stop.service_s
        sign = 1 if ref.kind is StopKind.PICKUP else -1
        kg += sign * job.weight_kg
        litres += sign * job.volume_l
        stops.append(ScheduledStop(ref.kind, stop.location_id, job.id, arrival, start, t, kg, litres))
        where = stop.location_id
    leg = distances[idx[where]][idx[vehicle.end_location_id]]
    distance += leg
    empty += leg if kg <= 1e-9 and litres <= 1e-9 else 0
    end = t + durations[idx[where]][idx[vehicle.end_location_id]]
    stops.append(ScheduledStop(StopKind.END, vehicle.end_location_id, None, end, end, end, 0.0, 0.0))
    cost = distance / 1000 * vehicle.cost_per_km + vehicle.fixed_cost
    return Tour(vehicle.id, tuple(stops), distance, end - stops[0].departure_s, empty, 0.0, cost)


def _earliest_start(arrival: int, windows) -> int:
    """Wait for the first window still open; if none is, start late and let the checker say so."""
    for w in windows:
        if arrival <= w.end_s:
            return max(arrival, w.start_s)
    return arrival
