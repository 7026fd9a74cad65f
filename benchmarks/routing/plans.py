"""Turn a peer's bare stop sequences into our Solution, so our checker judges it.

A peer is trusted for nothing but the order of the stops on each van: the
schedule, the loads and the distances are rebuilt by the routing service's own
`build_tour` from the same integer matrix the peer and our solver were given
(so both are timed alike), and then checked on the exact distances.
"""

from __future__ import annotations

from services.routing.domain.solver import DropReason, DroppedJob, Problem, Solution, SolveStatus, StopRef, Tour
from services.routing.domain.solver.schedule import build_tour


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
    """The van's tour through the peer's stops, timed, loaded and measured as ours are."""
    jobs = problem.job_by_id
    vehicle = problem.vehicles[k]
    return build_tour(problem, vehicle, [(jobs[r.job_id], r.kind) for r in route], vehicle.shift.start_s)
