"""Building the solver's problem from the hub's shipments and the fleet: shifts in
UTC, job ids and kinds by day, temperature classes, windows, and the fixed
prefixes of a re-plan from the drivers' progress."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta, timezone

import pytest

from nahnetz.regions import load_region
from services.routing.fleet import VehicleRecord, local_instant, local_midnight, region_fleet
from services.routing.planning import (
    ExtraJob,
    Place,
    PlanningError,
    PlanRequest,
    ServiceTimes,
    ShipmentRecord,
    UtcWindow,
    build_problem,
    job_for_day,
)
from services.routing.replanning import DispatchedStop, TourProgress
from services.routing.solver import JobKind, StopKind, StopRef, TemperatureClass
from services.routing.solver import Location
from services.routing.travel import great_circle_source
from nahnetz.geo import GeoPoint, haversine_m

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


def request(day: date = DAY, vehicles: list[VehicleRecord] | None = None, **kw) -> PlanRequest:
    return PlanRequest("plan-1", day, HUB, tuple(vehicles if vehicles is not None else region_fleet(REGION, day)[:3]),
                       **kw)


# -- vehicles ----------------------------------------------------------------------------------
def test_the_fleets_local_shifts_become_utc_for_the_day_in_summer_and_winter():
    summer = {v.vehicle_id: v for v in region_fleet(REGION, DAY)}
    winter = {v.vehicle_id: v for v in region_fleet(REGION, WINTER_DAY)}
    assert summer["van-hx-1"].shift_start == datetime(2031, 7, 16, 4, 0, tzinfo=UTC)  # 06:00 CEST
    assert winter["van-hx-1"].shift_start == datetime(2031, 1, 15, 5, 0, tzinfo=UTC)  # 06:00 CET
    assert summer["van-hx-4"].shift_end == datetime(2031, 7, 16, 14, 0, tzinfo=UTC)
    assert summer["van-hx-1"].temperature_classes == ("AMBIENT", "CHILLED", "FROZEN")
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
    broken = VehicleRecord("v", 1000, 1000, ("AMBIENT",), datetime(2031, 7, 16, 10, tzinfo=UTC),
                           datetime(2031, 7, 16, 9, tzinfo=UTC))
    with pytest.raises(PlanningError) as failure:
        build_problem(request(vehicles=[broken]), [shipment("s1")], MATRIX.matrix)
    assert failure.value.reason == "INVALID_REQUEST" and "shift" in failure.value.message


# -- jobs ---------------------------------------------------------------------------------------
def test_each_shipment_becomes_a_job_with_its_id_amounts_temperature_and_service_times():
    inp = build_problem(request(), [shipment("s1", temperature="FROZEN", weight_g=2500, compartments=3)],
                        MATRIX.matrix, service=ServiceTimes(300, 180, 60))
    [job] = inp.problem.jobs
    assert job.id == "s1" and job.kind is JobKind.SHIPMENT
    assert (job.weight_kg, job.volume_l, job.temperature) == (2.5, 3.0, TemperatureClass.FROZEN)
    assert job.pickup.location_id == "shop-a" and job.delivery.location_id == "pp-1"
    assert job.pickup.service_s == 300 and job.delivery.service_s == 180 + 3 * 60
    # 08:00-15:00 local; service must be over when the window closes.
    [pickup_window] = job.pickup.time_windows
    assert (pickup_window.start_s, pickup_window.end_s) == (8 * 3600, 15 * 3600 - 300)
    assert job.delivery.time_windows == ()  # a locker, any time in the shift
    assert inp.job_shipments == {"s1": ("s1",)}
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
    assert [j.id for j in inp.problem.jobs] == ["ok"]


def test_kinds_by_day_in_one_problem():
    records = [shipment("same-day"), shipment("to-hub", delivered=DAY + timedelta(days=1)),
               shipment("from-hub", status="AT_HUB", collected=DAY - timedelta(days=1))]
    inp = build_problem(request(), records, MATRIX.matrix)
    kinds = {j.id: j.kind for j in inp.problem.jobs}
    assert kinds == {"same-day": JobKind.SHIPMENT, "to-hub": JobKind.PICKUP, "from-hub": JobKind.DELIVERY}


def test_a_day_with_nothing_to_carry_fails_with_no_jobs():
    with pytest.raises(PlanningError) as failure:
        build_problem(request(), [shipment("later", collected=DAY + timedelta(days=3),
                                           delivered=DAY + timedelta(days=3))], MATRIX.matrix)
    assert failure.value.reason == "NO_JOBS"


def test_extra_jobs_of_the_request_are_planned_and_unknown_kinds_refused():
    extra = ExtraJob("ret-1", "PICKUP", ("s-old",), Place("shop-b", None, 51.6, 9.1), (), 240, 1000, 2000, "AMBIENT")
    inp = build_problem(request(extra_jobs=(extra,)), [shipment("s1")], MATRIX.matrix)
    job = inp.problem.job_by_id["ret-1"]
    assert job.kind is JobKind.PICKUP and job.pickup.service_s == 240
    assert inp.job_shipments["ret-1"] == ("s-old",)
    odd = ExtraJob("odd", "OTHER", (), Place("x", None, 51.6, 9.1), (), 60, 0, 0, "AMBIENT")
    with pytest.raises(PlanningError) as failure:
        build_problem(request(extra_jobs=(odd,)), [shipment("s1")], MATRIX.matrix)
    assert failure.value.reason == "INVALID_REQUEST"


# -- re-planning ------------------------------------------------------------------------------
def tour(vehicle: str = "van-hx-1", reached: int = -1, failed=frozenset()) -> TourProgress:
    stops = (DispatchedStop("DEPOT", HUB.place_id, ()), DispatchedStop("PICKUP", "shop-a", ("s1",)),
             DispatchedStop("PICKUP", "shop-a", ("s2",)), DispatchedStop("DELIVERY", "pp-1", ("s1",)),
             DispatchedStop("DELIVERY", "pp-1", ("s2",)), DispatchedStop("DEPOT", HUB.place_id, ()))
    return TourProgress("t1", "plan-0", vehicle, stops, reached, frozenset(failed))


def test_stops_up_to_the_furthest_report_are_fixed_except_failed_ones():
    assert tour().fixed_stops() == ()
    assert tour(reached=3).fixed_stops() == (StopRef("s1", StopKind.PICKUP), StopRef("s2", StopKind.PICKUP),
                                             StopRef("s1", StopKind.DELIVERY))
    progressed = tour().reported(1).stop_failed(2, ())
    assert progressed.reached == 2 and progressed.fixed_stops() == (StopRef("s1", StopKind.PICKUP),)
    assert TourProgress.from_json(progressed.as_json()) == progressed
    assert tour().job_kinds() == {"s1": JobKind.SHIPMENT, "s2": JobKind.SHIPMENT}


def test_the_tour_of_a_replan_starts_with_the_stops_done_on_the_tour_it_replaces():
    stop = {"kind": "PICKUP", "place_id": "shop-a", "shipment_ids": ["s1"]}
    depot = {"kind": "DEPOT", "place_id": HUB.place_id, "shipment_ids": []}
    dispatched = {"tour_id": "t2", "plan_id": "plan-1", "vehicle_id": "van-hx-1", "stops": [depot, stop, depot],
                  "replaces_tour_id": "t1", "done_stops": [0, 1]}
    progress = TourProgress.from_dispatch(dispatched)
    assert progress.reached == 1 and progress.fixed_stops() == (StopRef("s1", StopKind.PICKUP),)


def test_a_replan_keeps_done_stops_first_on_their_vehicle_even_for_delivered_shipments():
    records = [shipment("s1", status="DELIVERED"), shipment("s2", status="COLLECTED"), shipment("s3")]
    inp = build_problem(request(replan_of="plan-0"), records, MATRIX.matrix, tours=[tour(reached=3)])
    [prefix] = inp.problem.fixed_prefixes
    assert prefix.vehicle_id == "van-hx-1"
    assert prefix.stops == (StopRef("s1", StopKind.PICKUP), StopRef("s2", StopKind.PICKUP),
                            StopRef("s1", StopKind.DELIVERY))
    jobs = inp.problem.job_by_id
    assert set(jobs) == {"s1", "s2", "s3"}
    assert jobs["s1"].pickup.time_windows == () and jobs["s1"].delivery.time_windows == ()  # done: time has passed
    assert jobs["s2"].pickup.time_windows == () and jobs["s2"].delivery is not None  # on board, still to deliver


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
