"""The freight pages' logic (services/web/domain/freight.py): the trip and load forms
into the freight API's bodies (local times with their offset), the problems named
per field, labels, and the hand-over code read off the load slip."""

from __future__ import annotations

import pytest

from services.web.domain import freight

KNOWN = ["Brakel", "Höxter", "Ottbergen"]
TRIP = {"origin": "Brakel", "destination": "Höxter", "departure_start": "2026-12-08T07:30",
        "departure_end": "2026-12-08T08:15", "spare_weight_kg": "80", "spare_volume_litres": "",
        "spare_parcels": "3", "temperature": "CHILLED", "max_detour_km": "7,5", "price_rule": "PER_KM",
        "price_euros": "0,30", "weeks": "4"}
LOAD = {"origin": "Brakel", "destination": "Ottbergen", "pickup_start": "2026-12-08T07:00",
        "pickup_end": "2026-12-08T12:00", "delivery_start": "2026-12-08T07:00", "delivery_end": "2026-12-08T14:00",
        "description": "Kartoffeln", "weight_kg": "12", "parcels": "2", "max_price_euros": "5"}


def test_a_trip_form_becomes_the_apis_body_with_berlin_times():
    body, problems = freight.trip_body(TRIP, KNOWN)
    assert not problems
    assert body == {
        "origin": {"place_id": "Brakel"}, "destination": {"place_id": "Höxter"}, "spare_weight_kg": 80.0,
        "temperature": "CHILLED", "price_rule": "PER_KM", "participant_kind": "OTHER", "spare_parcels": 3,
        "max_detour_km": 7.5, "price_per_km_cents": 30,
        "departure": {"start": "2026-12-08T07:30:00+01:00", "end": "2026-12-08T08:15:00+01:00"}}


def test_a_weekly_trip_leaves_on_the_weekday_and_time_of_its_first_departure():
    body, _ = freight.trip_body({**TRIP, "weekly": "1", "weeks": "2", "price_rule": "FREE"}, KNOWN)
    assert "departure" not in body and "price_per_km_cents" not in body
    assert body["weekly"] == {"weekday": "TUESDAY", "leave_at": "07:30", "flexible_min": 45,
                              "first_day": "2026-12-08", "weeks": 2}


def test_a_place_may_be_given_by_name_and_coordinates():
    body, problems = freight.trip_body({**TRIP, "origin": freight.COORDINATES, "origin_name": "Hof Meier",
                                        "origin_lat": "51,70", "origin_lon": "9.1"}, KNOWN)
    assert not problems
    assert body["origin"] == {"name": "Hof Meier", "location": {"lat": 51.7, "lon": 9.1}}


@pytest.mark.parametrize("change, field", [
    ({"origin": ""}, "origin"),
    ({"origin": freight.COORDINATES, "origin_lat": "51.7", "origin_lon": "9.1"}, "origin_name"),
    ({"destination": "Paris"}, "destination"),
    ({"departure_end": "2026-12-08T07:00"}, "departure_end"),
    ({"departure_start": "morgen"}, "departure_start"),
    ({"spare_weight_kg": ""}, "spare_weight_kg"),
    ({"spare_weight_kg": "viel"}, "spare_weight_kg"),
    ({"spare_parcels": "2.5"}, "spare_parcels"),
    ({"price_euros": ""}, "price_euros"),
    ({"origin": freight.COORDINATES, "origin_name": "X", "origin_lat": "95", "origin_lon": "9"}, "origin_lat"),
])
def test_a_trip_form_with_a_problem_names_the_field_in_both_languages(change, field):
    body, problems = freight.trip_body({**TRIP, **change}, KNOWN)
    assert body is None
    assert field in problems.fields()
    assert all(german and english for _, german, english in problems.found)


def test_no_place_at_all_is_one_problem_not_three():
    _, problems = freight.trip_body({**TRIP, "origin": ""}, KNOWN)
    assert problems.fields() == {"origin"}


def test_more_than_twelve_weeks_are_refused():
    body, problems = freight.trip_body({**TRIP, "weekly": "1", "weeks": "13"}, KNOWN)
    assert body is None and problems.fields() == {"weeks"}


def test_a_load_form_becomes_the_apis_body():
    body, problems = freight.load_body({**LOAD, "handling_notes": " zerbrechlich ", "recipient_name": "Frau K."},
                                       KNOWN)
    assert not problems
    assert body["pickup_window"] == {"start": "2026-12-08T07:00:00+01:00", "end": "2026-12-08T12:00:00+01:00"}
    assert (body["weight_kg"], body["parcels"], body["max_price_cents"], body["handling_notes"]) == (
        12.0, 2, 500, "zerbrechlich")
    assert body["recipient_name"] == "Frau K." and "volume_litres" not in body


def test_a_load_needs_a_description_and_a_weight():
    body, problems = freight.load_body({**LOAD, "description": " ", "weight_kg": "0"}, KNOWN)
    assert body is None and problems.fields() == {"description", "weight_kg"}


def test_the_hand_over_code_is_read_off_the_slip_only_once_agreed():
    assert freight.code_on_slip('<h2>Übergabe-Code</h2>\n  <div class="code">482 913</div>') == "482 913"
    assert freight.code_on_slip('<p class="no-code">Noch keine vereinbarte Fahrt</p>') is None


def test_my_side_of_a_match_and_whether_i_answered():
    match = {"match_id": "m-1", "trip_participant_id": "a", "load_participant_id": "b",
             "accepted_by": ["LOAD_PROVIDER"]}
    assert freight.my_side(match, "a") == "TRIP_PROVIDER" and freight.my_side(match, "b") == "LOAD_PROVIDER"
    assert freight.my_side(match, "c") is None
    assert freight.answered(match, "LOAD_PROVIDER") and not freight.answered(match, "TRIP_PROVIDER")


def test_proposals_are_collected_once_from_my_loads_and_trips():
    mine = {"loads": [{"load_id": "l-1", "match": {"match_id": "m-1", "status": "PROPOSED"}}, {"load_id": "l-2"}],
            "trips": [{"trip_id": "t-1", "matches": [{"match_id": "m-1", "status": "PROPOSED"},
                                                     {"match_id": "m-2", "status": "AGREED"}]}]}
    found = freight.proposals(mine)
    assert [m["match_id"] for m in found] == ["m-1", "m-2"]
    assert found[0]["load"]["load_id"] == "l-1" and found[1]["trip"]["trip_id"] == "t-1"


def test_labels_and_numbers_for_people():
    assert freight.status_label("AGREED") == ("vereinbart", "agreed")
    assert freight.money(1250) == "12,50 €" and freight.money(None) == "–"
    assert freight.kilograms(12500) == "12,5 kg" and freight.kilometres(2.94) == "2,9 km"
    assert freight.span({"start": "2026-12-08T06:00:00+00:00", "end": "2026-12-08T07:30:00+00:00"}) == \
        "08.12.2026 07:00–08:30"
    assert freight.local_time(None) == "–"
