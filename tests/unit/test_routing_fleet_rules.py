"""Driver breaks and several trips a day, from where an operator sets them (the
region pack's fleet, a plan request) to the vehicles the solver plans with (pure)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date

import pytest

from nahnetz import records
from nahnetz.events import new_event
from nahnetz.regions import load_region
from services.routing.domain.fleet import EU_BREAK_S, EU_DRIVING_BEFORE_BREAK_S, fleet_vehicle, vehicle_problems
from services.routing.domain.plan_requests import Budget, PlanAsked, VehicleAsked, decide
from services.routing.domain.planning import build_problem
from services.routing.domain.shipments import Place, ShipmentRecord
from services.routing.domain.solver import BreakRule
from services.routing.handlers.travel import great_circle_source

REGION = load_region("kreis_hoexter")
TODAY, DAY = date(2031, 7, 15), date(2031, 7, 16)


def plan_vehicles(*asked: VehicleAsked) -> list[records.Vehicle]:
    fields = decide(PlanAsked(DAY, vehicles=asked or None), today=TODAY, region=REGION,
                    budget=Budget(default_s=10, max_s=120), earlier=None, plan_id="plan-1")
    return fields["vehicles"]


def solver_vehicles(vehicles: list[records.Vehicle]):
    hub = REGION.hub
    depot = records.Depot(depot_id=hub.id, name=hub.name, location=records.GeoPoint(lat=hub.lat, lon=hub.lon))
    request = new_event(records.RoutePlanRequested, producer="test", plan_id="plan-1", day=DAY, depot=depot,
                        vehicles=vehicles, jobs=[], time_budget_s=1)
    shop, point = REGION.shops[0], REGION.pickup_points[0]   # something to carry, so a plan is made
    shipment = ShipmentRecord("s1", "o-s1", Place(shop.id, shop.name, shop.lat, shop.lon),
                              Place(point.id, point.name, point.lat, point.lon), 1, DAY, 1500, 2500, "AMBIENT", (), ())
    source = great_circle_source()
    inp = build_problem(request, [shipment], lambda locations: asyncio.run(source.matrix(locations)))
    return {v.id: v for v in inp.problem.vehicles}


def test_the_region_packs_give_the_e_vans_two_trips_and_every_driver_breaks():
    seeds = {seed.id: seed for seed in REGION.fleet}
    assert seeds["van-hx-4"].max_trips == 2 and seeds["van-hx-1"].max_trips == 1
    for region in (REGION, load_region("ilzer_land")):
        assert region.fleet and all(seed.breaks for seed in region.fleet)
    vans = solver_vehicles(plan_vehicles())
    assert vans["van-hx-4"].max_trips == 2 and vans["van-hx-4"].reload_s == 15 * 60
    assert all(v.breaks == BreakRule(16_200, 2_700) for v in vans.values())


def test_breaks_set_in_the_pack_reach_the_solver_as_the_regulation_has_them():
    van = fleet_vehicle(replace(REGION.fleet[0], breaks=True), DAY)
    assert (van.break_after_s, van.break_s) == (EU_DRIVING_BEFORE_BREAK_S, EU_BREAK_S) == (16_200, 2_700)
    assert solver_vehicles([van])[van.vehicle_id].breaks == BreakRule(16_200, 2_700)


def test_a_plan_request_turns_breaks_on_or_off_and_sets_the_trips_per_vehicle():
    vans = solver_vehicles(plan_vehicles(VehicleAsked("van-hx-1", breaks=True, max_trips=3),
                                         VehicleAsked("van-hx-4", breaks=False)))
    assert vans["van-hx-1"].breaks == BreakRule() and vans["van-hx-1"].max_trips == 3
    assert vans["van-hx-4"].breaks is None and vans["van-hx-4"].max_trips == 2   # the pack's trips kept
    # A vehicle outside the fleet, with breaks.
    [hired] = plan_vehicles(VehicleAsked("hired-1", max_weight_kg=500, max_volume_l=4000,
                                         temperature_classes=("AMBIENT",), shift_start=REGION.fleet[0].shift_start,
                                         shift_end=REGION.fleet[0].shift_end, breaks=True))
    assert hired.break_after_s == 16_200 and hired.max_trips is None
    assert solver_vehicles([hired])["hired-1"].max_trips == 1


@pytest.mark.parametrize("change, words", [
    ({"break_after_s": 20_000}, "4.5 hours"), ({"break_after_s": 600}, "4.5 hours"),
    ({"break_s": 900}, "45 minutes"), ({"max_trips": 0}, "trips a day"), ({"max_trips": 9}, "trips a day"),
    ({"reload_s": -1}, "reload"),
])
def test_rules_outside_the_law_or_reason_are_named(change, words):
    van = replace(fleet_vehicle(REGION.fleet[0], DAY), **change)
    assert any(words in problem for problem in vehicle_problems(van))
    assert vehicle_problems(fleet_vehicle(REGION.fleet[0], DAY)) == []


@pytest.mark.parametrize("orders, seed", [(20, 1), (30, 3), (40, 3)])
def test_region_days_with_every_drivers_breaks_pass_the_checker_as_planned_and_as_published(orders, seed):
    """Days (found by trying) where, planned with the optimiser's break model, breaks at
    stops or in lay-bys miss a window or the shift's end: the tours then take the
    optimiser's own break times, which hold, and consumers re-check the published plan
    with its breaks."""
    from benchmarks.routing.hoexter_day import DAY as GENERATED_DAY, demo_day
    from services.routing.domain.plan_events import plan_as_solution, route_planned_fields
    from services.routing.domain.planning import solve_in_rounds
    from services.routing.domain.solver import DEFAULT_STRATEGY, check_solution, solve

    hub = REGION.hub
    depot = records.Depot(depot_id=hub.id, name=hub.name, location=records.GeoPoint(lat=hub.lat, lon=hub.lon))
    vans = [replace(fleet_vehicle(seed_, GENERATED_DAY), break_after_s=EU_DRIVING_BEFORE_BREAK_S, break_s=EU_BREAK_S)
            for seed_ in REGION.fleet]
    request = new_event(records.RoutePlanRequested, producer="test", plan_id="plan-b", day=GENERATED_DAY,
                        depot=depot, vehicles=vans, jobs=[], time_budget_s=2)
    source = great_circle_source()
    inp = build_problem(request, demo_day(orders=orders, seed=seed),
                        lambda locations: asyncio.run(source.matrix(locations)))

    async def here(problem):
        return solve(problem, replace(DEFAULT_STRATEGY, reserve_breaks=False))

    final, solution = asyncio.run(solve_in_rounds(inp, here))
    assert solution.tours and any(t.breaks for t in solution.tours)
    assert check_solution(final.problem, solution) == []
    fields = route_planned_fields("plan-b", GENERATED_DAY, final, solution, matrix_source="great-circle")
    assert sum(len(t.breaks) for t in fields["tours"]) == sum(len(t.breaks) for t in solution.tours)
    assert check_solution(final.problem, plan_as_solution(final.problem, final.reference, fields["tours"],
                                                          fields["dropped"])) == []
