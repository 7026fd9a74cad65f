"""Fleet minimisation: where vans cost per day, the solver also searches with one van less
than its first plan used, and keeps the plan with fewer vans only if it serves as much."""

from __future__ import annotations

import importlib
from dataclasses import replace

from routing_plane import plane
from services.routing.domain.solver import (PORTFOLIO, BreakRule, DropReason, DroppedJob, FixedPrefix, Job,
                                            Problem, ScheduledStop, SearchStrategy, Solution, SolveStatus, Stop,
                                            StopKind, StopRef, TimeWindow, Tour, Vehicle, check_solution, solve)
from services.routing.domain.solver.fewer_vans import with_one_van_less, worth_trying

DAY = TimeWindow(0, 10 * 3600)
FEWER_VANS = SearchStrategy(fewer_vans=True)
FLEET_FIRST = SearchStrategy(fleet_first=True)


def van(name: str, fixed_cost: float = 80.0) -> Vehicle:
    return Vehicle(name, "hub", "hub", DAY, capacity_kg=100, cost_per_km=0.3, fixed_cost=fixed_cost)


def day(vans: tuple[Vehicle, ...], windows: dict[str, TimeWindow] | None = None, budget_s: float = 1.0) -> Problem:
    """Four villages 10 km out (1 km = 100 s of driving); one van can serve all of them
    unless `windows` say otherwise."""
    windows = windows or {}
    locations, matrix = plane({"hub": (0, 0), "n": (0, 10_000), "e": (10_000, 0), "s": (0, -10_000),
                               "w": (-10_000, 0)})
    jobs = tuple(Job.single_delivery(f"to-{p}", Stop(p, (windows[p],) if p in windows else (), service_s=300),
                                     weight_kg=1) for p in "nesw")
    return Problem(locations, matrix, vans, jobs, time_budget_s=budget_s)


def tour(vehicle_id: str, *villages: str) -> Tour:
    def stop(kind: StopKind, location: str, job_id: str | None) -> ScheduledStop:
        return ScheduledStop(kind, location, job_id, 0, 0, 0, 0.0, 0.0)

    stops = ((stop(StopKind.START, "hub", None),)
             + tuple(stop(StopKind.DELIVERY, v, f"to-{v}") for v in villages)
             + (stop(StopKind.END, "hub", None),))
    return Tour(vehicle_id, stops, distance_m=0, duration_s=0, empty_distance_m=0, load_factor=0.0, cost=0.0)


def plan(*tours: Tour, dropped: tuple[DroppedJob, ...] = ()) -> Solution:
    return Solution(SolveStatus.SOLVED, tours, dropped, distance_m=0, empty_distance_m=0, load_factor=0.0,
                    cost=0.0, objective=0.0, solve_seconds=0.0)


# --- which van goes ----------------------------------------------------------

def test_the_van_with_the_fewest_stops_goes_and_unused_vans_stay_out():
    problem = day((van("a"), van("b"), van("c"), van("spare")))
    smaller = with_one_van_less(problem, plan(tour("a", "n", "e"), tour("b", "s"), tour("c", "w", "n")), 7.0)
    assert smaller is not None
    assert [v.id for v in smaller.vehicles] == ["a", "c"]
    assert smaller.time_budget_s == 7.0 and smaller.jobs == problem.jobs


def test_between_tours_as_short_the_dearer_van_goes():
    problem = day((van("cheap", fixed_cost=50), van("dear", fixed_cost=120)))
    smaller = with_one_van_less(problem, plan(tour("cheap", "n"), tour("dear", "s")), 1.0)
    assert smaller is not None and [v.id for v in smaller.vehicles] == ["cheap"]


def test_a_van_whose_driver_is_on_the_road_stays():
    problem = replace(day((van("a"), van("b"))),
                      fixed_prefixes=(FixedPrefix("b", (StopRef("to-s", StopKind.DELIVERY),)),))
    smaller = with_one_van_less(problem, plan(tour("a", "n", "e", "w"), tour("b", "s")), 1.0)
    assert smaller is not None and [v.id for v in smaller.vehicles] == ["b"]
    only_on_the_road = with_one_van_less(problem, plan(tour("b", "s", "n")), 1.0)
    assert only_on_the_road is None


# --- when it is worth a try --------------------------------------------------

def test_worth_a_try_only_with_two_tours_a_cost_per_van_and_nothing_required_left_out():
    problem = day((van("a"), van("b")))
    two = plan(tour("a", "n", "e"), tour("b", "s", "w"))
    assert worth_trying(problem, two)
    assert not worth_trying(problem, plan(tour("a", "n", "e", "s", "w")))
    free = day((van("a", fixed_cost=0), van("b", fixed_cost=0)))
    assert not worth_trying(free, two), "without a cost per van, fewer vans is no goal of the objective"
    left_out = plan(tour("a", "n", "e"), tour("b", "s"),
                    dropped=(DroppedJob("to-w", DropReason.LEFT_OUT_BY_OPTIMISER, "no room"),))
    assert not worth_trying(problem, left_out)
    with_breaks = day((replace(van("a"), breaks=BreakRule()), van("b")))
    assert not worth_trying(with_breaks, two)


# --- the solver --------------------------------------------------------------

def test_with_one_van_less_the_same_day_is_served_by_the_rest():
    """The search with one van less is a whole search: here a two-tour plan's four stops all
    move to the remaining van (the tours are as short, so the first one's van goes)."""
    problem = day((van("a"), van("b")))
    smaller = with_one_van_less(problem, plan(tour("a", "n", "e"), tour("b", "s", "w")), 1.0)
    assert smaller is not None and [v.id for v in smaller.vehicles] == ["b"]
    solution = solve(smaller)
    assert [t.vehicle_id for t in solution.tours] == ["b"] and not solution.dropped
    assert check_solution(problem, solution) == []


def test_a_day_that_needs_every_van_keeps_them_all():
    """North and south both at 8:00 to 8:20, 20 km apart: no van can serve both; the search
    with one van less leaves one out, so the whole fleet's plan is kept."""
    early = TimeWindow(3600, 3600 + 1200)
    problem = day((van("a"), van("b"), van("c")), {"n": early, "s": early}, budget_s=2.0)
    solution = solve(problem, FEWER_VANS)
    assert solution.status is SolveStatus.SOLVED and not solution.dropped
    assert len(solution.tours) == 2
    assert check_solution(problem, solution) == []
    assert solution.strategy.endswith("+fewer vans")


def test_the_portfolio_keeps_one_thorough_search_and_one_fleet_first_with_fewer_vans():
    assert [(s.fleet_first, s.fewer_vans) for s in PORTFOLIO] == [(False, False), (True, True)]


# --- fleet first: many short steps where vans cost per day ---------------------

def asked_improvement(monkeypatch, problem: Problem, strategy: SearchStrategy) -> bool:
    """Whether OR-Tools was asked for a local search after each ruin."""
    solve_module = importlib.import_module("services.routing.domain.solver.solve")
    asked: list[bool] = []
    original = solve_module._RoutingModel.search_parameters

    def recording(self, strategy, seconds):
        params = original(self, strategy, seconds)
        asked.append(params.iterated_local_search_parameters.improve_perturbed_solution)
        return params

    monkeypatch.setattr(solve_module._RoutingModel, "search_parameters", recording)
    solution = solve(problem, strategy)
    assert solution.status is SolveStatus.SOLVED and not solution.dropped
    return asked[0]


def test_fleet_first_skips_the_local_search_after_each_ruin_only_where_vans_cost(monkeypatch):
    paid = day((van("a"), van("b")), budget_s=0.3)
    free = day((van("a", fixed_cost=0), van("b", fixed_cost=0)), budget_s=0.3)
    assert asked_improvement(monkeypatch, paid, FLEET_FIRST) is False
    assert asked_improvement(monkeypatch, free, FLEET_FIRST) is True
    assert asked_improvement(monkeypatch, paid, SearchStrategy(fleet_first=False)) is True


# --- how the budget is shared ----------------------------------------------------

def searches(monkeypatch, problem: Problem, strategy: SearchStrategy) -> list[tuple[int, int]]:
    """(vans, milliseconds) of every search OR-Tools was asked for."""
    solve_module = importlib.import_module("services.routing.domain.solver.solve")
    asked: list[tuple[int, int]] = []
    original = solve_module._RoutingModel.search_parameters

    def recording(self, strategy, seconds):
        params = original(self, strategy, seconds)
        asked.append((len(self.problem.vehicles), params.time_limit.ToMilliseconds()))
        return params

    monkeypatch.setattr(solve_module._RoutingModel, "search_parameters", recording)
    assert solve(problem, strategy).status is SolveStatus.SOLVED
    return asked


def test_with_vans_that_cost_nothing_per_day_the_whole_budget_is_one_search(monkeypatch):
    free = day((van("a", fixed_cost=0), van("b", fixed_cost=0)), budget_s=2.0)
    [(vans, ms)] = searches(monkeypatch, free, FEWER_VANS)
    assert vans == 2 and ms > 1800


def test_after_a_plan_with_two_tours_the_rest_of_the_budget_searches_with_one_van(monkeypatch):
    early = TimeWindow(3600, 3600 + 1200)  # north and south need a van each
    problem = day((van("a"), van("b"), van("c")), {"n": early, "s": early}, budget_s=2.0)
    (whole, first_ms), (smaller, second_ms) = searches(monkeypatch, problem, FEWER_VANS)
    assert (whole, smaller) == (3, 1)
    assert first_ms < 0.35 * 2000 < second_ms


def test_after_a_plan_with_one_tour_the_rest_of_the_budget_searches_with_the_whole_fleet(monkeypatch):
    problem = day((van("a"), van("b")), budget_s=2.0)
    (whole, _), (again, second_ms) = searches(monkeypatch, problem, FEWER_VANS)
    assert whole == again == 2 and second_ms > 1000
