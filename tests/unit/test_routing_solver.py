"""The OR-Tools solver against the independent checker.

Each scenario is built so that ignoring the constraint under test would give a
cheaper plan: a solver that lost the constraint produces a plan the checker
rejects, or a plan that visibly differs from the asserted one.
"""

from __future__ import annotations

import asyncio
import importlib
import random
from concurrent.futures import ProcessPoolExecutor

import pytest

from routing_plane import plane
from services.routing.domain.solver import (DropReason, FixedPrefix, Job, JobKind, Problem,
                                            SearchStrategy, Solution, SolveStatus, Stop, StopKind, StopRef,
                                            TemperatureClass, TimeWindow, Vehicle,
                                            check_solution, solve, solve_in_pool)

H = 3600
AMBIENT, CHILLED, FROZEN = TemperatureClass.AMBIENT, TemperatureClass.CHILLED, TemperatureClass.FROZEN
DAY = TimeWindow(8 * H, 18 * H)




def problem(points, vehicles, jobs, fixed=(), budget=0.5) -> Problem:
    locations, matrix = plane(points)
    return Problem(locations, matrix, tuple(vehicles), tuple(jobs), tuple(fixed), time_budget_s=budget)


def van(id, depot="depot", end=None, kg=1000.0, litres=float("inf"), **kw) -> Vehicle:
    return Vehicle(id, depot, end or depot, kw.pop("shift", DAY), capacity_kg=kg, capacity_l=litres,
                   cost_per_km=kw.pop("cost_per_km", 1.0), **kw)


def solved(p: Problem, strategy: SearchStrategy | None = None) -> Solution:
    solution = solve(p) if strategy is None else solve(p, strategy)
    assert solution.status is SolveStatus.SOLVED
    violations = check_solution(p, solution)
    assert violations == [], violations
    return solution


def tour_jobs(solution: Solution, vehicle_id: str) -> list[str]:
    tour = solution.tour_of(vehicle_id)
    return [] if tour is None else [s.job_id for s in tour.job_stops]


def vehicle_of(solution: Solution, job_id: str) -> str:
    return next(t.vehicle_id for t in solution.tours for s in t.stops if s.job_id == job_id)


# --- capacity ------------------------------------------------------------------


@pytest.mark.parametrize("measure", ["weight_kg", "volume_l"])
def test_capacity_splits_a_cluster_that_one_vehicle_would_take(measure):
    points = {"depot": (0, 0)} | {f"c{i}": (10_000 + 100 * i, 0) for i in range(6)}
    jobs = [Job.single_delivery(f"d{i}", Stop(f"c{i}"), **{measure: 30}) for i in range(6)]
    vehicles = [van(f"v{k}", kg=100, litres=100) if measure == "weight_kg" else van(f"v{k}", kg=1e6, litres=100)
                for k in range(2)]
    solution = solved(problem(points, vehicles, jobs))
    assert not solution.dropped
    assert solution.vehicles_used == 2
    assert all(max(s.load_kg if measure == "weight_kg" else s.load_l for s in t.stops) <= 100 for t in solution.tours)


def test_mixed_pickups_and_deliveries_count_everything_on_board():
    # Goods to deliver leave the depot on board. Picking up on the way out
    # (the short route) would mean 120 kg in a 100 kg van.
    points = {"depot": (0, 0), "end": (13_000, 0)} | {f"p{i}": (i * 1000, 0) for i in (1, 2, 3)}
    points |= {f"d{i}": (9_000 + i * 1000, 0) for i in (1, 2, 3)}
    jobs = [Job.single_pickup(f"pick{i}", Stop(f"p{i}"), weight_kg=30) for i in (1, 2, 3)]
    jobs += [Job.single_delivery(f"drop{i}", Stop(f"d{i}"), weight_kg=30) for i in (1, 2, 3)]
    solution = solved(problem(points, [van("v", end="end", kg=100)], jobs))
    assert not solution.dropped
    tour = solution.tours[0]
    assert tour.stops[0].load_kg == 90
    assert max(s.load_kg for s in tour.stops) <= 100
    assert tour.distance_m > 13_000  # the direct run would overload


# --- time ----------------------------------------------------------------------


def test_second_time_window_is_used_when_the_first_cannot_be_reached():
    points = {"depot": (0, 0), "farm": (18_000, 0)}  # 30 minutes away
    windows = (TimeWindow(8 * H, 8 * H + 1800), TimeWindow(14 * H, 15 * H))
    jobs = [Job.single_delivery("eggs", Stop("farm", windows, service_s=300), weight_kg=5)]
    vehicles = [van("v", shift=TimeWindow(8 * H + 1200, 18 * H))]
    solution = solved(problem(points, vehicles, jobs))
    stop = solution.tours[0].job_stops[0]
    assert 14 * H <= stop.service_start_s <= 15 * H
    # The driver leaves late enough not to wait for hours at the farm.
    assert stop.service_start_s - stop.arrival_s < 600


def test_the_gap_between_two_windows_is_closed():
    # Passing the bakery first, on the way, is the short route (24 km), but the
    # bakery is closed between its windows; the plan that keeps every window
    # serves it last and drives back for it (48 km).
    points = {"depot": (0, 0), "bakery": (6_000, 0), "school": (12_000, 0), "hall": (18_000, 0),
              "end": (24_000, 0)}
    jobs = [
        Job.single_delivery("flour", Stop("bakery", (TimeWindow(8 * H, 8 * H + 300), TimeWindow(11 * H, 11 * H + 600))),
                            weight_kg=1),
        Job.single_delivery("lunch", Stop("school", (TimeWindow(10 * H, 10 * H + 600),)), weight_kg=1),
        Job.single_delivery("chairs", Stop("hall", (TimeWindow(10 * H + 1200, 10 * H + 1800),)), weight_kg=1),
    ]
    vehicles = [van("v", end="end", shift=TimeWindow(9 * H, 18 * H))]
    solution = solved(problem(points, vehicles, jobs))
    assert not solution.dropped
    assert tour_jobs(solution, "v") == ["lunch", "chairs", "flour"]
    assert 11 * H <= solution.tours[0].job_stops[2].service_start_s <= 11 * H + 600


def test_shift_end_moves_work_to_a_dearer_vehicle():
    points = {"depot": (0, 0), "n": (0, 9_000), "e": (9_000, 0), "s": (0, -9_000)}
    jobs = [Job.single_delivery(k, Stop(k), weight_kg=1) for k in ("n", "e", "s")]
    vehicles = [van("short", shift=TimeWindow(8 * H, 9 * H)), van("long", fixed_cost=500.0, cost_per_km=5.0)]
    solution = solved(problem(points, vehicles, jobs))
    assert not solution.dropped
    assert solution.vehicles_used == 2
    assert solution.tour_of("short").stops[-1].arrival_s <= 9 * H


def test_maximum_tour_duration_forces_a_second_vehicle():
    points = {"depot": (0, 0), "n": (0, 9_000), "e": (9_000, 0), "s": (0, -9_000), "w": (-9_000, 0)}
    jobs = [Job.single_delivery(k, Stop(k), weight_kg=1) for k in "nesw"]
    vehicles = [van(f"v{k}", fixed_cost=100.0, max_duration_s=H) for k in range(2)]
    solution = solved(problem(points, vehicles, jobs))
    assert not solution.dropped
    assert solution.vehicles_used == 2
    assert all(t.duration_s <= H for t in solution.tours)


# --- pickup and delivery -------------------------------------------------------


def test_shipment_is_picked_up_before_it_is_delivered():
    # Delivering first would be far shorter: the van ends its day past the shop.
    # A letter weighs nothing, so no load can go negative and give the order away.
    points = {"depot": (0, 0), "end": (11_000, 0), "shop": (10_000, 0), "locker": (1_000, 0)}
    jobs = [Job.shipment("letter", Stop("shop", service_s=60), Stop("locker", service_s=60))]
    solution = solved(problem(points, [van("v", end="end")], jobs))
    assert [s.kind for s in solution.tours[0].job_stops] == [StopKind.PICKUP, StopKind.DELIVERY]


def test_shipment_is_picked_up_and_delivered_by_the_same_vehicle():
    # Each van has one end of the shipment next door: handing over would be shorter.
    points = {"west": (0, 0), "locker": (1_000, 0), "shop": (10_000, 0), "east": (10_000, 100)}
    jobs = [Job.shipment("letter", Stop("shop", service_s=60), Stop("locker", service_s=60))]
    solution = solved(problem(points, [van("vw", depot="west"), van("ve", depot="east")], jobs))
    assert solution.vehicles_used == 1
    assert len(solution.tours[0].job_stops) == 2


# --- temperature and depots ------------------------------------------------------


def test_frozen_goods_ride_only_on_a_refrigerated_vehicle():
    points = {"depot": (0, 0), "cold_depot": (20_000, 0), "a": (500, 0), "b": (-600, 0)}
    jobs = [Job.single_delivery("ice", Stop("a"), weight_kg=5, temperature=FROZEN),
            Job.single_delivery("bread", Stop("b"), weight_kg=5)]
    vehicles = [van("ambient"), van("fridge", depot="cold_depot", temperatures=frozenset({AMBIENT, CHILLED, FROZEN}))]
    solution = solved(problem(points, vehicles, jobs))
    assert vehicle_of(solution, "ice") == "fridge"
    assert vehicle_of(solution, "bread") == "ambient"


def test_each_vehicle_starts_and_ends_at_its_own_depots():
    points = {"west": (0, 0), "east": (50_000, 0), "middle": (25_000, 0)}
    points |= {f"w{i}": (1_000 * i, 500) for i in range(1, 4)} | {f"e{i}": (50_000 - 1_000 * i, 500) for i in range(1, 4)}
    jobs = [Job.single_delivery(k, Stop(k), weight_kg=1) for k in points if k[0] in "we" and k[1:].isdigit()]
    vehicles = [van("vw", depot="west"), van("ve", depot="east"), van("through", depot="west", end="east",
                                                                     fixed_cost=1_000.0)]
    solution = solved(problem(points, vehicles, jobs))
    assert sorted(tour_jobs(solution, "vw")) == ["w1", "w2", "w3"]
    assert sorted(tour_jobs(solution, "ve")) == ["e1", "e2", "e3"]
    for tour in solution.tours:
        vehicle = next(v for v in vehicles if v.id == tour.vehicle_id)
        assert (tour.stops[0].location_id, tour.stops[-1].location_id) == (vehicle.start_location_id,
                                                                         vehicle.end_location_id)


# --- re-planning ------------------------------------------------------------------


def test_replanning_keeps_fixed_stops_first_in_order_and_the_delivery_on_board():
    # "v1" has picked up the parcel and is delivering the paper; "v2", next
    # door, would otherwise take the parcel.
    points = {"d1": (0, 0), "d2": (10_000, 0), "shop": (10_000, 100), "locker": (10_000, 200),
              "kiosk": (9_900, 0)}
    jobs = [Job.shipment("parcel", Stop("shop"), Stop("locker"), weight_kg=10),
            Job.single_delivery("paper", Stop("kiosk"), weight_kg=2)]
    vehicles = [van("v1", depot="d1"), van("v2", depot="d2")]
    assert vehicle_of(solved(problem(points, vehicles, jobs)), "parcel") == "v2"
    # Fixed in an order that is not the shortest one for "v1" either.
    fixed = [FixedPrefix("v1", (StopRef("parcel", StopKind.PICKUP), StopRef("paper", StopKind.DELIVERY)))]
    solution = solved(problem(points, vehicles, jobs, fixed))
    v1 = solution.tour_of("v1").job_stops
    assert [(s.job_id, s.kind) for s in v1] == [
        ("parcel", StopKind.PICKUP), ("paper", StopKind.DELIVERY), ("parcel", StopKind.DELIVERY)]


# --- dropped jobs and their reasons ---------------------------------------------------


def test_jobs_that_cannot_be_served_are_reported_with_the_reason():
    points = {"depot": (0, 0), "near": (1_000, 0), "far": (50_000, 0), "remote": (30_000, 0)}
    vehicles = [van("truck", kg=500, litres=1000),
                van("fridge", kg=100, litres=200, temperatures=frozenset({AMBIENT, CHILLED}), max_duration_s=2 * H)]
    jobs = [
        Job.single_delivery("piano", Stop("near"), weight_kg=900),
        Job.single_delivery("hay", Stop("near"), weight_kg=10, volume_l=5_000),
        Job.single_delivery("ice", Stop("near"), weight_kg=10, temperature=FROZEN),
        Job.single_delivery("cheese_wheel", Stop("near"), weight_kg=300, temperature=CHILLED),
        Job.single_delivery("breakfast", Stop("near", (TimeWindow(6 * H, 7 * H),)), weight_kg=1),
        Job.single_delivery("yoghurt", Stop("far"), weight_kg=1, temperature=CHILLED),
        Job.single_delivery("flyer", Stop("remote"), weight_kg=1, penalty=0.01),
        Job.single_delivery("bread", Stop("near"), weight_kg=5),
    ]
    solution = solved(problem(points, vehicles, jobs))
    reasons = {d.job_id: d.reason for d in solution.dropped}
    assert reasons == {
        "piano": DropReason.TOO_HEAVY,
        "hay": DropReason.TOO_BULKY,
        "ice": DropReason.NO_VEHICLE_FOR_TEMPERATURE,
        "cheese_wheel": DropReason.NO_SUITABLE_VEHICLE,
        "breakfast": DropReason.WINDOW_UNREACHABLE,
        "yoghurt": DropReason.TOUR_TOO_LONG,
        "flyer": DropReason.LEFT_OUT_BY_OPTIMISER,
    }
    details = {d.job_id: d.detail for d in solution.dropped}
    assert details["piano"] == "weight 900 kg exceeds every vehicle's capacity"
    assert details["ice"] == "no vehicle can carry FROZEN"
    assert details["breakfast"] == "time window unreachable from depot within shift"
    assert "penalty cheaper than serving" in details["flyer"]
    assert tour_jobs(solution, "truck") + tour_jobs(solution, "fridge") == ["bread"]
    assert solution.objective == pytest.approx(solution.cost + 0.01)


def test_optional_job_worth_its_detour_is_served():
    points = {"depot": (0, 0), "remote": (30_000, 0)}
    jobs = [Job.single_delivery("flyer", Stop("remote"), weight_kg=1, penalty=1_000.0)]
    solution = solved(problem(points, [van("v")], jobs))
    assert not solution.dropped


# --- figures --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [JobKind.DELIVERY, JobKind.PICKUP])
def test_empty_km_and_load_factor_of_an_out_and_back_tour(kind):
    points = {"depot": (0, 0), "shop": (5_000, 0)}
    make = Job.single_delivery if kind is JobKind.DELIVERY else Job.single_pickup
    solution = solved(problem(points, [van("v", kg=100, cost_per_km=0.5, cost_per_hour=36.0, fixed_cost=20.0)],
                              [make("box", Stop("shop", service_s=600), weight_kg=50)]))
    tour = solution.tours[0]
    assert tour.distance_m == 10_000 and tour.km == 10
    assert tour.empty_distance_m == 5_000  # back empty after a delivery, out empty before a pickup
    assert tour.load_factor == pytest.approx(0.25)
    assert tour.duration_s == 1_000 + 600
    assert tour.cost == pytest.approx(20 + 10 * 0.5 + (1_600 / 3600) * 36)
    assert solution.empty_km == 5 and solution.load_factor == pytest.approx(0.25)


# --- generated instances: everything at once -----------------------------------------------


def generated(seed: int, jobs: int = 24, budget: float = 0.6) -> Problem:
    rnd = random.Random(seed)
    points = {"hub": (0.0, 0.0), "north": (2_000.0, 25_000.0)}
    points |= {f"p{i}": (rnd.uniform(-20_000, 20_000), rnd.uniform(-20_000, 30_000)) for i in range(jobs * 2)}
    cold = frozenset({AMBIENT, CHILLED, FROZEN})
    vehicles = [
        van("van1", depot="hub", kg=400, litres=1_500, cost_per_hour=30.0, fixed_cost=30.0),
        van("van2", depot="north", kg=300, litres=1_000, shift=TimeWindow(7 * H, 15 * H), max_duration_s=6 * H),
        van("fridge", depot="hub", kg=250, litres=800, temperatures=cold, max_duration_s=8 * H),
        van("shuttle", depot="hub", end="north", kg=600, litres=2_000, shift=TimeWindow(9 * H, 17 * H)),
    ]

    def windows() -> tuple[TimeWindow, ...]:
        roll = rnd.random()
        if roll < 0.3:
            return ()
        start = rnd.randrange(8 * H, 13 * H, 900)
        first = TimeWindow(start, start + rnd.choice((1, 2)) * H)
        if roll < 0.6:
            return (first,)
        return (first, TimeWindow(first.end_s + H, first.end_s + 3 * H))

    result = []
    for i in range(jobs):
        kind = rnd.choice([JobKind.DELIVERY, JobKind.DELIVERY, JobKind.PICKUP, JobKind.SHIPMENT])
        a = Stop(f"p{2 * i}", windows(), service_s=rnd.choice((120, 300)))
        b = Stop(f"p{2 * i + 1}", windows(), service_s=120)
        common = dict(
            weight_kg=rnd.choice((5, 20, 60)),
            volume_l=rnd.choice((10, 80, 200)),
            temperature=rnd.choice([AMBIENT] * 4 + [CHILLED, FROZEN]),
            penalty=None if rnd.random() < 0.8 else 50.0,
        )
        if kind is JobKind.SHIPMENT:
            result.append(Job.shipment(f"j{i}", a, b, **common))
        elif kind is JobKind.PICKUP:
            result.append(Job.single_pickup(f"j{i}", a, **common))
        else:
            result.append(Job.single_delivery(f"j{i}", a, **common))
    return problem(points, vehicles, result, budget=budget)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_instances_pass_every_check(seed):
    p = generated(seed)
    solution = solved(p)
    served = {s.job_id for t in solution.tours for s in t.job_stops}
    assert len(served) >= len(p.jobs) // 2
    for tour in solution.tours:
        vehicle = p.vehicle_by_id[tour.vehicle_id]
        assert all(vehicle.can_carry(p.job_by_id[s.job_id].temperature) for s in tour.job_stops)


def test_generated_instance_with_a_replanned_fleet_keeps_every_fixed_prefix():
    p = generated(4)
    first = solved(p)
    fixed = []
    for tour in first.tours:
        # The first two stops of each tour are done; the next plan must keep them.
        refs = tuple(StopRef(s.job_id, s.kind) for s in tour.job_stops[:2])
        if refs:
            fixed.append(FixedPrefix(tour.vehicle_id, refs))
    replanned = solved(Problem(p.locations, p.matrix, p.vehicles, p.jobs, tuple(fixed), time_budget_s=0.6))
    for prefix in fixed:
        stops = replanned.tour_of(prefix.vehicle_id).job_stops
        assert tuple(StopRef(s.job_id, s.kind) for s in stops[: len(prefix.stops)]) == prefix.stops


# --- time budget and the process pool ------------------------------------------------------


class SteppingClock:
    """A monotonic clock that moves `step` seconds at every reading (no wall clock)."""

    def __init__(self, start: float = 1000.0, step: float = 0.1):
        self.now, self.step = start - step, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_the_search_gets_what_is_left_of_the_time_budget(monkeypatch):
    """Model building counts against the budget: OR-Tools gets only the rest, less
    the time kept back for reading the tours (checked on a fake clock, not the wall)."""
    # The package re-exports the function `solve`; the module has the same name.
    solve_module = importlib.import_module("services.routing.domain.solver.solve")

    asked: list[int] = []
    original = solve_module._RoutingModel.search_parameters

    def recording(self, strategy, seconds):
        params = original(self, strategy, seconds)
        asked.append(params.time_limit.ToMilliseconds())
        return params

    monkeypatch.setattr(solve_module._RoutingModel, "search_parameters", recording)
    monkeypatch.setattr(solve_module.time, "monotonic", SteppingClock(step=0.1))
    solution = solve(generated(5, jobs=40, budget=1.0))
    # started at t, asked at t + 0.1: 1.0 - 0.1 - bookkeeping is left for the search.
    (milliseconds,) = asked
    assert abs(milliseconds - (1.0 - 0.1 - solve_module._BOOKKEEPING_S) * 1000) <= 1
    assert solution.status is SolveStatus.SOLVED


def test_process_pool_entry_point_returns_a_checked_solution():
    p = generated(6, budget=0.4)
    strategies = (SearchStrategy(first_solution="PARALLEL_CHEAPEST_INSERTION"),
                  SearchStrategy(first_solution="LOCAL_CHEAPEST_INSERTION"))
    with ProcessPoolExecutor(max_workers=2) as pool:
        single = asyncio.run(solve_in_pool(pool, p))
        best = asyncio.run(solve_in_pool(pool, p, strategies))
    for solution in (single, best):
        assert isinstance(solution, Solution)
        assert solution.status is SolveStatus.SOLVED
        assert check_solution(p, solution) == []
    assert best.strategy in {s.name for s in strategies}


def test_nothing_to_plan_gives_an_empty_plan_at_once(monkeypatch):
    points = {"depot": (0, 0), "near": (1_000, 0)}
    p = problem(points, [van("v", kg=10)], [Job.single_delivery("piano", Stop("near"), weight_kg=900)], budget=5)
    solve_module = importlib.import_module("services.routing.domain.solver.solve")

    def no_search(*args, **kwargs):
        raise AssertionError("nothing is left to plan: the five-second search must not start")

    monkeypatch.setattr(solve_module._RoutingModel, "solve", no_search)
    solution = solved(p)
    assert solution.tours == () and [d.reason for d in solution.dropped] == [DropReason.TOO_HEAVY]
