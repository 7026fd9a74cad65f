"""Driver breaks without the optimiser's break model: plan on shifts shortened by
the breaks a driver's day can call for, then place each break where the driving
time calls for it (schedule.py).

Why: the break model (an interval per break and the elapsed time between them,
see solve.py) slows the search so much that on generated Höxter days it planned
1.1-1.5 times the km of a plan without breaks and served fewer shipments in the
same seconds (benchmarks/routing/breaks.py). Most tours have room for a break
anyway: in a wait before a window opens, at a stop, or in the time the reserve
keeps free at the end of the day. When one tour's breaks do not fit, the caller
plans again with the break model (`solve`). The reserve also keeps a van from a
window late in its shift, which the break model may still reach; on generated
Höxter days the reserve served more all the same (benchmarks/routing/breaks.py).
"""

from __future__ import annotations

from dataclasses import replace

from .model import Problem, Solution, StopKind, Tour, Vehicle
from .schedule import Visit, rested_tour

# Not visits: the schedule makes these itself.
_SCHEDULED_BY_SCHEDULE = (StopKind.START, StopKind.END, StopKind.BREAK)


def break_reserve_s(vehicle: Vehicle) -> int:
    """The break time the vehicle's working day can call for: the fewest breaks n
    such that the driving left beside them (the day less n breaks, at most the
    daily driving limit) needs no more."""
    rule = vehicle.breaks
    if rule is None:
        return 0
    day = vehicle.shift.end_s - vehicle.shift.start_s
    if vehicle.max_duration_s is not None:
        day = min(day, vehicle.max_duration_s)
    breaks = 0
    while min(day - breaks * rule.break_s, rule.max_daily_driving_s) > (breaks + 1) * rule.max_driving_s:
        breaks += 1
    return breaks * rule.break_s


def reserved(problem: Problem, time_budget_s: float) -> Problem:
    """The problem without break rules, each shift (and longest tour) shortened by its
    vehicle's break reserve, the daily driving limit kept; solved with `time_budget_s`."""

    def shortened(vehicle: Vehicle) -> Vehicle:
        reserve = break_reserve_s(vehicle)
        return replace(vehicle, breaks=None, max_driving_s=vehicle.driving_limit_s,
                       shift=replace(vehicle.shift, end_s=vehicle.shift.end_s - reserve),
                       max_duration_s=None if vehicle.max_duration_s is None else vehicle.max_duration_s - reserve)

    return replace(problem, vehicles=tuple(shortened(v) for v in problem.vehicles), time_budget_s=time_budget_s)


def rested_each(problem: Problem, solution: Solution) -> list[Tour | None]:
    """Each tour of `solution` (planned on `reserved(problem)`) timed again on its real
    vehicle, with its breaks, or None where its breaks do not fit; in the order of
    `solution.tours`."""
    vehicles = {v.id: v for v in problem.vehicles}
    timed: list[Tour | None] = []
    for tour in solution.tours:
        vehicle = vehicles[tour.vehicle_id]
        if vehicle.breaks is None:
            timed.append(tour)
            continue
        visits: list[Visit] = [(problem.job_by_id[s.job_id] if s.job_id else None, s.kind)
                               for s in tour.stops if s.kind not in _SCHEDULED_BY_SCHEDULE]
        timed.append(rested_tour(problem, vehicle, visits, tour.stops[0].departure_s))
    return timed
