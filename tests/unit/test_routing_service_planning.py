"""Building the solver's problem from the hub's shipments and the fleet: shifts in
UTC, job ids and kinds by day, temperature classes, windows, and the fixed
prefixes of a re-plan from the drivers' progress."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone

import pytest

from nahnetz import records
from nahnetz.events import new_event
from nahnetz.geo import GeoPoint, haversine_m
from nahnetz.regions import load_region
from services.routing.domain.fleet import local_instant, local_midnight, region_fleet
from services.routing.domain.planning import PlanningError, build_problem, job_for_day
from services.routing.domain.replanning import DispatchedStop, Leg, TourProgress
from services.routing.domain.shipments import Place, ServiceTimes, ShipmentRecord, UtcWindow
from services.routing.domain.solver import JobKind, Location, StopKind, StopRef, TemperatureClass
from services.routing.handlers.travel import great_circle_source

UTC = timezone.utc
DAY = date(2031, 7, 16)  # a Wednesday in summer (UTC+2)
WINTER_DAY = date(2031, 1, 15)
REGION = load_region("kreis_hoexter")
HUB = Place(REGION.hub.id, REGION.hub.name, REGION.hub.lat, REGION.hub.lon)
SHOP = Place("shop-a", "Hofladen", 51.72, 9.30)
POINT = Place("pp-1", "Pick-up-Point HX Brakel", 51.71, 9.18)
SOURCE = great_circle_source()


class MATRIX:
    """The service's matrix source, called from these synchronous tests."""

    @staticmethod
    def matrix(locations):
        return asyncio.run(SOURCE.matrix(locations))


def window(day: date, start: str, end: str) -> UtcWindow:
    return UtcWindow(local_instant(day, time.fromisoformat(start)), local_instant(day, time.fromisoformat(end)))


def shipment(sid: str, *, status: str = "REQUESTED", collected: date = DAY, delivered: date = DAY,
             temperature: str = "AMBIENT", weight_g: int = 2000, cancelled: bool = False,
             delivery_windows: tuple[UtcWindow, ...] = (), compartments: int = 2) -> ShipmentRecord:
    return ShipmentRecord(sid, f"o-{sid}", SHOP, POINT, compartments, delivered, weight_g, 3000, temperature,
                          (window(collected, "08:00", "15:00"),), delivery_windows, status=status,
                          order_cancelled=cancelled)


def plan_request(plan_id: str, day: date, vehicles, *, jobs=(), time_budget_s: int = 10,
                 replan_of: str | None = None) -> records.RoutePlanRequested:
    depot = records.Depot(depot_id=HUB.place_id, name=HUB.name, location=records.GeoPoint(lat=HUB.lat, lon=HUB.lon))
    return new_event(records.RoutePlanRequested, producer="routing-test", plan_id=plan_id, day=day, depot=depot,
                     vehicles=list(vehicles), jobs=list(jobs), time_budget_s=time_budget_s, replan_of=replan_of)


def request(day: date = DAY, vehicles: list[records.Vehicle] | None = None, **kw) -> records.RoutePlanRequested:
    return plan_request("plan-1", day, vehicles if vehicles is not None else region_fleet(REGION, day)[:3], **kw)


# -- vehicles ----------------------------------------------------------------------------------
def test_the_fleets_local_shifts_become_utc_for_the_day_in_summer_and_winter():
    summer = {v.vehicle_id: v for v in region_fleet(REGION, DAY)}
    winter = {v.vehicle_id: v for v in region_fleet(REGION, WINTER_DAY)}
    assert summer["van-hx-1"].shift.start == datetime(2031, 7, 16, 4, 0, tzinfo=UTC)  # 06:00 CEST
    assert winter["van-hx-1"].shift.start == datetime(2031, 1, 15, 5, 0, tzinfo=UTC)  # 06:00 CET
    assert summer["van-hx-4"].shift.end == datetime(2031, 7, 16, 14, 0, tzinfo=UTC)
    assert summer["van-hx-1"].temperature_classes == ["AMBIENT", "CHILLED", "FROZEN"]
    assert summer["van-hx-2"].max_weight_g == 1_000_000


def test_vehicles_become_solver_vehicles_with_shifts_in_seconds_of_the_local_day():
    inp = build_problem(request(), [shipment("s1")], MATRIX.matrix)
    vans = {v.id: v for v in inp.problem.vehicles}
    assert inp.reference == datetime(2031, 7, 15, 22, 0, tzinfo=UTC) == local_midnight(DAY)
    assert (vans["van-hx-1"].shift.start_s, vans["van-hx-1"].shift.end_s) == (6 * 3600, 16 * 3600)
    assert vans["van-hx-1"].temperatures == frozenset(TemperatureClass)
    assert vans["van-hx-2"].temperatures == {TemperatureClass.AMBIENT}
    assert vans["van-hx-1"].capacity_kg == 800 and vans["van-hx-2"].capacity_l == 9000
    assert vans["van-hx-1"].cost_per_km == pytest.approx(0.32) and vans["van-hx-1"].fixed_cost == 40
    assert all(v.start_location_id == v.end_location_id == HUB.place_id for v in vans.values())


def test_no_vehicles_is_a_failure_of_its_own():
    with pytest.raises(PlanningError) as failure:
        build_problem(request(vehicles=[]), [shipment("s1")], MATRIX.matrix)
    assert failure.value.reason == "NO_VEHICLES"


def test_a_vehicle_with_a_broken_shift_is_an_invalid_request():
    broken = records.Vehicle(vehicle_id="v", max_weight_g=1000, max_volume_ml=1000,
                             temperature_classes=[records.TemperatureClass.AMBIENT],
                             shift=records.TimeWindow(start=datetime(2031, 7, 16, 10, tzinfo=UTC),
                                                      end=datetime(2031, 7, 16, 9, tzinfo=UTC)))
    with pytest.raises(PlanningError) as failure:
        build_problem(request(vehicles=[broken]), [shipment("s1")], MATRIX.matrix)
    assert failure.value.reason == "INVALID_REQUEST" and "shift" in failure.value.message


# -- jobs ---------------------------------------------------------------------------------------
def test_a_shop_serving_only_a_point_that_only_it_serves_goes_direct_with_amounts_temperature_and_service():
    inp = build_problem(request(), [shipment("s1", temperature="FROZEN", weight_g=2500, compartments=3)],
                        MATRIX.matrix, service=ServiceTimes(300, 180, 60, per_parcel_s=30))
    [job] = inp.problem.jobs
    assert job.id == "direct:shop-a>pp-1:FROZEN" and job.kind is JobKind.SHIPMENT
    assert (job.weight_kg, job.volume_l, job.temperature) == (2.5, 3.0, TemperatureClass.FROZEN)
    assert job.pickup.location_id == "shop-a" and job.delivery.location_id == "pp-1"
    assert job.pickup.service_s == 300 + 30 and job.delivery.service_s == 180 + 3 * 60
    # 08:00-15:00 local; service must be over when the window closes.
    [pickup_window] = job.pickup.time_windows
    assert (pickup_window.start_s, pickup_window.end_s) == (8 * 3600, 15 * 3600 - 330)
    assert job.delivery.time_windows == ()  # a locker, any time in the shift
    assert job.penalty > 1000  # optional: a day with too much to carry still gets a plan
    assert inp.job_shipments == {job.id: ("s1",)}
    assert set(inp.places) == {HUB.place_id, "shop-a", "pp-1"}
    assert inp.problem.location_index[HUB.place_id] == 0


def test_a_counters_opening_hours_become_delivery_windows():
    inp = build_problem(request(), [shipment("s1", delivery_windows=(window(DAY, "07:00", "12:00"),
                                                                       window(DAY, "14:00", "18:00")))],
                        MATRIX.matrix)
    windows = inp.problem.jobs[0].delivery.time_windows
    assert [(w.start_s, w.end_s) for w in windows] == [(7 * 3600, 12 * 3600 - 300), (14 * 3600, 18 * 3600 - 300)]


@pytest.mark.parametrize("record, expected", [
    (shipment("s", collected=DAY, delivered=DAY), JobKind.SHIPMENT),
    (shipment("s", collected=DAY, delivered=DAY + timedelta(days=2)), JobKind.PICKUP),
    (shipment("s", status="AT_HUB", collected=DAY - timedelta(days=2), delivered=DAY), JobKind.DELIVERY),
    (shipment("s", status="COLLECTED", collected=DAY - timedelta(days=1), delivered=DAY), JobKind.DELIVERY),
    (shipment("s", status="AT_HUB", collected=DAY, delivered=DAY), JobKind.DELIVERY),
    (shipment("s", status="DELIVERED"), None),
    (shipment("s", cancelled=True), None),
    (shipment("s", collected=DAY + timedelta(days=1), delivered=DAY + timedelta(days=1)), None),
])
def test_how_a_days_plan_carries_a_shipment(record, expected):
    assert job_for_day(record, DAY) == expected


@pytest.mark.parametrize("record, reason, words", [
    (shipment("s", status="COLLECTED"), "OTHER", "still running"),
    (shipment("s", status="COLLECTED", cancelled=True), "OTHER", "cancelled"),
    (shipment("s", collected=DAY - timedelta(days=1)), "OTHER", "kept at the hub"),
])
def test_shipments_a_plan_cannot_carry_are_left_out_with_a_reason(record, reason, words):
    inp = build_problem(request(), [record, shipment("ok")], MATRIX.matrix)
    [left] = inp.left_out
    assert (left.job_id, left.reason) == ("s", reason) and words in left.detail
    assert list(inp.job_shipments.values()) == [("ok",)]


def test_goods_of_the_day_are_consolidated_by_place_through_the_hub():
    other_shop = Place("shop-b", "Bäckerei", 51.75, 9.05)
    # Kept at the hub for tomorrow, so collected until the shop closes: with today's goods until 15:00.
    to_hub = replace(shipment("to-hub", delivered=DAY + timedelta(days=1)), pickup_windows=(window(DAY, "08:00", "18:00"),))
    records = [shipment("same-day"), to_hub,
               shipment("from-hub", status="AT_HUB", collected=DAY - timedelta(days=1)),
               replace(shipment("frozen", temperature="FROZEN"), shop=other_shop),
               replace(shipment("also-b"), shop=other_shop)]
    inp = build_problem(request(), records, MATRIX.matrix, service=ServiceTimes(300, 180, 60, per_parcel_s=30,
                                                                                at_hub_s=120, extra_part_s=60))
    jobs = inp.problem.job_by_id
    assert inp.job_shipments == {
        "collect:shop-a:AMBIENT": ("same-day", "to-hub"),  # one collection per shop and temperature group
        "collect:shop-b:AMBIENT": ("also-b",),
        "collect:shop-b:FROZEN": ("frozen",),  # only the refrigerated van takes it
        "distribute:pp-1:AMBIENT": ("also-b", "from-hub", "same-day"),  # one delivery per point and group
        "distribute:pp-1:FROZEN": ("frozen",),
    }
    assert all(j.kind is JobKind.SHIPMENT for j in jobs.values())
    collect, distribute = jobs["collect:shop-a:AMBIENT"], jobs["distribute:pp-1:AMBIENT"]
    assert (collect.pickup.location_id, collect.delivery.location_id) == ("shop-a", HUB.place_id)
    assert collect.weight_kg == 4.0 and collect.pickup.service_s == 300 + 2 * 30
    assert collect.pickup.time_windows[0].end_s == 15 * 3600 - 360
    # At the hub by 11:00, the consolidation time; loaded from then on.
    assert collect.delivery.time_windows[0].end_s == 11 * 3600 - 120
    assert (distribute.pickup.location_id, distribute.delivery.location_id) == (HUB.place_id, "pp-1")
    assert distribute.pickup.time_windows[0].start_s == 11 * 3600
    assert distribute.delivery.service_s == 180 + 3 * 2 * 60  # one stop, every compartment
    # The frozen part at the same places: a further compartment, not a second base time.
    assert jobs["collect:shop-b:FROZEN"].pickup.service_s == 60 + 30
    assert jobs["distribute:pp-1:FROZEN"].temperature is TemperatureClass.FROZEN
    assert jobs["distribute:pp-1:FROZEN"].delivery.service_s == 60 + 2 * 60


def test_a_point_whose_goods_are_all_at_the_hub_is_served_from_the_start_of_the_shifts():
    records = [shipment("from-hub", status="AT_HUB", collected=DAY - timedelta(days=1)),
               shipment("later", collected=DAY - timedelta(days=2), status="COLLECTED")]
    inp = build_problem(request(), records, MATRIX.matrix)
    [job] = inp.problem.jobs
    assert job.id == "distribute:pp-1:AMBIENT" and job.pickup.time_windows == ()
    assert inp.job_shipments[job.id] == ("from-hub", "later")


def test_a_shop_opening_too_late_for_the_hub_sends_its_goods_direct():
    late = [replace(shipment(f"late-{i}", delivery_windows=()), pickup_windows=(window(DAY, "10:45", "15:00"),))
            for i in range(2)]
    late[1] = replace(late[1], point=Place("pp-2", "Pick-up-Point HX Nieheim", 51.80, 9.11))
    early = replace(shipment("early"), shop=Place("shop-b", "Bäckerei", 51.75, 9.05))
    inp = build_problem(request(), late + [early], MATRIX.matrix)
    assert set(inp.job_shipments) == {"direct:shop-a>pp-1:AMBIENT", "direct:shop-a>pp-2:AMBIENT",
                                      "collect:shop-b:AMBIENT", "distribute:pp-1:AMBIENT"}


def test_a_part_heavier_than_every_van_is_split_into_parts_that_fit():
    crates = [shipment(f"c{i}", weight_g=300_000) for i in range(4)] + [
        replace(shipment("x"), point=Place("pp-2", "Pick-up-Point HX Nieheim", 51.80, 9.11))]
    inp = build_problem(request(), crates, MATRIX.matrix)
    collections = [j for j in inp.problem.jobs if j.id.startswith("collect:")]
    assert len(collections) == 2 and all(j.weight_kg <= 1000 for j in collections)
    assert sorted(s for j in collections for s in inp.job_shipments[j.id]) == ["c0", "c1", "c2", "c3", "x"]


def test_a_day_with_nothing_to_carry_fails_with_no_jobs():
    with pytest.raises(PlanningError) as failure:
        build_problem(request(), [shipment("later", collected=DAY + timedelta(days=3),
                                           delivered=DAY + timedelta(days=3))], MATRIX.matrix)
    assert failure.value.reason == "NO_JOBS"


def test_extra_jobs_of_the_request_are_planned_and_unknown_kinds_refused():
    extra = records.RouteJob(job_id="ret-1", kind=records.JobKind.PICKUP, shipment_ids=["s-old"], place_id="shop-b",
                             location=records.GeoPoint(lat=51.6, lon=9.1), service_s=240, weight_g=1000,
                             volume_ml=2000)
    inp = build_problem(request(jobs=(extra,)), [shipment("s1")], MATRIX.matrix)
    job = inp.problem.job_by_id["ret-1"]
    assert job.kind is JobKind.PICKUP and job.pickup.service_s == 240
    assert inp.job_shipments["ret-1"] == ("s-old",)
    odd = records.RouteJob(job_id="odd", kind=records.JobKind.OTHER, shipment_ids=[], place_id="x",
                           location=records.GeoPoint(lat=51.6, lon=9.1), service_s=60, weight_g=0, volume_ml=0)
    with pytest.raises(PlanningError) as failure:
        build_problem(request(jobs=(odd,)), [shipment("s1")], MATRIX.matrix)
    assert failure.value.reason == "INVALID_REQUEST"


# -- re-planning ------------------------------------------------------------------------------
def tour(vehicle: str = "van-hx-1", reached: int = -1, failed=frozenset()) -> TourProgress:
    stops = (DispatchedStop("DEPOT", HUB.place_id, ()), DispatchedStop("PICKUP", "shop-a", ("s1",)),
             DispatchedStop("PICKUP", "shop-a", ("s2",)), DispatchedStop("DELIVERY", "pp-1", ("s1",)),
             DispatchedStop("DELIVERY", "pp-1", ("s2",)), DispatchedStop("DEPOT", HUB.place_id, ()))
    return TourProgress("t1", "plan-0", vehicle, stops, reached, frozenset(failed))


def test_rides_begun_at_stops_up_to_the_furthest_report_are_fixed_except_failed_ones():
    assert tour().fixed_legs() == ()
    assert tour().legs() == (Leg("s1", 1, 3), Leg("s2", 2, 4))
    assert tour(reached=3).fixed_legs() == (Leg("s1", 1, 3), Leg("s2", 2, 4))
    progressed = tour().reported(1).stop_failed(2, ())
    assert progressed.reached == 2 and progressed.fixed_legs() == (Leg("s1", 1, 3),)
    assert not progressed.delivered_at(Leg("s1", 1, 3)) and tour(reached=3).delivered_at(Leg("s1", 1, 3))
    assert TourProgress.from_json(progressed.as_json()) == progressed


def test_rides_through_the_hub_unload_there_and_load_again():
    stops = (DispatchedStop("DEPOT", HUB.place_id, ("old",)), DispatchedStop("PICKUP", "shop-a", ("s1", "s2")),
             DispatchedStop("DEPOT", HUB.place_id, ("s1", "s3")), DispatchedStop("DELIVERY", "pp-1", ("s3", "s2")),
             DispatchedStop("DELIVERY", "pp-2", ("old",)), DispatchedStop("DEPOT", HUB.place_id, ()))
    progress = TourProgress("t1", "plan-0", "van-hx-1", stops)
    assert progress.legs() == (Leg("s1", 1, 2), Leg("s3", 2, 3), Leg("s2", 1, 3), Leg("old", 0, 4))


def test_the_tour_of_a_replan_starts_with_the_stops_done_on_the_tour_it_replaces():
    def stop(kind: str, place: Place, shipment_ids: list[str]) -> records.Stop:
        return records.Stop(kind=records.StopKind(kind), place_id=place.place_id, location=place.location,
                            shipment_ids=shipment_ids, eta=local_instant(DAY, time(8)), load_g=0, load_ml=0)

    depot = stop("DEPOT", HUB, [])
    dispatched = new_event(records.TourDispatched, producer="dispatch-api", tour_id="t2", plan_id="plan-1", day=DAY,
                           driver_id="d-1", vehicle_id="van-hx-1", stops=[depot, stop("PICKUP", SHOP, ["s1"]), depot],
                           replaces_tour_id="t1", done_stops=[0, 1])
    progress = TourProgress.from_dispatch(dispatched)
    assert progress.reached == 1 and progress.fixed_legs() == (Leg("s1", 1, 2),)


def test_a_replan_keeps_done_stops_first_on_their_vehicle_even_for_delivered_shipments():
    records = [shipment("s1", status="DELIVERED"), shipment("s2", status="COLLECTED"), shipment("s3")]
    inp = build_problem(request(replan_of="plan-0"), records, MATRIX.matrix, tours=[tour(reached=3)])
    [prefix] = inp.problem.fixed_prefixes
    assert prefix.vehicle_id == "van-hx-1"
    assert prefix.stops == (StopRef("t1:1>3", StopKind.PICKUP), StopRef("t1:2>4:open", StopKind.PICKUP),
                            StopRef("t1:1>3", StopKind.DELIVERY))
    jobs = inp.problem.job_by_id
    assert set(jobs) == {"t1:1>3", "t1:2>4:open", "direct:shop-a>pp-1:AMBIENT"}
    assert inp.job_shipments["t1:1>3"] == ("s1",) and inp.job_shipments["t1:2>4:open"] == ("s2",)
    assert inp.job_shipments["direct:shop-a>pp-1:AMBIENT"] == ("s3",)
    done, on_board = jobs["t1:1>3"], jobs["t1:2>4:open"]
    assert done.pickup.time_windows == () and done.delivery.time_windows == ()  # done: time has passed
    assert on_board.pickup.time_windows == () and on_board.delivery.location_id == "pp-1"  # still to deliver


def test_a_replan_takes_goods_unloaded_at_the_hub_on_to_their_point():
    stops = (DispatchedStop("DEPOT", HUB.place_id, ()), DispatchedStop("PICKUP", "shop-a", ("s1",)),
             DispatchedStop("DEPOT", HUB.place_id, ("s1",)), DispatchedStop("DEPOT", HUB.place_id, ()))
    done = TourProgress("t1", "plan-0", "van-hx-2", stops, reached=2)
    inp = build_problem(request(replan_of="plan-0"), [shipment("s1", status="AT_HUB")], MATRIX.matrix,
                        tours=[done])
    assert inp.job_shipments == {"t1:1>2": ("s1",), "distribute:pp-1:AMBIENT": ("s1",)}
    assert inp.problem.job_by_id["distribute:pp-1:AMBIENT"].pickup.time_windows[0].start_s == 11 * 3600


def test_a_replan_needs_the_vehicles_with_fixed_stops():
    with pytest.raises(PlanningError) as failure:
        build_problem(request(replan_of="plan-0"), [shipment("s1"), shipment("s2")], MATRIX.matrix,
                      tours=[tour(vehicle="van-elsewhere", reached=1)])
    assert failure.value.reason == "INVALID_REQUEST" and "van-elsewhere" in failure.value.message


# -- travel ---------------------------------------------------------------------------------------
def test_the_travel_matrix_follows_the_problems_locations_from_the_shared_provider():
    brakel, hoexter = Location("b", lat=51.717, lon=9.183), Location("h", lat=51.775, lon=9.383)
    straight = haversine_m(GeoPoint(51.717, 9.183), GeoPoint(51.775, 9.383))
    assert 14_000 < straight < 16_000
    matrix = MATRIX.matrix([brakel, hoexter, brakel])
    assert matrix.distances_m[0][1] == round(straight * 1.3) == matrix.distances_m[1][0]
    assert matrix.distances_m[0][2] == 0 and matrix.durations_s[0][0] == 0
    assert 17 < matrix.durations_s[0][1] / 60 < 30  # about 20 km over country roads
    assert SOURCE.source == "great-circle"


# -- rounds ---------------------------------------------------------------------------------------
def test_collections_that_miss_the_hub_go_direct_in_a_second_round_and_the_plan_stays_consistent():
    from services.routing.domain.plan_events import plan_as_solution, route_planned_fields
    from services.routing.domain.planning import PlanningRules, solve_in_rounds
    from services.routing.domain.solver import check_solution, solve

    shops = [Place(s.id, s.name, s.lat, s.lon) for s in REGION.shops[:10]]
    points = [Place(p.id, p.name, p.lat, p.lon) for p in REGION.pickup_points[:2]]
    records = [replace(shipment(f"s{i}"), shop=shops[i // 2], point=points[i % 2],
                       pickup_windows=(window(DAY, "06:00", "15:00"),)) for i in range(20)]
    # One van and an early consolidation: it cannot bring every shop's goods to the hub by 08:00.
    inp = build_problem(request(vehicles=region_fleet(REGION, DAY)[1:2], time_budget_s=4), records, MATRIX.matrix,
                        rules=PlanningRules(hub_ready_at=time(8, 0)))

    async def solve_here(problem):
        return solve(problem)

    first = solve(inp.with_budget(1).problem)
    assert inp.next_round(first) is not None  # some collection missed the hub
    final, solution = asyncio.run(solve_in_rounds(inp, solve_here))
    assert final.force_direct and any(j.id.startswith("direct:") for j in final.problem.jobs)
    assert final.served_shipments(solution) > inp.served_shipments(first)
    assert check_solution(final.problem, solution) == []
    fields = route_planned_fields("plan-r", DAY, final, solution, matrix_source="great-circle")
    delivered = {sid for t in fields["tours"] for s in t.stops if s.kind == "DELIVERY" for sid in s.shipment_ids}
    dropped = {sid for d in fields["dropped"] for sid in d.shipment_ids}
    assert delivered | dropped == {r.shipment_id for r in records} and not delivered & dropped
    # A published plan is re-checked against the round it was solved in.
    named = [j for t in fields["tours"] for s in t.stops for j in s.job_ids] + [d.job_id for d in fields["dropped"]]
    again = inp.as_published(named)
    assert {j.id for j in again.problem.jobs} == {j.id for j in final.problem.jobs}
    assert check_solution(again.problem, plan_as_solution(again.problem, again.reference, fields["tours"],
                                                          fields["dropped"])) == []
