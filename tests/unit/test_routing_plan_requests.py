"""The rules of an operator's plan request (`domain/plan_requests.py`, formerly
decided in the HTTP route), and how the hub's and the drivers' events move
routing's projections and the plans' read model (pure)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from nahnetz import records
from nahnetz.events import Actor, new_event
from nahnetz.kit.errors import Unprocessable
from nahnetz.regions import load_region
from services.routing.domain.fleet import local_instant
from services.routing.domain.plan_requests import Budget, KnownPlan, PlanAsked, VehicleAsked, decide
from services.routing.domain.plan_views import answered_view, pending_view, requested_ms, summary
from services.routing.domain.replanning import DispatchedStop, TourProgress
from services.routing.domain.shipments import after_report, after_request

UTC = timezone.utc
REGION = load_region("kreis_hoexter")
TODAY = date(2031, 7, 15)
DAY = date(2031, 7, 16)  # summer: UTC+2
BUDGET = Budget(default_s=10, max_s=120)


def decided(asked: PlanAsked, earlier: KnownPlan | None = None) -> dict:
    return decide(asked, today=TODAY, region=REGION, budget=BUDGET, earlier=earlier, plan_id="plan-1")


def refusal(asked: PlanAsked, earlier: KnownPlan | None = None) -> Unprocessable:
    with pytest.raises(Unprocessable) as refused:
        decided(asked, earlier)
    return refused.value


# -- plan requests ------------------------------------------------------------------------------
def test_without_vehicles_the_regions_fleet_plans_with_its_shifts_in_utc_from_the_hub():
    fields = decided(PlanAsked(DAY))
    assert [v.vehicle_id for v in fields["vehicles"]] == [v.id for v in REGION.fleet]
    van1 = fields["vehicles"][0]
    assert van1.shift.start == datetime(2031, 7, 16, 4, tzinfo=UTC)  # 06:00 in Höxter
    assert fields["depot"].depot_id == REGION.hub.id and fields["depot"].name == "Logistikport HX"
    assert (fields["plan_id"], fields["day"], fields["jobs"], fields["replan_of"]) == ("plan-1", DAY, [], None)
    assert fields["time_budget_s"] == 10  # the default budget
    # The fields make a valid event.
    event = new_event(records.RoutePlanRequested, producer="routing-api", actor=Actor("op", "operator"), **fields)
    assert event.vehicles[0] == van1 and event.key == "plan-1"


def test_today_is_fine_a_past_day_is_refused():
    assert decided(PlanAsked(TODAY))["day"] == TODAY
    assert "past" in refusal(PlanAsked(TODAY - timedelta(days=1))).message


def test_the_budget_may_not_exceed_the_most_allowed():
    assert decided(PlanAsked(DAY, time_budget_s=120))["time_budget_s"] == 120
    assert "at most 120" in refusal(PlanAsked(DAY, time_budget_s=121)).message


def test_a_replan_names_a_known_plan_of_the_same_day():
    assert decided(PlanAsked(DAY, replan_of="plan-0"), KnownPlan("plan-0", DAY.isoformat()))["replan_of"] == "plan-0"
    assert "plan-0 (replan_of) is not known" in refusal(PlanAsked(DAY, replan_of="plan-0")).message
    other_day = refusal(PlanAsked(DAY, replan_of="plan-0"), KnownPlan("plan-0", "2031-07-17"))
    assert "is for 2031-07-17, not 2031-07-16" in other_day.message


def test_checks_come_in_order_past_day_first():
    assert "past" in refusal(PlanAsked(TODAY - timedelta(days=1), time_budget_s=1000, replan_of="x")).message


def test_a_fleet_van_takes_the_operators_changes_for_this_plan_only():
    asked = VehicleAsked("van-hx-2", max_weight_kg=500.5, shift_end=time(12), driver_id="d-7",
                         temperature_classes=("AMBIENT", "CHILLED"), cost_per_km_cents=40)
    [van] = decided(PlanAsked(DAY, vehicles=(asked,)))["vehicles"]
    fleet = {v.id: v for v in REGION.fleet}["van-hx-2"]
    assert van.max_weight_g == 500_500 and van.max_volume_ml == fleet.max_litres * 1000
    assert van.shift.start == local_instant(DAY, fleet.shift_start) and van.shift.end == local_instant(DAY, time(12))
    assert van.temperature_classes == ["AMBIENT", "CHILLED"] and van.driver_id == "d-7"
    assert van.cost_per_km == records.Money(amount_cents=40) and van.name == fleet.name


def test_a_van_outside_the_fleet_needs_capacity_temperatures_and_shift():
    message = refusal(PlanAsked(DAY, vehicles=(VehicleAsked("lastenrad-1", max_weight_kg=80),))).message
    assert "lastenrad-1 is not in the fleet" in message
    assert "max_volume_l, temperature_classes, shift_start, shift_end" in message
    bike = VehicleAsked("lastenrad-1", max_weight_kg=80, max_volume_l=300, temperature_classes=("AMBIENT",),
                        shift_start=time(9), shift_end=time(13))
    [van] = decided(PlanAsked(DAY, vehicles=(bike,)))["vehicles"]
    assert (van.max_weight_g, van.max_volume_ml, van.shift.end) == (80_000, 300_000, local_instant(DAY, time(13)))


def test_vehicles_must_be_usable_and_their_ids_unique():
    twice = refusal(PlanAsked(DAY, vehicles=(VehicleAsked("van-hx-1"), VehicleAsked("van-hx-1"))))
    assert "unique" in twice.message and twice.details["problems"]
    backwards = refusal(PlanAsked(DAY, vehicles=(VehicleAsked("van-hx-1", shift_start=time(15), shift_end=time(9)),)))
    assert "shift ends before it starts" in backwards.message


# -- projections ------------------------------------------------------------------------------------
def shipment_requested(attempt: int = 1, day: date = DAY) -> records.ShipmentRequested:
    return new_event(
        records.ShipmentRequested, producer="hub-worker", shipment_id="shp-1", order_id="o-1", shop_id="shop-a",
        pickup_point_id="pp-1", compartment_ids=["A1", "A2"], delivery_day=day, weight_g=1200, volume_ml=3000,
        temperature_class=records.TemperatureClass.CHILLED,
        pickup_windows=[records.TimeWindow(start=local_instant(day, time(8)), end=local_instant(day, time(15)))],
        shop_location=records.GeoPoint(lat=51.72, lon=9.30), pickup_point_location=records.GeoPoint(lat=51.71, lon=9.18),
        attempt=attempt, shop_name="Hofladen")


def test_a_shipment_moves_forward_only_and_an_older_request_changes_nothing():
    first = after_request(None, shipment_requested())
    assert (first.status, first.compartments, first.temperature_class, first.shop.name) == (
        "REQUESTED", 2, "CHILLED", "Hofladen")
    assert first.days == {DAY}
    at_hub = after_report(first, new_event(records.ShipmentAtHub, producer="hub-worker", shipment_id="shp-1",
                                           order_id="o-1", hub_id="hub"))
    assert at_hub.status == "AT_HUB"
    late = new_event(records.ShipmentCollected, producer="hub-worker", shipment_id="shp-1", order_id="o-1")
    assert after_report(at_hub, late) is at_hub  # a late report never sets it back
    assert after_request(at_hub, shipment_requested()).status == "AT_HUB"  # the same request again
    again = after_request(at_hub, shipment_requested(attempt=2, day=DAY + timedelta(days=1)))
    assert (again.status, again.attempt, again.days) == ("REQUESTED", 2, {DAY + timedelta(days=1)})
    assert after_request(again, shipment_requested(attempt=1)) is again


def test_drivers_reports_move_a_tours_progress():
    stops = tuple(DispatchedStop(k, p, ids) for k, p, ids in (("DEPOT", "hub", ()), ("PICKUP", "shop-a", ("s1",)),
                                                               ("DELIVERY", "pp-1", ("s1",)), ("DEPOT", "hub", ())))
    progress = TourProgress("t1", "plan-1", "van-hx-1", stops)
    arrived = progress.after(new_event(records.StopCompleted, producer="dispatch-api", tour_id="t1", stop_index=1))
    assert arrived.reached == 1
    failed = arrived.after(new_event(records.StopFailed, producer="dispatch-api", tour_id="t1", stop_index=2))
    assert failed.reached == 2 and failed.failed == {(2, "s1")}
    done = failed.after(new_event(records.TourCompleted, producer="dispatch-api", tour_id="t1", plan_id="plan-1",
                                  driver_id="d-1", vehicle_id="van-hx-1", stops_completed=2, stops_failed=1))
    assert done.completed and done.reached == 3


# -- the plans' read model --------------------------------------------------------------------------
def test_a_plans_view_goes_from_pending_to_planned_or_failed_from_its_events_alone():
    request = new_event(records.RoutePlanRequested, producer="routing-api", actor=Actor("op-1", "operator"),
                        **decided(PlanAsked(DAY, vehicles=(VehicleAsked("van-hx-1"),))))
    pending = pending_view(request)
    assert pending["status"] == "PENDING" and pending["requested_by"] == "op-1"
    assert pending["vehicle_ids"] == ["van-hx-1"] and pending["depot"]["depot_id"] == REGION.hub.id
    stop = records.Stop(kind=records.StopKind.DEPOT, place_id="hub", location=records.GeoPoint(lat=51.7, lon=9.2),
                        eta=local_instant(DAY, time(6)), load_g=0, load_ml=0)
    tour = records.PlannedTour(tour_id="plan-1-van-hx-1", vehicle_id="van-hx-1", stops=[stop, stop], distance_km=0.0,
                               duration_s=0, empty_km=0.0, load_factor=0.0)
    planned = new_event(records.RoutePlanned, producer="routing-worker", caused_by=request, plan_id="plan-1",
                        day=DAY, tours=[tour], distance_km=0.0, solve_time_ms=12,
                        dropped=[records.DroppedJob(job_id="j", shipment_ids=["s"], reason=records.DropReason.CAPACITY,
                                                    detail="full")])
    view = answered_view(pending, planned)
    assert view["status"] == "PLANNED" and view["requested_by"] == "op-1" and view["failure"] is None
    assert view["tours"][0]["stops"][0]["eta"] == "2031-07-16T04:00:00+00:00"
    assert view["dropped"] == [{"job_id": "j", "shipment_ids": ["s"], "reason": "CAPACITY", "detail": "full"}]
    assert view["figures"] == {"vehicles_used": 1, "distance_km": 0.0, "empty_km": 0.0, "load_factor": None,
                               "duration_s": 0, "stops": 0, "dropped_jobs": 1, "solve_time_ms": 12}
    assert answered_view(view, planned) == view  # the same outcome again
    assert requested_ms(view, planned) == int(request.meta.occurred_at.timestamp() * 1000)
    failed = new_event(records.RoutePlanFailed, producer="routing-worker", caused_by=request, plan_id="plan-1",
                       reason=records.PlanFailureReason.NO_JOBS, message="nothing to carry")
    assert answered_view(pending, failed)["failure"] == {"reason": "NO_JOBS", "message": "nothing to carry"}
    assert set(summary(view)) == {"plan_id", "day", "status", "requested_at", "requested_by", "answered_at",
                                  "replan_of", "figures", "failure"}
