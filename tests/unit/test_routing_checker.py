"""The independent checker: a hand-made plan passes, each deliberately broken
variant is caught with the rule it breaks."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from services.routing.domain.solver import (DroppedJob, DropReason, FixedPrefix, Job, Location, Problem,
                                            ScheduledStop, Solution, SolveStatus, Stop, StopKind, StopRef,
                                            TemperatureClass, TimeWindow, Tour, TravelMatrix, Vehicle,
                                            check_solution, recompute_distance)

H = 3600
# depot (0, 0), shop (5 km, 0), locker (5 km, 3 km); 10 m/s.
LOCATIONS = (Location("depot", x=0, y=0), Location("shop", x=5000, y=0), Location("locker", x=5000, y=3000))
DISTANCES = [[0, 5000, 5831], [5000, 0, 3000], [5831, 3000, 0]]
MATRIX = TravelMatrix.from_rows(DISTANCES, [[math.ceil(d / 10) for d in row] for row in DISTANCES])
VAN = Vehicle("van", "depot", "depot", TimeWindow(8 * H, 18 * H), capacity_kg=100, max_duration_s=4 * H)
PARCEL = Job.shipment("parcel", Stop("shop", service_s=60), Stop("locker", (TimeWindow(9 * H, 10 * H),)),
                      weight_kg=60)
BREAD = Job.single_delivery("bread", Stop("locker"), weight_kg=30)


def make_problem(vehicles=(VAN,), jobs=(PARCEL, BREAD), fixed=()) -> Problem:
    return Problem(LOCATIONS, MATRIX, tuple(vehicles), tuple(jobs), tuple(fixed))


def stop(kind, location, job, arrival, start, departure, kg):
    return ScheduledStop(kind, location, job, arrival, start, departure, kg, 0.0)


def make_tour(stops=None, vehicle="van", distance=13_831, empty=5_831) -> Tour:
    stops = stops or (
        stop(StopKind.START, "depot", None, 28_800, 28_800, 28_800, 30),
        stop(StopKind.PICKUP, "shop", "parcel", 29_300, 29_300, 29_360, 90),
        stop(StopKind.DELIVERY, "locker", "parcel", 29_660, 32_400, 32_400, 30),
        stop(StopKind.DELIVERY, "locker", "bread", 32_400, 32_400, 32_400, 0),
        stop(StopKind.END, "depot", None, 32_984, 32_984, 32_984, 0),
    )
    duration = stops[-1].arrival_s - stops[0].departure_s
    return Tour(vehicle, tuple(stops), distance, duration, empty, 0.5, 0.0)


def make_solution(tours=None, dropped=()) -> Solution:
    tours = (make_tour(),) if tours is None else tuple(tours)
    distance = sum(t.distance_m for t in tours)
    return Solution(SolveStatus.SOLVED, tours, tuple(dropped), distance, 0, 0.0, 0.0, 0.0, 0.0)


def rules(problem: Problem, solution: Solution) -> set[str]:
    return {v.rule for v in check_solution(problem, solution)}


def test_a_correct_plan_passes():
    assert check_solution(make_problem(), make_solution()) == []
    assert recompute_distance(make_problem(), make_solution()) == 13_831


def test_waiting_for_the_second_of_two_windows_is_fine():
    parcel = replace(PARCEL, delivery=Stop("locker", (TimeWindow(8 * H, 8 * H + 300), TimeWindow(9 * H, 10 * H))))
    assert check_solution(make_problem(jobs=(parcel, BREAD)), make_solution()) == []


def test_delivery_before_pickup_is_caught():
    s = make_tour().stops
    swapped = (s[0], replace(s[2], location_id="locker"), replace(s[1], location_id="shop"), s[3], s[4])
    assert "precedence" in rules(make_problem(), make_solution([make_tour(swapped)]))


def test_pickup_and_delivery_on_different_vehicles_is_caught():
    other = replace(VAN, id="other")
    s = make_tour().stops
    first = make_tour((s[0], s[1], s[4]), distance=10_000, empty=0)
    second = make_tour((s[0], s[2], s[3], s[4]), vehicle="other", distance=11_662, empty=5_831)
    assert "precedence" in rules(make_problem(vehicles=(VAN, other)), make_solution([first, second]))


def test_overload_is_caught():
    small = replace(VAN, capacity_kg=80)  # 30 kg of bread + 60 kg parcel = 90 kg after the pickup
    assert "capacity" in rules(make_problem(vehicles=(small,)), make_solution())


def test_overload_in_litres_is_caught():
    bulky = replace(PARCEL, volume_l=500)
    s = make_tour().stops
    stops = (s[0], replace(s[1], load_l=500), s[2], s[3], s[4])
    problem = make_problem(vehicles=(replace(VAN, capacity_l=400),), jobs=(bulky, BREAD))
    assert "capacity" in rules(problem, make_solution([make_tour(stops)]))


def test_late_service_is_caught():
    early = replace(PARCEL, delivery=Stop("locker", (TimeWindow(8 * H, 8 * H + 600),)))
    assert "time_window" in rules(make_problem(jobs=(early, BREAD)), make_solution())


def test_arriving_faster_than_driving_allows_is_caught():
    s = make_tour().stops
    rushed = (s[0], replace(s[1], arrival_s=29_000, service_start_s=29_000, departure_s=29_060), *s[2:])
    assert "time_window" in rules(make_problem(), make_solution([make_tour(rushed)]))


def test_leaving_before_service_is_done_is_caught():
    s = make_tour().stops
    hasty = (s[0], replace(s[1], departure_s=29_300), *s[2:])
    assert "time_window" in rules(make_problem(), make_solution([make_tour(hasty)]))


def test_shift_and_maximum_duration_are_caught():
    assert "shift" in rules(make_problem(vehicles=(replace(VAN, shift=TimeWindow(8 * H, 9 * H)),)), make_solution())
    assert "duration" in rules(make_problem(vehicles=(replace(VAN, max_duration_s=H),)), make_solution())


def test_goods_on_a_vehicle_that_cannot_keep_them_cold_are_caught():
    frozen = replace(BREAD, temperature=TemperatureClass.FROZEN)
    assert "temperature" in rules(make_problem(jobs=(PARCEL, frozen)), make_solution())


def test_a_job_neither_served_nor_reported_is_caught():
    s = make_tour().stops
    without_bread = (replace(s[0], load_kg=0), replace(s[1], load_kg=60), replace(s[2], load_kg=0), s[4])
    tour = make_tour(without_bread, distance=13_831, empty=5_831 + 5_000)
    assert rules(make_problem(), make_solution([tour])) == {"coverage"}
    reported = [DroppedJob("bread", DropReason.LEFT_OUT_BY_OPTIMISER, "left out")]
    assert check_solution(make_problem(), make_solution([tour], reported)) == []


def test_a_job_served_twice_or_served_and_dropped_is_caught():
    reported = [DroppedJob("bread", DropReason.LEFT_OUT_BY_OPTIMISER, "left out")]
    assert "coverage" in rules(make_problem(), make_solution(dropped=reported))
    s = make_tour().stops
    twice = (*s[:4], replace(s[3], load_kg=0), s[4])
    assert "coverage" in rules(make_problem(), make_solution([make_tour(twice)]))


def test_fixed_stops_moved_are_caught():
    fixed = [FixedPrefix("van", (StopRef("bread", StopKind.DELIVERY),))]
    assert "fixed_stops" in rules(make_problem(fixed=fixed), make_solution())
    kept = [FixedPrefix("van", (StopRef("parcel", StopKind.PICKUP),))]
    assert check_solution(make_problem(fixed=kept), make_solution()) == []


def test_wrong_figures_are_caught():
    assert "figures" in rules(make_problem(), make_solution([make_tour(distance=10_000)]))
    assert "figures" in rules(make_problem(), make_solution([make_tour(empty=0)]))
    s = make_tour().stops
    wrong_load = (s[0], replace(s[1], load_kg=60), *s[2:])
    assert "figures" in rules(make_problem(), make_solution([make_tour(wrong_load)]))


def test_a_tour_not_starting_and_ending_at_its_depots_is_caught():
    s = make_tour().stops
    elsewhere = (replace(s[0], location_id="shop"), *s[1:])
    assert "tour" in rules(make_problem(), make_solution([make_tour(elsewhere)]))


@pytest.mark.parametrize("factor", [1.0, 1.001])
def test_an_exact_matrix_can_replace_the_integer_one(factor):
    # Benchmarks check against double-precision distances: a plan on time with
    # rounded-up integer times stays on time; slower real driving does not.
    exact = TravelMatrix.from_rows(
        [[d * factor for d in row] for row in DISTANCES], [[d / 10 * factor for d in row] for row in DISTANCES]
    )
    problem = make_problem(vehicles=(replace(VAN, shift=TimeWindow(8 * H, 32_984)),))
    found = {v.rule for v in check_solution(problem, make_solution(), travel=exact)}
    assert found == (set() if factor == 1.0 else {"time_window"})
    assert recompute_distance(problem, make_solution(), travel=exact) == pytest.approx(13_831 * factor)
