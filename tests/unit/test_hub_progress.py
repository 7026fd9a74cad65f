"""What drivers' reports mean for shipments, statuses that only move forward,
and the hub's stock by destination."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from nahnetz.events import new_event, read_event
from nahnetz.records import GeoPoint, Stop, StopConsignment, StopKind
from services.hub.domain.progress import (
    ReportMismatch,
    Transition,
    delivered_compartments,
    is_missed_collection,
    reported_shipments,
    shipments_at,
    stop_at,
    transition_for,
)
from services.hub.domain.stock import advanced, effective_status, stock_by_destination


def a_stop(kind: str, place_id: str, shipment_ids: tuple[str, ...], consignments: tuple[str, ...] = ()) -> Stop:
    return Stop(kind=StopKind(kind), place_id=place_id, location=GeoPoint(lat=51.7, lon=9.2),
                shipment_ids=list(shipment_ids), eta=datetime(2031, 7, 16, 8, tzinfo=timezone.utc), load_g=0,
                load_ml=0, consignments=[StopConsignment(shipment_id=s, order_id="o") for s in consignments])


SHOP = a_stop("PICKUP", "shop-a", ("s1", "s2"))
POINT = a_stop("DELIVERY", "pp-1", ("s1",))
DEPOT = a_stop("DEPOT", "hub", ())


@pytest.mark.parametrize("stop, report, expected", [
    (SHOP, "COLLECTED", Transition.COLLECTED),
    (POINT, "DELIVERED", Transition.DELIVERED),
    (DEPOT, "DELIVERED", Transition.AT_HUB),
    (DEPOT, "COLLECTED", None),
    (SHOP, "ARRIVED", None),
    (POINT, "OTHER", None),
])
def test_reports_at_stops(stop, report, expected):
    assert transition_for(stop, report) == expected


@pytest.mark.parametrize("stop, report", [(SHOP, "DELIVERED"), (POINT, "COLLECTED")])
def test_a_report_that_does_not_fit_the_stop_is_refused(stop, report):
    with pytest.raises(ReportMismatch):
        transition_for(stop, report)


def test_a_report_concerns_the_shipments_it_names_else_all_of_the_stop():
    assert reported_shipments(SHOP, ["s2", "s2"]) == ("s2",)
    assert reported_shipments(SHOP, []) == ("s1", "s2")


def test_only_a_closed_shop_or_missing_goods_at_a_collection_is_a_missed_collection():
    assert is_missed_collection(SHOP, "SHOP_CLOSED") and is_missed_collection(SHOP, "NOT_FOUND")
    assert not is_missed_collection(SHOP, "DAMAGED")
    assert not is_missed_collection(POINT, "SHOP_CLOSED")


def test_a_delivered_shipment_is_in_its_own_orders_compartments_not_in_those_of_the_stops_other_orders():
    # Two orders unloaded at one locker: the report names the compartments of both.
    assert delivered_compartments(["A000", "K000"], ["A000"]) == ("A000",)
    assert delivered_compartments(["A000", "K000"], ["K000", "A000"]) == ("A000", "K000")
    # The driver used other compartments: the report cannot tell whose, all of them.
    assert delivered_compartments(["A007"], ["A000"]) == ("A007",)
    # No compartments reported: those reserved for the order.
    assert delivered_compartments([], ["A000"]) == ("A000",)


def test_a_dispatched_tours_stop_handles_its_shipments_and_those_of_its_consignments():
    tour = read_event(new_event(
        "TourDispatched", producer="dispatch-api", tour_id="t1", plan_id="p1", day=date(2031, 7, 16),
        driver_id="d-1", vehicle_id="van",
        stops=[DEPOT, a_stop("PICKUP", "shop-a", ("s1",), consignments=("s1", "s2"))]).encode())
    assert shipments_at(stop_at(tour, 1)) == ("s1", "s2")
    assert reported_shipments(stop_at(tour, 1), []) == ("s1", "s2")
    with pytest.raises(ReportMismatch):
        stop_at(tour, 2)


def test_statuses_only_move_forward():
    assert advanced("REQUESTED", "COLLECTED") == "COLLECTED"
    assert advanced("DELIVERED", "COLLECTED") == "DELIVERED"
    assert advanced("COLLECTED", "AT_HUB") == "AT_HUB"


def test_a_cancelled_order_withdraws_only_what_was_not_collected():
    assert effective_status("REQUESTED", True) == "WITHDRAWN"
    assert effective_status("COLLECTED", True) == "COLLECTED"
    assert effective_status("REQUESTED", False) == "REQUESTED"


def test_stock_by_destination_counts_statuses_and_what_is_in_the_hub():
    views = [
        {"pickup_point_id": "pp-1", "pickup_point_name": "Brakel", "status": "AT_HUB", "weight_g": 1000,
         "volume_ml": 2000, "temperature_class": "FROZEN"},
        {"pickup_point_id": "pp-1", "pickup_point_name": "Brakel", "status": "REQUESTED", "weight_g": 500,
         "volume_ml": 100, "temperature_class": "AMBIENT"},
        {"pickup_point_id": "pp-1", "pickup_point_name": "Brakel", "status": "DELIVERED", "weight_g": 9,
         "volume_ml": 9, "temperature_class": "AMBIENT"},
        {"pickup_point_id": "pp-2", "pickup_point_name": "Höxter", "status": "WITHDRAWN", "weight_g": 7,
         "volume_ml": 7, "temperature_class": "AMBIENT"},
    ]
    stock = stock_by_destination(views)
    brakel, hoexter = stock["destinations"]
    assert brakel["shipments"] == 3
    assert brakel["by_status"]["AT_HUB"] == 1 and brakel["by_status"]["DELIVERED"] == 1
    assert brakel["in_hub"]["weight_g"] == 1000 and brakel["in_hub"]["by_temperature"] == {"FROZEN": 1}
    assert brakel["to_move"]["shipments"] == 2 and brakel["to_move"]["weight_g"] == 1500
    assert hoexter["by_status"]["WITHDRAWN"] == 1 and hoexter["to_move"]["shipments"] == 0
    assert stock["totals"]["shipments"] == 4
