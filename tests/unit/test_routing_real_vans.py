"""What real vans need (issue #14): drivers' breaks after Regulation (EC)
561/2006, several trips a day with a reload at the hub, and the plan priced in
euros. Each plan is solved by OR-Tools and re-checked by the independent
checker; hand-broken plans show the checker catches what it must."""

from __future__ import annotations

import math
import random
from dataclasses import replace

import pytest

from routing_plane import plane
from services.routing.domain.solver import (BreakRule, Job, Problem, Solution, SolveStatus, Stop,
                                            StopKind, TimeWindow, Tour, Vehicle, check_solution,
                                            solve)

H = 3600
RULE = BreakRule()  # 4.5 h of driving, then 45 min




def problem(points, vehicles, jobs, budget=1.0) -> Problem:
    locations, matrix = plane(points)
    return Problem(locations, matrix, tuple(vehicles), tuple(jobs), time_budget_s=budget)


def solved(p: Problem) -> Solution:
    solution = solve(p)
    assert solution.status is SolveStatus.SOLVED
    assert check_solution(p, solution) == []
    return solution


def rules(p: Problem, solution: Solution) -> set[str]:
    return {v.rule for v in check_solution(p, solution)}


def with_tour(solution: Solution, tour: Tour) -> Solution:
    return replace(solution, tours=(tour,), distance_m=tour.distance_m, cost=tour.cost)


def driving_stretches(p: Problem, tour: Tour) -> list[int]:
    """Seconds driven between breaks; breaks here are at stops, so legs are whole."""
    stretches, driven = [], 0
    for before, stop in zip(tour.stops, tour.stops[1:]):
        driven += p.duration_s(before.location_id, stop.location_id)
        if stop.kind is StopKind.BREAK:
            stretches.append(driven)
            driven = 0
    return stretches + [driven]


# --- breaks ----------------------------------------------------------------------

# Eight shops on a ring of 40 km radius through the depot: about 51 min between
# neighbours, 6.8 h of driving and 2 h of service, about 9 h of work in all.
RING = {"depot": (0.0, 0.0)} | {
    f"c{i}": (40_000 * math.cos(2 * math.pi * i / 8) + 40_000, 40_000 * math.sin(2 * math.pi * i / 8))
    for i in range(8) if i != 4  # c4 would be the depot
} | {"c4": (-2_000.0, 0.0)}
DAY_JOBS = [Job.single_delivery(f"d{i}", Stop(f"c{i}", service_s=15 * 60), weight_kg=10) for i in range(8)]


def driver(**kw) -> Vehicle:
    return Vehicle("van", "depot", "depot", kw.pop("shift", TimeWindow(7 * H, 18 * H)), capacity_kg=1000,
                   cost_per_km=0.3, cost_per_hour=30.0, **kw)


def test_a_nine_hour_day_has_a_break_before_four_and_a_half_hours_of_driving():
    p = problem(RING, [driver(breaks=RULE)], DAY_JOBS)
    solution = solved(p)
    assert not solution.dropped
    tour = solution.tours[0]
    work = sum(p.duration_s(a.location_id, b.location_id) for a, b in zip(tour.stops, tour.stops[1:])) + 8 * 900
    assert work > 8.5 * H
    assert tour.breaks, "a day of more than 4.5 h of driving needs a break"
    assert all(b.departure_s - b.service_start_s >= 45 * 60 for b in tour.breaks)
    assert max(driving_stretches(p, tour)) <= 4.5 * H
    assert tour.stops[-1].arrival_s <= 18 * H  # the shift holds, breaks included


def test_the_checker_rejects_the_day_with_its_break_removed_or_cut_short():
    p = problem(RING, [driver(breaks=RULE)], DAY_JOBS)
    solution = solved(p)
    tour = solution.tours[0]
    without = replace(tour, stops=tuple(s for s in tour.stops if s.kind is not StopKind.BREAK))
    assert "breaks" in rules(p, with_tour(solution, without))
    rest = next(i for i, s in enumerate(tour.stops) if s.kind is StopKind.BREAK)
    short = list(tour.stops)
    short[rest] = replace(short[rest], departure_s=short[rest].service_start_s + 30 * 60)
    assert "breaks" in rules(p, with_tour(solution, replace(tour, stops=tuple(short))))


def test_without_a_break_rule_a_tour_has_no_breaks():
    solution = solved(problem(RING, [driver()], DAY_JOBS))
    assert not solution.tours[0].breaks


def test_breaks_count_against_the_shift_end():
    # 9.6 h of work fits a 10 h shift, but not with the 45 min break it needs.
    jobs = [replace(j, delivery=replace(j.delivery, service_s=20 * 60)) for j in DAY_JOBS]
    short_shift = TimeWindow(7 * H, 17 * H)
    assert not solved(problem(RING, [driver(shift=short_shift)], jobs)).dropped
    with_breaks = solved(problem(RING, [driver(shift=short_shift, breaks=RULE)], jobs))
    assert with_breaks.dropped, "with its break the day no longer fits the shift"


def test_a_break_on_the_road_when_no_stop_falls_right():
    # Legs of 2 h, 3 h and 2 h: a break at either stop leaves 5 h of driving on
    # one side, so at stops it takes two breaks, which the 8 h shift has no room
    # for; one break on the road, after 4.5 h of driving, fits.
    points = {"depot": (0.0, 0.0), "a": (72_000.0, 0.0), "b": (-9_000.0, 71_435.0)}
    jobs = [Job.single_delivery("a", Stop("a")), Job.single_delivery("b", Stop("b"))]
    p = problem(points, [driver(breaks=RULE, shift=TimeWindow(6 * H, 14 * H))], jobs)
    solution = solved(p)
    assert not solution.dropped
    tour = solution.tours[0]
    (rest,) = tour.breaks
    stops = tour.stops
    at = stops.index(rest)
    assert stops[at - 1].departure_s < rest.arrival_s < stops[at + 1].arrival_s  # between two stops, driving
    assert rest.arrival_s - stops[0].departure_s == pytest.approx(4.5 * H, abs=60)


# --- several trips ---------------------------------------------------------------

LINE = {"depot": (0.0, 0.0)} | {f"c{i}": (5_000.0 + 500 * i, 0.0) for i in range(6)} | {"shop": (3_000.0, 3_000.0)}
PARCELS = [Job.single_delivery(f"d{i}", Stop(f"c{i}", service_s=300), weight_kg=100, volume_l=50) for i in range(6)]


def small_van(id="van", trips=2, **kw) -> Vehicle:
    return Vehicle(id, "depot", "depot", TimeWindow(8 * H, 18 * H), capacity_kg=300, capacity_l=1000,
                   cost_per_km=0.3, cost_per_hour=30.0, max_trips=trips, **kw)


def trips_of(tour: Tour) -> list[list[str]]:
    trips: list[list[str]] = [[]]
    for stop in tour.stops[1:-1]:
        if stop.kind is StopKind.RELOAD:
            trips.append([])
        elif stop.job_id:
            trips[-1].append(stop.job_id)
    return trips


def test_a_van_for_half_the_parcels_serves_all_of_them_in_two_trips():
    p = problem(LINE, [small_van()], PARCELS)
    solution = solved(p)
    assert not solution.dropped
    tour = solution.tours[0]
    assert tour.trips == 2
    assert sorted(len(t) for t in trips_of(tour)) == [3, 3]
    reload = next(s for s in tour.stops if s.kind is StopKind.RELOAD)
    assert reload.location_id == "depot"
    assert reload.departure_s - reload.service_start_s >= 900  # reloading takes its time...
    assert reload.load_kg == 300  # ...and the van leaves full again
    assert max(s.load_kg for s in tour.stops) <= 300


def test_the_checker_rejects_one_trip_over_capacity_and_more_trips_than_allowed():
    p = problem(LINE, [small_van()], PARCELS)
    solution = solved(p)
    tour = solution.tours[0]
    one_trip = replace(tour, stops=tuple(s for s in tour.stops if s.kind is not StopKind.RELOAD))
    assert "capacity" in rules(p, with_tour(solution, one_trip))
    reload = next(s for s in tour.stops if s.kind is StopKind.RELOAD)
    at = tour.stops.index(reload)
    three_trips = replace(tour, stops=tour.stops[: at + 1] + (reload,) + tour.stops[at + 1:])
    assert "trips" in rules(p, with_tour(solution, three_trips))


def test_with_one_trip_the_parcels_need_a_second_van_or_are_left_out():
    alone = solved(problem(LINE, [small_van(trips=1)], [replace(j, penalty=1000.0) for j in PARCELS]))
    assert len(alone.dropped) == 3
    assert alone.tours[0].trips == 1
    two_vans = solved(problem(LINE, [small_van("a", trips=1), small_van("b", trips=1)], PARCELS))
    assert not two_vans.dropped
    assert two_vans.vehicles_used == 2


def test_pickups_are_unloaded_and_a_shipment_rides_across_the_reload():
    jobs = [Job.single_delivery(f"d{i}", Stop(f"c{i}", service_s=300), weight_kg=100) for i in range(3)]
    jobs += [Job.single_pickup(f"p{i}", Stop(f"c{i}", service_s=300), weight_kg=100) for i in range(3, 6)]
    jobs.append(Job.shipment("crate", Stop("shop"), Stop("c5"), weight_kg=50))
    p = problem(LINE, [replace(small_van(), capacity_kg=250)], jobs)
    solution = solved(p)
    assert not solution.dropped
    assert solution.tours[0].trips == 2


# --- the objective in euros ------------------------------------------------------

EAST_WEST = {"depot": (0.0, 0.0)} | {f"e{i}": (20_000.0 + 300 * i, 0.0) for i in range(4)} | {
    f"w{i}": (-20_000.0 - 300 * i, 0.0) for i in range(4)}
BOTH_SIDES = [Job.single_delivery(name, Stop(name, service_s=300), weight_kg=10) for name in EAST_WEST
              if name != "depot"]


def priced(id, fixed, per_hour, kg, per_km=0.3) -> Vehicle:
    return Vehicle(id, "depot", "depot", TimeWindow(8 * H, 18 * H), capacity_kg=kg, cost_per_km=per_km,
                   cost_per_hour=per_hour, fixed_cost=fixed)


def recomputed(p: Problem, tour: Tour) -> float:
    vehicle = p.vehicle_by_id[tour.vehicle_id]
    metres = sum(p.distance_m(a.location_id, b.location_id) for a, b in zip(tour.stops, tour.stops[1:]))
    hours = (tour.stops[-1].arrival_s - tour.stops[0].departure_s) / H
    return vehicle.fixed_cost + metres / 1000 * vehicle.cost_per_km + hours * vehicle.cost_per_hour


@pytest.mark.parametrize("cheap_fixed, winner", [(20.0, {"cheap-1", "cheap-2"}), (400.0, {"dear"})])
def test_prices_per_van_hour_and_km_decide_between_one_dear_van_and_two_cheap_ones(cheap_fixed, winner):
    # The big van does both sides in about 3 h at 100 EUR/h (about 325 EUR); a small
    # one has room for one side, 1.5 h at 10 EUR/h: two of them cost about 55 EUR
    # plus their fixed costs.
    fleet = [priced("dear", 0.0, 100.0, kg=1000), priced("cheap-1", cheap_fixed, 10.0, kg=40),
             priced("cheap-2", cheap_fixed, 10.0, kg=40)]
    p = problem(EAST_WEST, fleet, BOTH_SIDES)
    solution = solved(p)
    assert not solution.dropped
    assert {t.vehicle_id for t in solution.tours} == winner
    for tour in solution.tours:
        assert tour.cost == pytest.approx(recomputed(p, tour), abs=0.01)
    assert solution.cost == pytest.approx(sum(recomputed(p, t) for t in solution.tours), abs=0.01)


def test_breaks_and_reloads_are_paid_time():
    p = problem(LINE, [small_van()], PARCELS)
    tour = solved(p).tours[0]
    hours = tour.duration_s / H
    assert tour.cost == pytest.approx(0.3 * tour.km + 30.0 * hours, abs=0.01)
    reload = next(s for s in tour.stops if s.kind is StopKind.RELOAD)
    assert tour.stops[0].departure_s < reload.service_start_s < tour.stops[-1].arrival_s


def test_the_checker_rejects_a_cost_that_does_not_add_up():
    p = problem(LINE, [small_van()], PARCELS)
    solution = solved(p)
    tour = solution.tours[0]
    assert "cost" in rules(p, with_tour(solution, replace(tour, cost=tour.cost - 1.0)))
    assert "cost" in rules(p, replace(solution, cost=solution.cost + 1.0))


# --- all of it together ----------------------------------------------------------


def generated(seed: int) -> Problem:
    """Deliveries, pickups and shipments, some with windows, on vans with and
    without breaks and with one to three trips."""
    rng = random.Random(seed)
    n = 12
    points = {"depot": (0.0, 0.0)} | {f"c{i}": (rng.uniform(-60_000, 60_000), rng.uniform(-60_000, 60_000))
                                      for i in range(n)}
    jobs = []
    for i in range(n):
        start = rng.randint(8, 15) * H
        windows = (TimeWindow(start, start + 2 * H),) if rng.random() < 0.3 else ()
        stop = Stop(f"c{i}", windows, rng.choice([0, 300, 600]))
        weight = rng.randint(10, 100)
        kind = rng.choice("DDPS")
        if kind == "D":
            jobs.append(Job.single_delivery(f"j{i}", stop, weight_kg=weight, volume_l=weight / 2))
        elif kind == "P":
            jobs.append(Job.single_pickup(f"j{i}", stop, weight_kg=weight, penalty=500.0))
        else:
            jobs.append(Job.shipment(f"j{i}", Stop(f"c{rng.randrange(n)}"), stop, weight_kg=weight, penalty=500.0))
    vans = [Vehicle(f"v{k}", "depot", "depot", TimeWindow(7 * H, 17 * H), capacity_kg=rng.choice([150, 250, 400]),
                    capacity_l=200, cost_per_km=0.3, cost_per_hour=25.0, fixed_cost=rng.choice([0.0, 50.0]),
                    breaks=RULE if k == 0 else rng.choice([None, RULE]), max_trips=rng.choice([2, 3]),
                    reload_s=rng.choice([0, 900]))
            for k in range(2)]
    return problem(points, vans, jobs, budget=0.8)


@pytest.mark.parametrize("seed", [1, 9, 25])
def test_generated_days_with_breaks_and_reloads_pass_every_check(seed):
    solved(generated(seed))
