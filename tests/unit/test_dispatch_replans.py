"""Re-planning during the day: the stops a driver already did are carried over to
the tour of the new plan, and the old tour takes no more reports."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from nahnetz.events import new_event
from nahnetz.kit.errors import Conflict
from nahnetz.records import ShipmentRequested
from services.dispatch.domain import progress as steps
from services.dispatch.domain.progress import StepRefused, StopStatus, TourProgress, TourStatus, apply
from services.dispatch.domain.replans import carried_over, check_replannable, replaces
from test_dispatch_tours import DAY, a_tour, dispatched, places, planned_tour, shipment, shipments, stop, typed

AT = datetime(2026, 3, 17, 8, 0, tzinfo=timezone.utc)


def reported(tour, progress, step, index, **params):
    decide = {"arrived": steps.decide_arrival, "collected": steps.decide_collection,
              "delivered": steps.decide_delivery, "failed": steps.decide_failure}[step]
    report = decide(tour, progress, index, **params)
    event = new_event(report.event_type, producer="test", event_id=f"{step}-{index}", occurred_at=AT,
                      **report.fields)
    return apply(tour, progress, event)


def old_tour_under_way():
    """Hub done, shop A collected, shop B closed; the delivery and the return are ahead."""
    tour = a_tour()
    progress = TourProgress.start(tour)
    progress = reported(tour, progress, "arrived", 0)
    progress = reported(tour, progress, "collected", 1)
    progress = reported(tour, progress, "failed", 2, reason="SHOP_CLOSED")
    return tour, progress


def new_plan_tour() -> dict:  # a PlannedTour record; `typed` makes the typed one
    """Routing kept hub and shop A first; an urgent shipment s3 of shop C joins."""
    planned = planned_tour("tour-2")
    planned["stops"] = [stop("DEPOT", "hub-hx", 0), stop("PICKUP", "shop-a", 25, ["s1"]),
                        stop("PICKUP", "shop-c", 70, ["s3"]), stop("DELIVERY", "pp-1", 95, ["s1", "s3"]),
                        stop("DEPOT", "hub-hx", 130)]
    return planned


def more_shipments() -> dict[str, ShipmentRequested]:
    return {**shipments(), "s3": shipment("s3", "o3", "shop-c", "pp-1", ["AM02"], 800, 1000)}


def test_the_done_stops_of_the_old_tour_are_found_in_the_new_one():
    old, progress = old_tour_under_way()
    assert carried_over(typed(new_plan_tour()), old, progress) == (0, 1)


def test_a_stop_handling_a_shipment_not_handled_before_is_not_carried_over():
    old, progress = old_tour_under_way()
    planned = new_plan_tour()
    planned["stops"][1] = stop("PICKUP", "shop-a", 25, ["s1", "s3"])  # s3 must still be loaded there
    assert carried_over(typed(planned), old, progress) == (0,)


def test_a_failed_stop_and_the_return_to_the_hub_are_never_carried_over():
    old, progress = old_tour_under_way()
    planned = new_plan_tour()
    planned["stops"].insert(2, stop("PICKUP", "shop-b", 40, ["s2"]))  # the failed shop, tried again
    assert carried_over(typed(planned), old, progress) == (0, 1)
    finished = TourProgress.start(old)
    for index, step in ((0, "arrived"), (1, "collected"), (2, "collected"), (3, "delivered"), (4, "arrived")):
        finished = reported(old, finished, step, index)
    back_at_hub = {"stops": [stop("DEPOT", "hub-hx", 0), stop("DEPOT", "hub-hx", 10)]}
    assert carried_over(typed({**planned_tour(), **back_at_hub}), old, finished) == (0,)


def test_a_tour_under_way_may_be_re_planned_a_finished_one_not():
    old, progress = old_tour_under_way()
    check_replannable(old, progress)
    finished = progress
    for index, step in ((3, "delivered"), (4, "arrived")):
        finished = reported(old, finished, step, index)
    with pytest.raises(Conflict, match="nothing left to re-plan"):
        check_replannable(old, finished)


def test_only_a_running_tour_of_the_same_vehicle_is_taken_over():
    old, progress = old_tour_under_way()
    assert replaces(old, progress, "van-1")
    assert not replaces(old, progress, "van-2")
    assert not replaces(old, TourProgress(progress.stops, replaced_by="tour-9"), "van-1")
    assert not replaces(old, TourProgress(progress.stops, completed=True), "van-1")


def test_the_new_tour_starts_with_the_carried_stops_done_and_delivers_what_is_on_board():
    old, progress = old_tour_under_way()
    planned = new_plan_tour()
    new = dispatched(planned, plan_id="plan-2", day=DAY, driver_id="driver-1", shipments=more_shipments(),
                     places=places(), replaces_tour_id=old.tour_id,
                     done_stops=carried_over(typed(planned), old, progress))
    started = TourProgress.start(new)
    assert started.statuses(new)[:3] == [StopStatus.DONE, StopStatus.DONE, StopStatus.PENDING]
    assert started.status(new) is TourStatus.UNDERWAY
    with pytest.raises(StepRefused, match="done already"):
        reported(new, started, "collected", 1)
    # s1 came aboard on the old tour; s3 still has to be collected at shop C first.
    with pytest.raises(steps.NotCollectedYet, match="s3"):
        reported(new, started, "delivered", 3)
    after = reported(new, started, "collected", 2)
    delivered = steps.decide_delivery(new, after, 3)
    assert delivered.fields["shipment_ids"] == ["s1", "s3"]


def test_the_old_tour_takes_no_more_reports_once_taken_over():
    old, progress = old_tour_under_way()
    taken = TourProgress(progress.stops, progress.applied, replaced_by="tour-2")
    assert taken.status(old) is TourStatus.REPLACED
    with pytest.raises(StepRefused, match="taken over by tour tour-2") as refused:
        reported(old, taken, "delivered", 3)
    assert refused.value.details == {"replaced_by": "tour-2"}
    assert TourProgress.from_json(taken.to_json()) == taken
