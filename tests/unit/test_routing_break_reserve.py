"""Driver breaks planned by a reserve (break_reserve.py): the search runs without the
optimiser's break model on shifts shortened by the breaks a day could need, the
schedule places each break by the driving time, and a tour whose breaks do not fit
sends the plan to the break model. Every plan is re-checked by the checker."""

from __future__ import annotations

import asyncio
import importlib
from dataclasses import replace

import pytest

from routing_plane import plane
from services.routing.domain.solver import (DEFAULT_STRATEGY, BreakRule, FixedPrefix, Job, Problem, SolveStatus,
                                            Stop, StopKind, StopRef, TimeWindow, Vehicle, check_solution, solve)
from services.routing.domain.solver import break_reserve
from services.routing.domain.solver.break_reserve import break_reserve_s, reserved, rested_each

H = 3600
RULE = BreakRule()  # 4.5 h of driving, then 45 min
# The module, not the package's `solve` function of the same name.
solve_module = importlib.import_module("services.routing.domain.solver.solve")


def van(shift_h: float, **kw) -> Vehicle:
    return Vehicle("van", "depot", "depot", TimeWindow(6 * H, int(6 * H + shift_h * H)), capacity_kg=1000,
                   breaks=kw.pop("breaks", RULE), **kw)


@pytest.mark.parametrize("shift_h, max_duration_h, reserve_min", [
    (4.0, None, 0),      # never 4.5 h of driving
    (4.6, None, 45),     # could drive 4.6 h: one break
    (10.0, None, 45),    # 9 h of driving at most a day (Art. 6): two stretches, one break
    (13.0, None, 45),
    (10.0, 4.0, 0),      # the longest tour, not the shift, bounds the day
])
def test_the_reserve_is_the_fewest_breaks_after_which_the_day_needs_no_more(shift_h, max_duration_h, reserve_min):
    vehicle = van(shift_h, max_duration_s=None if max_duration_h is None else int(max_duration_h * H))
    assert break_reserve_s(vehicle) == reserve_min * 60


def test_a_stricter_rule_reserves_more():
    assert break_reserve_s(van(10.0, breaks=BreakRule(max_driving_s=4 * H, break_s=45 * 60))) == 90 * 60
    assert break_reserve_s(van(10.0, breaks=None)) == 0


def test_the_reserved_problem_has_no_break_rules_and_shorter_shifts():
    locations, matrix = plane({"depot": (0.0, 0.0)})
    p = Problem(locations, matrix, (van(8.0),), (), time_budget_s=4.0)
    shortened = reserved(p, 3.0)
    [vehicle] = shortened.vehicles
    assert vehicle.breaks is None and vehicle.shift.end_s == 6 * H + 8 * H - 45 * 60
    assert shortened.time_budget_s == 3.0


# Eight stops on a ring through the depot (as in test_routing_real_vans): about 9 h of work.
RING = {"depot": (0.0, 0.0), "c0": (80_000.0, 0.0), "c1": (68_284.0, 28_284.0), "c2": (40_000.0, 40_000.0),
        "c3": (11_716.0, 28_284.0), "c5": (11_716.0, -28_284.0), "c6": (40_000.0, -40_000.0),
        "c7": (68_284.0, -28_284.0)}


def ring_problem(budget: float = 1.0) -> Problem:
    locations, matrix = plane(RING)
    jobs = tuple(Job.single_delivery(f"d-{name}", Stop(name, service_s=15 * 60), weight_kg=10)
                 for name in RING if name != "depot")
    return Problem(locations, matrix, (van(11.0),), jobs, time_budget_s=budget)


def test_a_long_day_gets_its_break_from_the_schedule_and_passes_the_checker():
    p = ring_problem()
    solution = solve(p)
    assert solution.status is SolveStatus.SOLVED and not solution.dropped
    assert solution.strategy.endswith("+breaks by schedule")
    [tour] = solution.tours
    assert tour.breaks, "more than 4.5 h of driving needs a break"
    assert check_solution(p, solution) == []


def test_the_reserved_plan_timed_on_the_real_van_is_the_plan_with_breaks():
    p = ring_problem()
    first = solve(reserved(p, 1.0))
    tours = rested_each(p, first)
    assert None not in tours
    assert [s.job_id for s in tours[0].stops if s.job_id] == [s.job_id for s in first.tours[0].stops if s.job_id]
    assert tours[0].breaks and not first.tours[0].breaks


def test_a_plan_whose_breaks_do_not_fit_is_made_again_with_the_break_model(monkeypatch):
    monkeypatch.setattr(break_reserve, "rested_each", lambda problem, solution: [None] * len(solution.tours))
    p = ring_problem(budget=2.0)
    solution = solve(p)
    assert not solution.strategy.endswith("+breaks by schedule")
    assert solution.tours[0].breaks and not solution.dropped
    assert check_solution(p, solution) == []


def test_the_break_model_alone_is_still_there_for_who_asks_for_it():
    p = ring_problem()
    solution = solve(p, replace(DEFAULT_STRATEGY, reserve_breaks=False))
    assert not solution.strategy.endswith("+breaks by schedule")
    assert solution.tours[0].breaks and check_solution(p, solution) == []


@pytest.mark.parametrize("orders, seed", [(40, 3), (40, 7)])
def test_region_days_with_every_drivers_breaks_planned_by_the_reserve_pass_the_checker(orders, seed):
    """Generated Höxter days with breaks on all four vans, planned and published the
    way the service does it."""
    from benchmarks.routing.hoexter_day import DAY, REGION, demo_day
    from nahnetz import records
    from nahnetz.events import new_event
    from services.routing.domain.fleet import EU_BREAK_S, EU_DRIVING_BEFORE_BREAK_S, region_fleet
    from services.routing.domain.plan_events import plan_as_solution, route_planned_fields
    from services.routing.domain.planning import build_problem, solve_in_rounds
    from services.routing.handlers.travel import great_circle_source

    hub = REGION.hub
    depot = records.Depot(depot_id=hub.id, name=hub.name, location=records.GeoPoint(lat=hub.lat, lon=hub.lon))
    vans = [replace(v, break_after_s=EU_DRIVING_BEFORE_BREAK_S, break_s=EU_BREAK_S) for v in region_fleet(REGION, DAY)]
    request = new_event(records.RoutePlanRequested, producer="test", plan_id="plan-r", day=DAY, depot=depot,
                        vehicles=vans, jobs=[], time_budget_s=2)
    source = great_circle_source()
    inp = build_problem(request, demo_day(orders=orders, seed=seed),
                        lambda locations: asyncio.run(source.matrix(locations)))

    async def here(problem):
        return solve(problem)

    final, solution = asyncio.run(solve_in_rounds(inp, here))
    assert solution.strategy.endswith("+breaks by schedule")
    assert any(t.breaks for t in solution.tours)
    assert check_solution(final.problem, solution) == []
    fields = route_planned_fields("plan-r", DAY, final, solution, matrix_source="great-circle")
    assert check_solution(final.problem, plan_as_solution(final.problem, final.reference, fields["tours"],
                                                          fields["dropped"])) == []


def two_vans_on_the_ring(**kw) -> Problem:
    locations, matrix = plane(RING)
    jobs = tuple(Job.single_delivery(f"d-{name}", Stop(name, service_s=15 * 60), weight_kg=10)
                 for name in RING if name != "depot")
    # About 9 h of work, each van 7 h less a 45 min reserve: both vans are needed.
    return Problem(locations, matrix, (replace(van(7.0), id="van-1"), replace(van(7.0), id="van-2")), jobs,
                   time_budget_s=2.0, **kw)


def last_tour_without_room_and_no_break_model(monkeypatch) -> None:
    """The reserved plan's last tour has no room for its breaks, and the break model,
    given the rest of the budget, finds no plan (as it did on a busy machine)."""
    timed_for_real = break_reserve.rested_each
    monkeypatch.setattr(break_reserve, "rested_each",
                        lambda problem, solution: [*timed_for_real(problem, solution)[:-1], None])
    solve_for_real = solve_module._solve

    def break_model_finds_nothing(problem, strategy, started):
        if strategy.metaheuristic == "GUIDED_LOCAL_SEARCH":   # with_breaks: the break model
            return solve_module._solution(problem, SolveStatus.NO_SOLUTION, (), (), started, strategy)
        return solve_for_real(problem, strategy, started)

    monkeypatch.setattr(solve_module, "_solve", break_model_finds_nothing)


def test_where_the_break_model_finds_nothing_the_tours_whose_breaks_fit_are_kept(monkeypatch):
    """On a busy machine the break model, with only the rest of the budget, found no
    first plan and a whole Höxter day went unplanned. Now the reserved plan's tours
    whose breaks fit stay; the other tour's jobs are left out with the reason."""
    p = two_vans_on_the_ring()
    last_tour_without_room_and_no_break_model(monkeypatch)
    solution = solve(p)
    assert solution.status is SolveStatus.SOLVED
    assert len(solution.tours) == 1
    kept = {s.job_id for s in solution.tours[0].stops if s.job_id}
    why = {d.job_id: d.detail for d in solution.dropped}
    assert kept and set(why) == {j.id for j in p.jobs} - kept
    assert "left out: no time for the driver's breaks on its tour" in why.values()
    assert check_solution(p, solution) == []


def test_goods_already_on_a_van_are_never_left_out_for_its_breaks(monkeypatch):
    """A tour with fixed stops (a van on the road) that has no room for its breaks is not
    cut from the plan: the break model's answer stands, here that it found none."""
    p = two_vans_on_the_ring(fixed_prefixes=(FixedPrefix("van-2", (StopRef("d-c5", StopKind.DELIVERY),)),))
    last_tour_without_room_and_no_break_model(monkeypatch)
    solution = solve(p)
    assert solution.status is SolveStatus.NO_SOLUTION and solution.tours == ()
