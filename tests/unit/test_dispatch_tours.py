"""Building a dispatched tour from a planned tour, the shipments and the places."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from nahnetz.events import new_event, read_event
from nahnetz.records import Address, PlannedTour, ShipmentRequested, StopKind, TourDispatched
from services.dispatch.domain.tours import (Place, ShipmentsUnknown, break_minutes, breaks_before_stops, build_tour,
                                            label, load_stop_of, loads,
                                            order_ids, parcels, place_ids_of, shipment_ids_of, tour_for_vehicle,
                                            unloads)

DAY = date(2026, 3, 17)
START = datetime(2026, 3, 17, 6, 30, tzinfo=timezone.utc)  # 07:30 in Höxter


def stop(kind: str, place_id: str, minutes: int, shipments: list[str] = (), load_g: int = 0,
         name: str | None = None) -> dict:
    return {"kind": kind, "place_id": place_id, "name": name, "location": {"lat": 51.7, "lon": 9.3},
            "job_ids": [f"job-{s}-{kind.lower()}" for s in shipments], "shipment_ids": list(shipments),
            "eta": START + timedelta(minutes=minutes), "load_g": load_g, "load_ml": load_g * 2}


def planned_tour(tour_id: str = "tour-1", vehicle_id: str = "van-1") -> dict:
    """Hub -> shop A (s1) -> shop B (s2, chilled) -> pick-up point P (s1, s2) -> hub,
    as the record of a RoutePlanned (a dict, so a test may change its stops)."""
    return {"tour_id": tour_id, "vehicle_id": vehicle_id, "distance_km": 42.5, "duration_s": 7500,
            "empty_km": 12.0, "load_factor": 0.2,
            "stops": [stop("DEPOT", "hub-hx", 0, name="Logistikport HX"),
                      stop("PICKUP", "shop-a", 25, ["s1"], 2000),
                      stop("PICKUP", "shop-b", 50, ["s2"], 3500),
                      stop("DELIVERY", "pp-1", 80, ["s1", "s2"], 0),
                      stop("DEPOT", "hub-hx", 120, name="Logistikport HX")]}


def typed(planned: dict) -> PlannedTour:
    return PlannedTour.from_avro({**planned, "stops": [{"address": None, "driver_note": None, "consignments": [],
                                                        **s} for s in planned["stops"]]})


def shipment(shipment_id: str, order_id: str, shop_id: str, point_id: str, compartments: list[str],
             weight_g: int, volume_ml: int, temperature: str = "AMBIENT") -> ShipmentRequested:
    window = {"start": START, "end": START + timedelta(hours=8)}
    return new_event(ShipmentRequested, producer="hub-worker", shipment_id=shipment_id, order_id=order_id,
                     shop_id=shop_id, pickup_point_id=point_id, compartment_ids=compartments, delivery_day=DAY,
                     weight_g=weight_g, volume_ml=volume_ml, temperature_class=temperature,
                     pickup_windows=[window], shop_location={"lat": 51.65, "lon": 9.33},
                     pickup_point_location={"lat": 51.77, "lon": 9.38})


def shipments() -> dict[str, ShipmentRequested]:
    return {"s1": shipment("s1", "o1", "shop-a", "pp-1", ["AM01"], 2000, 4000, "AMBIENT"),
            "s2": shipment("s2", "o2", "shop-b", "pp-1", ["CS01", "CS02"], 1500, 3000, "CHILLED")}


def address(street: str, postal_code: str, locality: str) -> Address:
    return Address(street=street, postal_code=postal_code, locality=locality, country="DE")


def places() -> dict[str, Place]:
    return {"hub-hx": Place("hub-hx", "Logistikport HX"),
            "shop-a": Place("shop-a", "Hofladen Amelunxen", address("Dorfstraße 3", "37688", "Amelunxen"),
                            "Anlieferung über den Hof"),
            "shop-b": Place("shop-b", "Metzgerei <Brakel>", address("Am Markt 1", "33034", "Brakel")),
            "pp-1": Place("pp-1", "Pick-up-Point HX Höxter", address("Rathausplatz 1", "37671", "Höxter"),
                          "neben dem Rathauseingang", {"AM01": "A1", "CS01": "K1"})}


def dispatched(planned: dict | PlannedTour, **kw) -> TourDispatched:
    """The TourDispatched of `build_tour`, as it comes back from the topic."""
    planned = typed(planned) if isinstance(planned, dict) else planned
    return read_event(new_event(TourDispatched, producer="test", **build_tour(planned, **kw)).encode())


def a_tour(**kw) -> TourDispatched:
    return dispatched(planned_tour(), plan_id="plan-1", day=DAY, driver_id="driver-1", shipments=shipments(),
                      places=places(), vehicle_name="HX-NN 101", **kw)


def test_stops_are_copied_in_order_with_names_addresses_and_notes():
    tour = a_tour()
    assert [(i, s.kind, s.place_id) for i, s in enumerate(tour.stops)] == [
        (0, "DEPOT", "hub-hx"), (1, "PICKUP", "shop-a"), (2, "PICKUP", "shop-b"), (3, "DELIVERY", "pp-1"),
        (4, "DEPOT", "hub-hx")]
    assert tour.stops[1].name == "Hofladen Amelunxen"
    assert tour.stops[1].address.locality == "Amelunxen"
    assert tour.stops[1].driver_note == "Anlieferung über den Hof"
    assert tour.stops[3].driver_note == "neben dem Rathauseingang"
    assert tour.stops[0].name == "Logistikport HX"
    assert [s.eta for s in tour.stops] == [s["eta"] for s in planned_tour()["stops"]]
    assert tour.stops[2].job_ids == ["job-s2-pickup"]
    assert (tour.tour_id, tour.plan_id, tour.day, tour.driver_id, tour.vehicle_id, tour.vehicle_name) == (
        "tour-1", "plan-1", DAY, "driver-1", "van-1", "HX-NN 101")
    assert (tour.planned_distance_km, tour.planned_duration_s) == (42.5, 7500)


def test_shops_load_and_pick_up_points_unload_with_orders_and_compartments():
    tour = a_tour()
    [at_a] = tour.stops[1].consignments
    assert (at_a.action, at_a.shipment_id, at_a.order_id, at_a.parcels) == ("LOAD", "s1", "o1", 1)
    assert tour.stops[2].consignments[0].temperature_class == "CHILLED"
    assert [(c.action, c.order_id, c.compartment_ids) for c in unloads(tour.stops[3])] == [
        ("UNLOAD", "o1", ["AM01"]), ("UNLOAD", "o2", ["CS01", "CS02"])]
    assert order_ids(tour.stops[3]) == ["o1", "o2"]
    assert tour.stops[0].consignments == [] and tour.stops[4].consignments == []
    assert parcels(tour) == 2
    assert load_stop_of(tour, "s2") == 2


def test_at_the_hub_what_the_tour_brought_is_unloaded_and_the_rest_loaded():
    planned = planned_tour()
    # A collection tour ending at the hub (s1 goes into the hub), then a shipment waiting at the hub.
    planned["stops"] = [stop("DEPOT", "hub-hx", 0, ["s2"]), stop("PICKUP", "shop-a", 20, ["s1"]),
                        stop("DEPOT", "hub-hx", 60, ["s1"]), stop("DELIVERY", "pp-1", 90, ["s2"])]
    tour = dispatched(planned, plan_id="p", day=DAY, driver_id="d", shipments=shipments(), places={})
    assert [c.action for c in tour.stops[0].consignments] == ["LOAD"]
    assert [c.action for c in tour.stops[2].consignments] == ["UNLOAD"]
    assert loads(tour.stops[0]) == tour.stops[0].consignments and unloads(tour.stops[0]) == []
    assert tour.stops[1].name is None and label(tour.stops[1]) == "shop-a"  # unknown place: its id


def test_goods_unloaded_at_the_hub_mid_tour_and_loaded_again_at_a_later_visit_are_loaded_then():
    planned = planned_tour()
    # s1 collected, unloaded at the hub (consolidation), loaded again at a later hub visit, delivered.
    planned["stops"] = [stop("DEPOT", "hub-hx", 0), stop("PICKUP", "shop-a", 20, ["s1"]),
                        stop("DEPOT", "hub-hx", 60, ["s1", "s2"]), stop("DELIVERY", "pp-1", 90, ["s2"]),
                        stop("DEPOT", "hub-hx", 120, ["s1"]), stop("DELIVERY", "pp-1", 150, ["s1"]),
                        stop("DEPOT", "hub-hx", 180)]
    tour = dispatched(planned, plan_id="p", day=DAY, driver_id="d", shipments=shipments(), places={})
    assert [(c.shipment_id, c.action) for c in tour.stops[2].consignments] == [("s1", "UNLOAD"), ("s2", "LOAD")]
    assert [(c.shipment_id, c.action) for c in tour.stops[4].consignments] == [("s1", "LOAD")]
    assert load_stop_of(tour, "s1") == 1 and load_stop_of(tour, "s1", before=5) == 4


def test_names_the_hub_copied_into_the_shipments_stand_in_for_places_dispatch_has_not_seen():
    known = shipments()
    named = {**known, "s1": new_event(ShipmentRequested, producer="hub-worker",
                                      **{**_fields(known["s1"]), "shop_name": "Hofladen (vom Hub)"})}
    tour = dispatched(planned_tour(), plan_id="p", day=DAY, driver_id="d", shipments=named, places={})
    assert tour.stops[1].name == "Hofladen (vom Hub)" and tour.stops[1].address is None


def _fields(event: ShipmentRequested) -> dict:
    record = event.to_avro()
    del record["meta"]
    return record


def test_a_plan_naming_an_unknown_shipment_is_refused_with_the_ids():
    known = shipments()
    del known["s2"]
    with pytest.raises(ShipmentsUnknown) as refused:
        build_tour(typed(planned_tour()), plan_id="p", day=DAY, driver_id="d", shipments=known, places=places())
    assert refused.value.status_code == 409
    assert refused.value.details == {"shipment_ids": ["s2"]}


def test_the_tour_round_trips_through_the_tour_dispatched_event():
    fields = build_tour(typed(planned_tour()), plan_id="plan-1", day=DAY, driver_id="driver-1",
                        shipments=shipments(), places=places(), vehicle_name="HX-NN 101", done_stops=(0,))
    event = new_event(TourDispatched, producer="test", **fields)
    back = read_event(event.encode())
    assert back == event
    assert back.stops == fields["stops"] and back.done_stops == [0]
    assert back.stops[0].kind is StopKind.DEPOT


def test_helpers_find_the_vehicles_tour_and_what_it_needs():
    planned = typed(planned_tour())
    assert tour_for_vehicle([typed(planned_tour("t0", "van-0")), planned], "van-1") is planned
    assert tour_for_vehicle([planned], "van-9") is None
    assert shipment_ids_of(planned) == ["s1", "s2"]
    assert place_ids_of(planned) == ["hub-hx", "shop-a", "shop-b", "pp-1"]


def with_breaks(*breaks: tuple[int, int]) -> dict:
    """The planned tour with driver breaks, as (start, end) in minutes after the first
    stop, and ETAs that allow for a 45-minute break after shop B."""
    planned = planned_tour()
    planned["stops"][3]["eta"] = START + timedelta(minutes=125)
    planned["stops"][4]["eta"] = START + timedelta(minutes=165)
    planned["breaks"] = [{"place_id": "shop-b", "starts_at": START + timedelta(minutes=a),
                          "ends_at": START + timedelta(minutes=b)} for a, b in breaks]
    return planned


def test_the_drivers_breaks_go_with_the_tour_and_sit_before_the_stop_reached_after_them():
    tour = dispatched(with_breaks((166, 196), (55, 100)), plan_id="p", day=DAY, driver_id="d",
                      shipments=shipments(), places=places())
    assert [(b.starts_at, b.ends_at) for b in tour.breaks] == [
        (START + timedelta(minutes=166), START + timedelta(minutes=196)),
        (START + timedelta(minutes=55), START + timedelta(minutes=100))]
    before, after = breaks_before_stops(tour)
    # Rested after shop B (ETA 50) until 100: shown before the pick-up point (ETA 125),
    # the first stop reached after it; the one after the hub's return (ETA 165) comes last.
    assert [[break_minutes(b) for b in rests] for rests in before] == [[], [], [], [45], []]
    assert [break_minutes(b) for b in after] == [30]


def test_a_tour_without_breaks_has_none_to_show():
    tour = a_tour()
    assert tour.breaks == []
    assert breaks_before_stops(tour) == ([[] for _ in tour.stops], [])
