"""RoutePlanned built from the solver's Solution (tours with ETAs and loads,
figures, dropped jobs with reasons), and a published plan re-checked by the
solver's independent checker."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone

import pytest

from nahnetz import records
from nahnetz.events import new_event, read_event
from nahnetz.records import RoutePlanned
from nahnetz.regions import load_region
from services.routing.domain.fleet import local_instant, region_fleet
from services.routing.domain.plan_events import PLAN_REASON, plan_as_solution, route_planned_fields, tour_id
from services.routing.domain.planning import build_problem
from services.routing.domain.shipments import LeftOut, Place, ShipmentRecord, UtcWindow
from services.routing.domain.solver import (
    DroppedJob,
    DropReason,
    ScheduledStop,
    Solution,
    SolveStatus,
    StopKind,
    Tour,
    check_solution,
    solve,
)
from services.routing.handlers.travel import great_circle_source

UTC = timezone.utc
DAY = date(2031, 7, 16)
REGION = load_region("kreis_hoexter")
HUB = Place(REGION.hub.id, REGION.hub.name, REGION.hub.lat, REGION.hub.lon)
SOURCE = great_circle_source()


def plan_request(plan_id: str, vehicles, *, time_budget_s: int = 10) -> records.RoutePlanRequested:
    depot = records.Depot(depot_id=HUB.place_id, name=HUB.name, location=records.GeoPoint(lat=HUB.lat, lon=HUB.lon))
    return new_event(records.RoutePlanRequested, producer="routing-test", plan_id=plan_id, day=DAY, depot=depot,
                     vehicles=list(vehicles), jobs=[], time_budget_s=time_budget_s)


class MATRIX:
    @staticmethod
    def matrix(locations):
        return asyncio.run(SOURCE.matrix(locations))


def record(sid: str, shop: Place, point: Place, *, weight_g: int = 1500, temperature: str = "AMBIENT") -> ShipmentRecord:
    return ShipmentRecord(sid, f"o-{sid}", shop, point, 1, DAY, weight_g, 2500, temperature,
                          (UtcWindow(local_instant(DAY, time(8)), local_instant(DAY, time(15))),), ())


def shops_and_points():
    shops = [Place(s.id, s.name, s.lat, s.lon) for s in REGION.shops]
    points = [Place(p.id, p.name, p.lat, p.lon) for p in REGION.pickup_points]
    return shops, points


def one_job_input():
    shops, points = shops_and_points()
    req = plan_request("plan-7", region_fleet(REGION, DAY)[:1])
    return build_problem(req, [record("s1", shops[0], points[0])], MATRIX.matrix)


def test_a_solution_becomes_route_planned_with_etas_loads_and_figures():
    inp = one_job_input()
    problem = inp.problem
    job = problem.jobs[0]
    stops = (
        ScheduledStop(StopKind.START, HUB.place_id, None, 30_000, 30_000, 30_000, 0.0, 0.0),
        ScheduledStop(StopKind.PICKUP, job.pickup.location_id, job.id, 31_000, 31_000, 31_300, 1.5, 2.5),
        ScheduledStop(StopKind.DELIVERY, job.delivery.location_id, job.id, 32_000, 32_000, 32_240, 0.0, 0.0),
        ScheduledStop(StopKind.END, HUB.place_id, None, 33_000, 33_000, 33_000, 0.0, 0.0),
    )
    tour = Tour("van-hx-1", stops, distance_m=41_234, duration_s=3000, empty_distance_m=20_000, load_factor=0.0123,
                cost=55.0)
    solution = Solution(SolveStatus.SOLVED, (tour,), (), 41_234, 20_000, 0.0123, 55.0, 55.0, 1.234)
    fields = route_planned_fields("plan-7", DAY, inp, solution, matrix_source="great-circle")
    event = read_event(new_event(RoutePlanned, producer="routing-worker", **fields).encode())
    [planned] = event.tours
    assert planned.tour_id == tour_id("plan-7", "van-hx-1") == "plan-7-van-hx-1"
    assert [s.kind for s in planned.stops] == ["DEPOT", "PICKUP", "DELIVERY", "DEPOT"]
    assert planned.stops[1].eta == inp.reference + timedelta(seconds=31_000)
    assert planned.stops[1].eta == datetime(2031, 7, 16, 6, 36, 40, tzinfo=UTC)
    assert (planned.stops[1].load_g, planned.stops[1].load_ml) == (1500, 2500)
    assert planned.stops[1].shipment_ids == ["s1"] and planned.stops[0].job_ids == []
    assert planned.stops[1].job_ids == [job.id] == ["direct:shop-hofladen-ottbergen>pp-hoexter-markt:AMBIENT"]
    assert planned.stops[0].name == "Logistikport HX"
    assert (planned.distance_km, planned.empty_km, planned.duration_s) == (41.234, 20.0, 3000)
    assert (event.distance_km, event.empty_km, event.load_factor) == (41.234, 20.0, 0.0123)
    assert event.solve_time_ms == 1234 and event.matrix_source == "great-circle"


def test_dropped_jobs_carry_the_plan_reason_and_the_solvers_words():
    inp = one_job_input()
    inp = replace(inp, left_out=(LeftOut("s9", ("s9",), "TIME_WINDOW", "the shop has no collection window"),))
    job_id = inp.problem.jobs[0].id
    dropped = (DroppedJob(job_id, DropReason.TOO_HEAVY, "weight 1.5 kg exceeds every vehicle's capacity"),)
    solution = Solution(SolveStatus.SOLVED, (), dropped, 0, 0, 0.0, 0.0, 0.0, 0.1)
    event = new_event(RoutePlanned, producer="routing-worker",
                      **route_planned_fields("plan-7", DAY, inp, solution, matrix_source="great-circle"))
    assert event.dropped == [
        records.DroppedJob(job_id="s9", shipment_ids=["s9"], reason=records.DropReason.TIME_WINDOW,
                           detail="the shop has no collection window"),
        records.DroppedJob(job_id=job_id, shipment_ids=["s1"], reason=records.DropReason.CAPACITY,
                           detail="too heavy for every van (1.5 kg); the goods stay due for the next plan [TOO_HEAVY]"),
    ]


@pytest.mark.parametrize("vans, words", [
    (["van-hx-1", "van-hx-2"], "no van for FROZEN goods has time left today (van-hx-1 is full)"),
    (["van-hx-1"], "not enough vehicle time today: the vans' shifts are full"),
])
def test_a_job_the_fleet_has_no_room_for_is_explained_in_the_operators_words(vans, words):
    shops, points = shops_and_points()
    fleet = tuple(v for v in region_fleet(REGION, DAY) if v.vehicle_id in vans)
    inp = build_problem(plan_request("plan-9", fleet), [record("s1", shops[0], points[0], temperature="FROZEN")],
                        MATRIX.matrix)
    job_id = inp.problem.jobs[0].id
    solution = Solution(SolveStatus.SOLVED, (), (DroppedJob(job_id, DropReason.LEFT_OUT_BY_OPTIMISER, "x"),),
                        0, 0, 0.0, 0.0, 0.0, 0.1)
    [dropped] = route_planned_fields("plan-9", DAY, inp, solution, matrix_source="great-circle")["dropped"]
    assert dropped.reason == "CAPACITY" and dropped.shipment_ids == ["s1"]
    assert dropped.detail.startswith(words) and "stay due for the next plan" in dropped.detail


def test_goods_through_the_hub_make_one_stop_there_and_stay_on_board_when_the_same_van_takes_them_on():
    shops, points = shops_and_points()
    # Two shops each serving two points: consolidated through the hub.
    shipments = [record(f"s{i}", shops[i // 2], points[i % 2]) for i in range(4)]
    inp = build_problem(plan_request("plan-5", region_fleet(REGION, DAY)[1:2], time_budget_s=1), shipments,
                        MATRIX.matrix)
    roles = sorted(j.id.split(":")[0] for j in inp.problem.jobs)
    assert roles == ["collect", "collect", "distribute", "distribute"]
    solution = solve(inp.problem)
    assert not solution.dropped
    [tour] = route_planned_fields("plan-5", DAY, inp, solution, matrix_source="great-circle")["tours"]
    kinds = [s.kind for s in tour.stops]
    assert kinds == ["DEPOT", "PICKUP", "PICKUP", "DEPOT", "DELIVERY", "DELIVERY", "DEPOT"]
    hub = tour.stops[3]
    assert len(hub.job_ids) == 4  # two roll cages unloaded, two loaded: one stop
    assert hub.shipment_ids == []  # everything stays on the van that collected it
    assert hub.eta <= inp.instant(inp.ready_s)  # collections are at the hub by the consolidation time
    assert tour.stops[4].eta >= inp.instant(inp.ready_s)
    assert sorted(s for stop in tour.stops[1:3] for s in stop.shipment_ids) == ["s0", "s1", "s2", "s3"]
    assert check_solution(inp.problem, plan_as_solution(inp.problem, inp.reference, [tour], [])) == []


@pytest.mark.parametrize("reason", list(DropReason))
def test_every_solver_reason_maps_onto_the_events_reasons(reason):
    assert PLAN_REASON[reason] in ("CAPACITY", "TIME_WINDOW", "TEMPERATURE_CLASS", "UNREACHABLE", "TIME_BUDGET")


def test_a_published_plan_passes_the_independent_checker_and_a_tampered_one_does_not():
    shops, points = shops_and_points()
    shipments = [record(f"s{i}", shops[i % len(shops)], points[(3 * i) % len(points)],
                        temperature=("FROZEN" if i % 4 == 0 else "AMBIENT")) for i in range(8)]
    vans = region_fleet(REGION, DAY)[:2]
    inp = build_problem(plan_request("plan-8", vans, time_budget_s=1), shipments, MATRIX.matrix)
    solution = solve(inp.problem)
    assert solution.status is SolveStatus.SOLVED and not solution.dropped
    assert check_solution(inp.problem, solution) == []
    event = read_event(new_event(RoutePlanned, producer="routing-worker",
                                 **route_planned_fields("plan-8", DAY, inp, solution,
                                                        matrix_source="great-circle")).encode())
    assert check_solution(inp.problem, plan_as_solution(inp.problem, inp.reference, event.tours, event.dropped)) == []
    frozen = {r.shipment_id for r in shipments if r.temperature_class == "FROZEN"}
    for tour in event.tours:
        carried = {s for stop in tour.stops for s in stop.shipment_ids}
        if carried & frozen:
            assert tour.vehicle_id == "van-hx-1"  # the refrigerated van
    # Moving one ETA an hour earlier breaks the driving time: the checker sees it.
    tours = list(event.tours)
    stops = list(tours[0].stops)
    stops[2] = replace(stops[2], eta=stops[2].eta - timedelta(hours=1))
    tours[0] = replace(tours[0], stops=stops)
    violations = check_solution(inp.problem, plan_as_solution(inp.problem, inp.reference, tours, event.dropped))
    assert any(v.rule == "time_window" for v in violations)
