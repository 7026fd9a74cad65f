"""A real day at Logistikport HX: about 250 shipments from the Kreis Höxter
shops to its pick-up points, generated like the demo's orders (seeded), planned
with the region's four vans in a few seconds. Stops follow places, not
shipments; the plan passes the independent checker; every shipment is on a tour
or reported left out with a reason an operator can act on."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from benchmarks.routing.hoexter_day import DAY, REGION, TEMPERATURES, demo_day
from nahnetz import records
from nahnetz.events import new_event
from services.routing.domain.consolidation import Role, temperature_groups
from services.routing.domain.fleet import region_fleet
from services.routing.domain.plan_events import plan_as_solution, route_planned_fields
from services.routing.domain.planning import build_problem, solve_in_rounds
from services.routing.domain.shipments import Place
from services.routing.domain.solver import SolveStatus, check_solution, solve
from services.routing.handlers.travel import great_circle_source

HUB = Place(REGION.hub.id, REGION.hub.name, REGION.hub.lat, REGION.hub.lon)
SOURCE = great_circle_source()
BUDGET_S = 5


def matrix(locations):
    return asyncio.run(SOURCE.matrix(locations))


@pytest.fixture(scope="module")
def day():
    shipments = demo_day(orders=115, seed=7)
    depot = records.Depot(depot_id=HUB.place_id, name=HUB.name, location=records.GeoPoint(lat=HUB.lat, lon=HUB.lon))
    request = new_event(records.RoutePlanRequested, producer="routing-test", plan_id="plan-scale", day=DAY,
                        depot=depot, vehicles=region_fleet(REGION, DAY), jobs=[], time_budget_s=BUDGET_S)
    inp = build_problem(request, shipments, matrix)
    started = time.monotonic()

    async def solve_here(problem):
        return solve(problem)

    final, solution = asyncio.run(solve_in_rounds(inp, solve_here))
    return shipments, inp, final, solution, time.monotonic() - started


def test_the_generated_day_is_the_size_of_the_demos(day):
    shipments, *_ = day
    assert 220 <= len(shipments) <= 300
    assert {s.temperature_class for s in shipments} == set(TEMPERATURES)
    assert len({s.shop.place_id for s in shipments}) >= 25 and len({s.point.place_id for s in shipments}) >= 15


def test_stops_follow_places_not_shipments(day):
    shipments, inp, *_ = day
    shops = {s.shop.place_id for s in shipments}
    points = {s.point.place_id for s in shipments}
    at_places = [stop for job in inp.problem.jobs for _, stop in job.stops() if stop.location_id != HUB.place_id]
    # One stop per place and temperature group the fleet tells apart (three with the HX vans) at most.
    groups = len(set(temperature_groups(inp.problem.vehicles).values()))
    assert groups == 3
    assert len(at_places) <= len(shops) + len(points) + sum(
        len({(s.shop.place_id, s.temperature_class) for s in shipments if s.shop.place_id == p}) - 1 for p in shops
    ) + sum(len({s.temperature_class for s in shipments if s.point.place_id == p}) - 1 for p in points) + 5
    assert len(at_places) < len(shipments) / 2
    places = Counter(stop.location_id for stop in at_places)
    assert max(places.values()) <= groups + 1  # per place: its temperature parts, a direct job at most beside
    roles = Counter(spec.role for spec in inp.specs.values())
    assert roles[Role.COLLECT] >= 20 and roles[Role.DISTRIBUTE] >= 15
    # Weights are the sums of the grouped shipments; every shipment is in some job or left out.
    by_id = {s.shipment_id: s for s in shipments}
    for job in inp.problem.jobs:
        ids = inp.job_shipments[job.id]
        assert job.weight_kg == pytest.approx(sum(by_id[i].weight_g for i in ids) / 1000)
        assert job.penalty is not None and job.penalty > 1000  # optional, far above any routing cost
    covered = {sid for ids in inp.job_shipments.values() for sid in ids} | {
        sid for left in inp.left_out for sid in left.shipment_ids}
    assert covered == set(by_id)


def test_the_day_is_planned_within_the_budget_and_passes_the_independent_check(day):
    shipments, _, final, solution, took = day
    assert solution.status is SolveStatus.SOLVED
    assert took <= BUDGET_S + 2
    assert check_solution(final.problem, solution) == []
    assert len(solution.tours) >= 3


def test_every_shipment_is_on_a_tour_or_left_out_with_a_reason(day):
    shipments, _, final, solution, _ = day
    fields = route_planned_fields("plan-scale", DAY, final, solution, matrix_source="great-circle")
    delivered = {sid for tour in fields["tours"] for stop in tour.stops if stop.kind == "DELIVERY"
                 for sid in stop.shipment_ids}
    dropped = {sid: d for d in fields["dropped"] for sid in d.shipment_ids}
    for d in fields["dropped"]:
        assert d.reason in ("CAPACITY", "TIME_WINDOW", "TEMPERATURE_CLASS") and d.detail
        assert "stay due" in d.detail
    for s in shipments:
        assert (s.shipment_id in delivered) != (s.shipment_id in dropped), s.shipment_id
    assert len(delivered) >= 0.8 * len(shipments)  # most of the day is served
    # The published plan re-checks independently too (merged stops expanded again).
    assert check_solution(final.problem, plan_as_solution(final.problem, final.reference, fields["tours"],
                                                          fields["dropped"])) == []


def test_the_driver_sees_one_stop_per_place_visit_and_the_hub_mid_tour(day):
    shipments, _, final, solution, _ = day
    fields = route_planned_fields("plan-scale", DAY, final, solution, matrix_source="great-circle")
    by_id = {s.shipment_id: s for s in shipments}
    mid_tour_hub = 0
    for tour in fields["tours"]:
        stops = tour.stops
        assert stops[0].kind == stops[-1].kind == "DEPOT"
        assert all(a.place_id != b.place_id for a, b in zip(stops, stops[1:]))
        on_board: set[str] = set()
        for stop in stops:
            for sid in stop.shipment_ids:
                if stop.kind == "PICKUP":
                    assert by_id[sid].shop.place_id == stop.place_id
                    on_board.add(sid)
                elif stop.kind == "DELIVERY":
                    assert by_id[sid].point.place_id == stop.place_id and sid in on_board
                    on_board.discard(sid)
                elif sid in on_board:
                    on_board.discard(sid)  # unloaded at the hub
                else:
                    on_board.add(sid)  # loaded at the hub
        assert not any(by_id[s].delivery_day == DAY and s in on_board for s in on_board)
        mid_tour_hub += sum(1 for stop in stops[1:-1] if stop.kind == "DEPOT")
    assert mid_tour_hub >= 1
