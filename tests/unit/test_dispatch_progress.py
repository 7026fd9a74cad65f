"""The stop state machine: reports checked against what happened, folded in once,
and the tour finished when every stop is done or failed."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from nahnetz.events import new_event, read_event
from nahnetz.kit.errors import NotFound, Unprocessable
from services.dispatch.domain import progress as steps
from services.dispatch.domain.progress import (NotCollectedYet, StepRefused, StopStatus, TourProgress, TourStatus,
                                               apply, completion)
from test_dispatch_tours import a_tour

T0 = datetime(2026, 3, 17, 7, 0, tzinfo=timezone.utc)


class Road:
    """A tour driven in a test: decide a report, publish it as an event (through
    the real codec), fold it in."""

    def __init__(self):
        self.tour = a_tour()
        self.progress = TourProgress.start(self.tour)
        self.events = []

    def report(self, step: str, index: int, **params):
        decide = {"arrived": steps.decide_arrival, "collected": steps.decide_collection,
                  "delivered": steps.decide_delivery, "failed": steps.decide_failure}[step]
        report = decide(self.tour, self.progress, index, **params)
        event = read_event(new_event(report.event_type, producer="test", channel="APP",
                                     occurred_at=T0 + timedelta(minutes=len(self.events) + 1),
                                     **report.fields).encode())
        self.events.append(event)
        self.fold(event)
        return event

    def fold(self, event):
        self.progress = apply(self.tour, self.progress, event)
        return self.progress

    def status(self, index: int) -> StopStatus:
        return self.progress.statuses(self.tour)[index]


@pytest.fixture
def road() -> Road:
    return Road()


def drive_all(road: Road) -> None:
    road.report("arrived", 0, odometer_km=10200.0)
    road.report("arrived", 1)
    road.report("collected", 1)
    road.report("collected", 2)          # arrival implied (paper sheets have no times)
    road.report("delivered", 3)
    road.report("arrived", 4, odometer_km=10242.4)


def test_arrived_then_collected_makes_a_stop_done_and_the_event_says_what(road):
    assert road.progress.status(road.tour) is TourStatus.DISPATCHED
    road.report("arrived", 0)
    assert road.status(0) is StopStatus.DONE  # nothing to load at the hub: arriving is all
    arrived = road.report("arrived", 1)
    assert (arrived.type, arrived.kind, arrived.stop_index, arrived.shipment_ids) == ("StopCompleted", "ARRIVED", 1, [])
    assert road.status(1) is StopStatus.ARRIVED
    assert road.progress.status(road.tour) is TourStatus.UNDERWAY
    collected = road.report("collected", 1)
    assert (collected.kind, collected.shipment_ids, collected.order_ids) == ("COLLECTED", ["s1"], ["o1"])
    assert road.status(1) is StopStatus.DONE
    assert road.progress.stops[1].collected == ("s1",)


def test_deliver_before_collect_is_refused(road):
    road.report("collected", 1)  # s1 on board, s2 (stop 2) not yet
    with pytest.raises(NotCollectedYet) as refused:
        road.report("delivered", 3)
    assert refused.value.status_code == 409
    assert "stop 2" in refused.value.message and "s2" in refused.value.message
    assert refused.value.details == {"shipment_ids": ["s2"]}
    assert road.status(3) is StopStatus.PENDING


def test_delivery_carries_orders_and_the_reserved_compartments_or_the_ones_used(road):
    road.report("collected", 1)
    road.report("collected", 2)
    delivered = road.report("delivered", 3)
    assert (delivered.kind, delivered.shipment_ids, delivered.order_ids) == ("DELIVERED", ["s1", "s2"], ["o1", "o2"])
    assert delivered.compartment_ids == ["AM01", "CS01", "CS02"]
    other = Road()
    other.report("collected", 1)
    other.report("collected", 2)
    assert other.report("delivered", 3, compartment_ids=["AM02", "AM02"]).compartment_ids == ["AM02"]


def test_a_failed_collection_leaves_its_shipment_off_the_delivery(road):
    failed = road.report("failed", 1, reason="SHOP_CLOSED", note="Zettel an der Tür")
    assert (failed.type, failed.reason, failed.shipment_ids, failed.order_ids, failed.note) == (
        "StopFailed", "SHOP_CLOSED", ["s1"], ["o1"], "Zettel an der Tür")
    assert road.status(1) is StopStatus.FAILED
    road.report("collected", 2)
    delivered = road.report("delivered", 3)
    assert delivered.shipment_ids == ["s2"] and delivered.compartment_ids == ["CS01", "CS02"]


def test_nothing_on_board_means_the_delivery_stop_must_be_reported_failed(road):
    road.report("failed", 1, reason="SHOP_CLOSED")
    road.report("failed", 2, reason="NOT_FOUND")
    with pytest.raises(StepRefused, match="report this stop as failed"):
        road.report("delivered", 3)
    road.report("failed", 3, reason="OTHER")


def test_nothing_is_reported_twice_or_after_the_stop_is_finished(road):
    road.report("arrived", 1)
    with pytest.raises(StepRefused, match="already"):
        road.report("arrived", 1)
    road.report("collected", 1)
    for step, params in (("collected", {}), ("arrived", {}), ("failed", {"reason": "OTHER"})):
        with pytest.raises(StepRefused, match="done already"):
            road.report(step, 1, **params)


def test_one_stop_at_a_time(road):
    road.report("arrived", 1)
    with pytest.raises(StepRefused, match="still at stop 1") as refused:
        road.report("arrived", 2)
    assert refused.value.details == {"open_stop": 1}
    road.report("failed", 1, reason="DAMAGED")
    road.report("arrived", 2)


def test_the_wrong_step_for_a_stop_and_a_stop_that_does_not_exist(road):
    with pytest.raises(Unprocessable, match="nothing to deliver at stop 1"):
        road.report("delivered", 1)
    with pytest.raises(Unprocessable, match="nothing to collect at stop 3"):
        road.report("collected", 3)
    with pytest.raises(Unprocessable, match="nothing to collect at stop 0"):
        road.report("collected", 0)
    with pytest.raises(NotFound):
        road.report("arrived", 5)


def test_the_return_to_the_hub_comes_after_every_other_stop(road):
    road.report("collected", 1)
    with pytest.raises(StepRefused, match="stops 0, 2, 3 are still open") as refused:
        road.report("arrived", 4)
    assert refused.value.details == {"open_stops": [0, 2, 3]}


def test_the_tour_is_finished_once_every_stop_is_done_or_failed_and_then_closed(road):
    road.report("arrived", 0, odometer_km=10200.0)
    road.report("collected", 1)
    road.report("failed", 2, reason="SHOP_CLOSED")
    assert not road.progress.finished(road.tour)
    road.report("delivered", 3)
    assert road.progress.status(road.tour) is TourStatus.UNDERWAY
    road.report("arrived", 4, odometer_km=10242.44)
    assert road.progress.finished(road.tour)
    assert road.progress.status(road.tour) is TourStatus.FINISHED
    assert completion(road.tour, road.progress) == {
        "tour_id": "tour-1", "plan_id": "plan-1", "driver_id": "driver-1", "vehicle_id": "van-1",
        "stops_completed": 4, "stops_failed": 1, "distance_km": 42.4}
    with pytest.raises(StepRefused, match="finished"):
        road.report("failed", 2, reason="OTHER")
    closed = new_event("TourCompleted", producer="test", **completion(road.tour, road.progress))
    road.fold(closed)
    assert road.progress.status(road.tour) is TourStatus.COMPLETED


def test_without_two_odometer_readings_no_distance_is_claimed(road):
    drive_all(road)
    assert completion(road.tour, road.progress)["distance_km"] == 42.4
    other = Road()
    other.report("arrived", 0)
    other.report("collected", 1)
    other.report("collected", 2)
    other.report("delivered", 3)
    other.report("arrived", 4, odometer_km=500.0)
    assert completion(other.tour, other.progress)["distance_km"] is None


def test_an_odometer_reading_below_an_earlier_one_is_a_typo(road):
    road.report("arrived", 0, odometer_km=10200.0)
    road.report("collected", 1)
    road.report("collected", 2)
    road.report("delivered", 3)
    with pytest.raises(Unprocessable, match="below"):
        road.report("arrived", 4, odometer_km=1024.0)


def test_folding_an_event_twice_changes_nothing(road):
    event = road.report("collected", 1)
    before = road.progress
    assert road.fold(event) is before
    assert before.applied == (event.event_id,)


def test_a_report_on_a_stop_the_tour_does_not_have_cannot_be_folded(road):
    stray = new_event("StopCompleted", producer="test", tour_id="tour-1", stop_index=9, kind="ARRIVED")
    with pytest.raises(steps.InvalidReport):
        road.fold(stray)


def test_progress_survives_its_json(road):
    road.report("arrived", 0, odometer_km=1.5)
    road.report("collected", 1)
    road.report("failed", 2, reason="SHOP_CLOSED", note="zu")
    assert TourProgress.from_json(road.progress.to_json()) == road.progress


def test_a_paper_sheet_entered_afterwards_folds_in_with_its_time_and_channel(road):
    at = T0 - timedelta(hours=3)
    report = steps.decide_collection(road.tour, road.progress, 1)
    event = new_event(report.event_type, producer="test", channel="PAPER", occurred_at=at,
                      event_id=str(uuid.uuid4()), **report.fields)
    road.fold(event)
    done = road.progress.stops[1]
    assert (done.channel, done.collected_at) == ("PAPER", at.isoformat())


def test_the_hub_mid_tour_is_done_once_unloaded_and_loaded():
    from test_dispatch_tours import DAY, dispatched, planned_tour, shipments, stop

    planned = planned_tour()
    # Collect s1, unload it at the hub and load s2 for the last mile there, deliver s2.
    planned["stops"] = [stop("DEPOT", "hub-hx", 0), stop("PICKUP", "shop-a", 20, ["s1"]),
                        stop("DEPOT", "hub-hx", 60, ["s1", "s2"]), stop("DELIVERY", "pp-1", 90, ["s2"]),
                        stop("DEPOT", "hub-hx", 120)]
    road = Road()
    road.tour = dispatched(planned, plan_id="p", day=DAY, driver_id="d", shipments=shipments(), places={})
    road.progress = TourProgress.start(road.tour)
    road.report("arrived", 0)
    with pytest.raises(NotCollectedYet):
        road.report("delivered", 2)  # s1 is not on board yet
    road.report("collected", 1)
    road.report("arrived", 2)
    with pytest.raises(StepRefused):
        road.report("delivered", 3)  # the driver is at the hub: unload and load there first
    unloaded = road.report("delivered", 2)
    assert unloaded.kind == "DELIVERED" and unloaded.shipment_ids == ["s1"]
    assert road.status(2) is StopStatus.ARRIVED  # loading still to come
    loaded = road.report("collected", 2)
    assert loaded.kind == "COLLECTED" and loaded.shipment_ids == ["s2"]
    assert road.status(2) is StopStatus.DONE
    assert road.report("delivered", 3).shipment_ids == ["s2"]
