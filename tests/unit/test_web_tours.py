"""The operator's pages' logic (services/web/domain/tours.py): the day asked for,
tours as map features and table rows, the tour sheet's rows, the plan's rows and
the hub's shipments by destination."""

from __future__ import annotations

from datetime import date

from services.web.domain import tours

TODAY = date(2026, 12, 7)


def stop(seq: int, kind: str, lat: float, lon: float, **extra) -> dict:
    return {"seq": seq, "kind": kind, "place_id": f"place-{seq}", "name": f"Ort {seq}",
            "location": {"lat": lat, "lon": lon}, "eta": "2026-12-08T08:00:00+00:00", "eta_local": "09:00",
            "load": [], "unload": [], "status": "PENDING", **extra}


TOUR = {"tour_id": "t-1", "plan_id": "p-1", "vehicle_id": "van-hx-1", "vehicle_name": "HX-LP 101",
        "driver_id": "drv-1", "status": "DISPATCHED", "stops": 3, "stops_done": 1, "stops_failed": 0, "parcels": 4,
        "first_eta": "2026-12-08T08:00:00+00:00", "planned_distance_km": 42.25, "planned_duration_s": 5400}
VIEW = {**TOUR, "stops": [
    stop(0, "DEPOT", 51.718, 9.205),
    stop(1, "PICKUP", 51.7, 9.3, load=[{"shipment_id": "s-1", "parcels": 2, "compartment_ids": []}],
         address={"street": "Am Markt 22", "postal_code": "33034", "locality": "Brakel", "country": "DE"}),
    stop(2, "DELIVERY", 51.77, 9.38, unload=[{"shipment_id": "s-1", "parcels": 2, "compartment_ids": ["AS02", "AS01"]}],
         driver_note="Hintereingang"),
]}


def test_the_day_asked_for_is_a_plausible_iso_day_else_today():
    assert tours.day_asked("2026-12-10", TODAY) == date(2026, 12, 10)
    assert tours.day_asked(None, TODAY) == TODAY
    assert tours.day_asked("kein-tag", TODAY) == TODAY
    assert tours.day_asked("1999-01-01", TODAY) == TODAY
    assert tours.next_days(TODAY)[0] == date(2026, 12, 6) and len(tours.next_days(TODAY)) == 8


def test_day_labels_are_german_and_english():
    assert tours.short_day(date(2026, 12, 8)) == ("Di 08.12.", "Tue 08.12.")


def test_each_tour_is_a_line_through_its_stops_in_order_with_its_visits_as_points_and_the_hub():
    features = tours.tour_features([VIEW], (51.718, 9.205, "Logistikport HX"))
    kinds = [f["properties"]["kind"] for f in features["features"]]
    assert kinds == ["tour", "shop", "pickup", "hub"]
    tour_line = features["features"][0]
    assert tour_line["geometry"]["type"] == "LineString"
    # GeoJSON: longitude first.
    assert tour_line["geometry"]["coordinates"] == [[9.205, 51.718], [9.3, 51.7], [9.38, 51.77]]
    assert tour_line["properties"]["colour"] == tours.TOUR_COLOURS[0]


def test_a_tour_without_stops_draws_no_line():
    features = tours.tour_features([{**TOUR, "stops": []}], None)
    assert features == {"type": "FeatureCollection", "features": []}


def test_a_table_row_shows_vehicle_driver_stops_km_and_state():
    row = tours.tour_row(TOUR, VIEW)
    assert (row["vehicle"], row["driver"], row["stops"], row["stops_done"], row["km"], row["state"]) == (
        "HX-LP 101", "drv-1", 3, 1, "42,2", "DISPATCHED")
    assert row["first_eta"] == "09:00"  # Berlin time
    assert tours.tour_row(TOUR, None)["km"] == "–"
    assert tours.label(tours.TOUR_STATES, "DISPATCHED") == ("freigegeben", "dispatched")
    assert tours.label(tours.TOUR_STATES, "NEW") == ("NEW", "NEW")


def test_the_sheet_lists_the_stops_in_order_with_address_time_parcels_and_compartments():
    rows = tours.sheet_rows(VIEW)
    assert [r["seq"] for r in rows] == [1, 2, 3]
    assert rows[1]["address"] == "Am Markt 22, 33034 Brakel"
    assert (rows[1]["load_parcels"], rows[2]["unload_parcels"]) == (2, 2)
    assert rows[2]["compartments"] == ["AS01", "AS02"]
    assert rows[2]["note"] == "Hintereingang" and rows[0]["time"] == "09:00"


def test_a_plans_tours_count_stops_without_leaving_and_returning_to_the_hub():
    plan = {"tours": [{"vehicle_id": "van-hx-1", "stops": [{}, {}, {}, {}], "distance_km": 12.0, "duration_s": 3900,
                       "load_factor": 0.25, "cost_eur": 1234.5, "breaks": [{"place_id": "shop-1"}]},
                      {"vehicle_id": "van-hx-2", "stops": [{}, {}, {}], "distance_km": 3.0, "duration_s": 600}]}
    assert tours.plan_rows(plan) == [
        {"vehicle_id": "van-hx-1", "driver_id": None, "stops": 2, "km": "12,0", "cost": "1 234,50 €", "breaks": 1,
         "duration": "1:05", "load": "25 %"},
        # A plan from before costs and breaks were carried.
        {"vehicle_id": "van-hx-2", "driver_id": None, "stops": 1, "km": "3,0", "cost": "–", "breaks": 0,
         "duration": "0:10", "load": "–"}]
    assert tours.driver_for("van-hx-1", None) == "driver-van-hx-1"
    assert tours.driver_for("van-hx-1", "drv-7") == "drv-7"


def test_shipments_are_grouped_by_pick_up_point_with_counts_by_state():
    groups = tours.shipments_by_destination([
        {"shipment_id": "s-1", "pickup_point_id": "pp-b", "status": "AT_HUB", "weight_g": 1500},
        {"shipment_id": "s-2", "pickup_point_id": "pp-a", "status": "REQUESTED", "weight_g": 500},
        {"shipment_id": "s-3", "pickup_point_id": "pp-b", "status": "AT_HUB", "weight_g": 1000},
    ])
    assert [g["pickup_point_id"] for g in groups] == ["pp-a", "pp-b"]
    assert groups[1]["states"] == {"AT_HUB": 2} and groups[1]["weight_kg"] == 2.5
