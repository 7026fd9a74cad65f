"""A driver drives at most 9 hours a day (Regulation (EC) 561/2006, art. 6(1)): the solver keeps
each tour's driving within the daily limit (the break rule's, or the vehicle's own), the break
reserve counts with it, and the independent checker finds a tour that drives longer."""

from __future__ import annotations

from dataclasses import replace

import pytest

from routing_plane import plane
from services.routing.domain.solver import (BreakRule, DropReason, Job, Problem, SolveStatus, Stop, StopKind,
                                            TimeWindow, Vehicle, check_solution, solve)
from services.routing.domain.solver.break_reserve import break_reserve_s

DAY = TimeWindow(0, 12 * 3600)
FOUR_HOURS = 4 * 3600


def far_day(van: Vehicle) -> Problem:
    """Four customers 40 km out, north, east, south and west (1 km = 100 s of driving): all four
    in one tour drive 250 km (6.9 h), three 193 km (5.4 h), two 137 km (3.8 h)."""
    locations, matrix = plane({"hub": (0, 0), "n": (0, 40_000), "e": (40_000, 0), "s": (0, -40_000),
                               "w": (-40_000, 0)})
    jobs = tuple(Job.single_delivery(f"to-{p}", Stop(p, service_s=300), weight_kg=1) for p in "nesw")
    return Problem(locations, matrix, (van,), jobs, time_budget_s=1.0)


def van(**kw) -> Vehicle:
    return Vehicle("van", "hub", "hub", DAY, capacity_kg=100, cost_per_km=0.5, **kw)


def driving_s(problem: Problem, tour) -> int:
    """Counted here from the matrix, not by the checker under test."""
    idx, durations = problem.location_index, problem.matrix.durations_s
    stops = [s for s in tour.stops if s.kind is not StopKind.BREAK]
    return sum(durations[idx[a.location_id]][idx[b.location_id]] for a, b in zip(stops, stops[1:]))


@pytest.mark.parametrize("limited", [
    van(breaks=BreakRule(max_daily_driving_s=FOUR_HOURS)),   # the driver's rule, planned by the break reserve
    van(max_driving_s=FOUR_HOURS),                           # the vehicle's own limit
], ids=["break-rule", "vehicle"])
def test_a_tour_drives_no_longer_than_the_daily_limit(limited):
    problem = far_day(limited)
    solution = solve(problem)
    assert solution.status is SolveStatus.SOLVED
    assert check_solution(problem, solution) == []
    [tour] = solution.tours
    assert driving_s(problem, tour) <= FOUR_HOURS
    assert len(tour.job_stops) == 2, "two customers fit in four hours of driving, three do not"
    assert [d.reason for d in solution.dropped] == [DropReason.LEFT_OUT_BY_OPTIMISER] * 2


def test_without_a_limit_the_same_van_serves_all_four():
    problem = far_day(van())
    solution = solve(problem)
    assert not solution.dropped and driving_s(problem, solution.tours[0]) > 6 * 3600


def test_the_checker_finds_a_tour_that_drives_past_the_limit():
    unlimited = far_day(van())
    plan = solve(unlimited)
    for limited in (van(breaks=BreakRule(max_daily_driving_s=FOUR_HOURS)), van(max_driving_s=FOUR_HOURS)):
        found = check_solution(replace(unlimited, vehicles=(limited,)), plan)
        assert [v.rule for v in found if v.rule == "daily_driving"] == ["daily_driving"], found


def test_the_default_daily_limit_is_nine_hours_and_the_break_reserve_counts_with_it():
    assert BreakRule().max_daily_driving_s == 9 * 3600
    assert van(breaks=BreakRule()).driving_limit_s == 9 * 3600
    assert van(breaks=BreakRule(), max_driving_s=FOUR_HOURS).driving_limit_s == FOUR_HOURS
    assert van().driving_limit_s is None
    ten_hours = replace(van(breaks=BreakRule()), shift=TimeWindow(0, 10 * 3600))
    assert break_reserve_s(ten_hours) == 2_700
    # Four hours of driving a day never reach the 4.5 h after which a break is due.
    assert break_reserve_s(replace(ten_hours, breaks=BreakRule(max_daily_driving_s=FOUR_HOURS))) == 0
    with pytest.raises(ValueError):
        BreakRule(max_daily_driving_s=0)
    with pytest.raises(ValueError):
        van(max_driving_s=0)
