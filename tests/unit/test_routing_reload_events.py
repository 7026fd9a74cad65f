"""Breaks, reloads and euros on their way out of the solver: a reload is a
DEPOT stop of RoutePlanned at the hub, a break is no stop of the event (its
time is in the ETAs), and a tour's cost in euros rides along; a published plan
with a reload still passes the independent checker."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import date, time

import pytest

from nahnetz import records
from nahnetz.events import new_event, read_event
from nahnetz.records import RoutePlanned
from nahnetz.regions import load_region
from services.routing.domain.fleet import local_instant, region_fleet
from services.routing.domain.plan_events import plan_as_solution, route_planned_fields
from services.routing.domain.plan_views import answered_view
from services.routing.domain.planning import build_problem
from services.routing.domain.shipments import Place, ShipmentRecord, UtcWindow
from services.routing.domain.solver import (BreakRule, ScheduledStop, Solution, SolveStatus, StopKind,
                                            check_solution)
from services.routing.domain.solver.schedule import build_tour
from services.routing.handlers.travel import great_circle_source

DAY = date(2031, 7, 16)
REGION = load_region("kreis_hoexter")
HUB = REGION.hub


def one_direct_shipment():
    shop, point = REGION.shops[0], REGION.pickup_points[0]
    record = ShipmentRecord("s1", "o-s1", Place(shop.id, shop.name, shop.lat, shop.lon),
                            Place(point.id, point.name, point.lat, point.lon), 1, DAY, 1500, 2500, "AMBIENT",
                            (UtcWindow(local_instant(DAY, time(8)), local_instant(DAY, time(15))),), ())
    depot = records.Depot(depot_id=HUB.id, name=HUB.name, location=records.GeoPoint(lat=HUB.lat, lon=HUB.lon))
    request = new_event(records.RoutePlanRequested, producer="routing-test", plan_id="plan-r", day=DAY, depot=depot,
                        vehicles=region_fleet(REGION, DAY)[:1], jobs=[], time_budget_s=1)
    source = great_circle_source()
    inp = build_problem(request, [record], lambda locations: asyncio.run(source.matrix(locations)))
    vehicle = replace(inp.problem.vehicles[0], max_trips=2, reload_s=600)
    return replace(inp, problem=replace(inp.problem, vehicles=(vehicle,)))


def published(inp, solution):
    fields = route_planned_fields("plan-r", DAY, inp, solution, matrix_source="great-circle")
    return read_event(new_event(RoutePlanned, producer="routing-worker", **fields).encode())


def test_a_reload_is_a_depot_stop_and_the_plan_carries_its_cost():
    inp = one_direct_shipment()
    problem = inp.problem
    vehicle, job = problem.vehicles[0], problem.jobs[0]
    # The shipment rides across the reload: picked up on the first trip, delivered on the second.
    tour = build_tour(problem, vehicle, [(job, StopKind.PICKUP), (None, StopKind.RELOAD), (job, StopKind.DELIVERY)],
                      vehicle.shift.start_s)
    assert [s.kind for s in tour.stops] == [StopKind.START, StopKind.PICKUP, StopKind.RELOAD, StopKind.DELIVERY,
                                            StopKind.END]
    assert tour.stops[2].load_kg == pytest.approx(1.5)  # still on board after the reload
    solution = Solution(SolveStatus.SOLVED, (tour,), (), tour.distance_m, tour.empty_distance_m, tour.load_factor,
                        tour.cost, tour.cost, 0.1)
    assert check_solution(problem, solution) == []
    event = published(inp, solution)
    [planned] = event.tours
    assert [s.kind for s in planned.stops] == ["DEPOT", "PICKUP", "DEPOT", "DELIVERY", "DEPOT"]
    assert planned.stops[2].place_id == HUB.id and planned.stops[2].job_ids == []
    assert event.tour_costs_eur[planned.tour_id] == pytest.approx(tour.cost, abs=0.005) and tour.cost > 0
    assert event.cost_eur == pytest.approx(solution.cost, abs=0.005)
    view = answered_view(None, event)
    assert view["cost_eur"] == event.cost_eur
    assert view["tours"][0]["cost_eur"] == event.tour_costs_eur[planned.tour_id]
    # What consumers received, with its reload, re-checked independently.
    assert check_solution(problem, plan_as_solution(problem, inp.reference, event.tours, event.dropped)) == []


def test_a_break_is_listed_with_the_tour_not_as_a_stop_and_consumers_can_recheck_it():
    inp = one_direct_shipment()
    problem = inp.problem
    vehicle, job = problem.vehicles[0], problem.jobs[0]
    tour = build_tour(problem, replace(vehicle, breaks=BreakRule()), [(job, StopKind.PICKUP),
                                                                      (job, StopKind.DELIVERY)],
                      vehicle.shift.start_s)
    stops = list(tour.stops)
    pickup = stops[1]
    # A driver's break at the shop after loading (more than needed, as a driver may).
    rest = ScheduledStop(StopKind.BREAK, pickup.location_id, None, pickup.departure_s, pickup.departure_s,
                         pickup.departure_s + 2700, pickup.load_kg, pickup.load_l)
    later = [replace(s, arrival_s=s.arrival_s + 2700, service_start_s=s.service_start_s + 2700,
                     departure_s=s.departure_s + 2700) for s in stops[2:]]
    tour = replace(tour, stops=tuple(stops[:2] + [rest] + later), duration_s=tour.duration_s + 2700,
                   cost=tour.cost + 0.75 * vehicle.cost_per_hour)
    solution = Solution(SolveStatus.SOLVED, (tour,), (), tour.distance_m, tour.empty_distance_m, tour.load_factor,
                        tour.cost, tour.cost, 0.1)
    with_breaks = replace(problem, vehicles=(replace(vehicle, breaks=BreakRule()),))
    assert check_solution(with_breaks, solution) == []
    event = published(inp, solution)
    [planned] = event.tours
    assert [s.kind for s in planned.stops] == ["DEPOT", "PICKUP", "DELIVERY", "DEPOT"]
    assert planned.stops[2].eta == inp.instant(later[0].arrival_s)
    assert planned.duration_s == tour.duration_s
    assert [(b.place_id, b.starts_at, b.ends_at) for b in planned.breaks] == [
        (pickup.location_id, inp.instant(rest.service_start_s), inp.instant(rest.departure_s))]
    # The plan's view (stored as JSON) shows it; the published plan, breaks put back, passes the checker.
    view = json.loads(json.dumps(answered_view(None, event)))
    assert view["tours"][0]["breaks"] == [{"place_id": pickup.location_id,
                                           "starts_at": inp.instant(rest.service_start_s).isoformat(),
                                           "ends_at": inp.instant(rest.departure_s).isoformat()}]
    assert check_solution(with_breaks, plan_as_solution(with_breaks, inp.reference, event.tours)) == []
