"""Pick-up point descriptions: event and read-model round trips, checks, opening days;
and the resident's notice."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, time, timezone

from nahnetz.events import new_event, read_event
from nahnetz.records import NotificationRequested, PickupPointRegistered, PickupPointUpdated
from services.pickup.domain.notices import code_locked, parcel_ready
from services.pickup.domain.points import (
    Compartment, OpeningHours, OpeningInterval, PickupPoint, description_problems,
)


def counter() -> PickupPoint:
    return PickupPoint(
        pickup_point_id="pp-ottbergen-laden", name="Dorfladen Ottbergen", kind="COUNTER", lat=51.722, lon=9.3,
        municipality="Höxter", street="Hauptstraße 3", postal_code="37671", locality="Ottbergen",
        compartments=(Compartment("R1", 90_000, "AMBIENT", "L", "Regal 1"), Compartment("K1", 30_000, "CHILLED")),
        opening_hours=OpeningHours((OpeningInterval("MONDAY", time(8), time(12, 30)),
                                    OpeningInterval("SATURDAY", time(8), time(12))),
                                   closed_on=(date(2026, 5, 16),), note="Mittwoch geschlossen"),
        host_shop_id="shop-ottbergen", hold_days=2, access_note="an der Kasse",
    )


def test_a_point_survives_the_event_and_the_read_model():
    point = counter()
    event = read_event(new_event(PickupPointRegistered, producer="test", **point.event_fields()).encode())
    assert PickupPoint.from_event(event) == point
    assert PickupPoint.from_json(point.to_json()) == point
    withdrawn = new_event(PickupPointUpdated, producer="test", in_service=False, **point.event_fields())
    assert PickupPoint.from_event(withdrawn).in_service is False


def test_doors_are_the_labels_people_see():
    assert counter().doors(["R1", "K1", "X9"]) == ["Regal 1", "K1", "X9"]


def test_a_counter_takes_orders_on_its_opening_days_only():
    point = counter()
    assert point.takes_orders_on(date(2026, 5, 4))       # a Monday
    assert not point.takes_orders_on(date(2026, 5, 6))   # a Wednesday
    assert not point.takes_orders_on(date(2026, 5, 16))  # a Saturday, closed for once
    locker = PickupPoint("pp-1", "Locker", "LOCKER", 51.7, 9.3, "Höxter", (Compartment("A", 1000),))
    assert locker.takes_orders_on(date(2026, 5, 6))


def test_description_problems_name_what_is_wrong():
    bad = PickupPoint("pp-1", "x", "LOCKER", 91.0, 9.3, "Höxter",
                      (Compartment("A", 0), Compartment("A", 10, "WARM")), hold_days=0)
    problems = " | ".join(description_problems(bad))
    for expected in ("appears twice", "positive volume", "unknown temperature class", "the location", "hold_days"):
        assert expected in problems
    assert description_problems(counter()) == []
    # Valid WGS84, but beyond what the GEO index holds: refused before it is half stored.
    polar = PickupPoint("pp-1", "x", "LOCKER", 88.0, 9.3, "Höxter", (Compartment("A", 10),))
    assert ["the location must lie within latitude ±85.05112878 and longitude ±180.0"] == description_problems(polar)
    assert "at least one compartment" in description_problems(
        PickupPoint("pp-1", "x", "LOCKER", 51.0, 9.0, "Höxter", ()))[0]


def test_the_parcel_ready_notice_tells_code_place_and_deadline_in_berlin_time():
    notice = parcel_ready(deposit_id="d-1", order_id="o-1", resident_id="r-1", pin="012345",
                          qr_payload="NAHNETZ1:o-1:tok", point_name="Pick-up-Point HX Brakel",
                          point_address="Am Markt 1, 33034 Brakel", access_note=None, doors=["A3"],
                          collect_by=datetime(2026, 5, 7, 16, 0, tzinfo=timezone.utc), counter=False)
    assert notice.recipient_id == "r-1" and notice.template == "parcel-ready"
    assert notice.params["pin"] == "012345" and "012345" in notice.params["text_de"]
    assert "Do, 07.05.2026, 18:00 Uhr" in notice.params["text_de"]  # CEST
    assert "Thu 07 May 2026, 18:00" in notice.params["text_en"]
    assert "A3" in notice.params["text_de"] and "Brakel" in notice.params["text_en"]
    assert notice.notification_id == "parcel-ready:o-1:d-1"
    # The notice's fields are those of the event.
    event = new_event(NotificationRequested, producer="test", **asdict(notice))
    assert event.params["qr_payload"] == "NAHNETZ1:o-1:tok" and event.recipient_role == "RESIDENT"


def test_the_lock_alert_goes_to_an_operator():
    notice = code_locked(lock_id="l-1", operator_id="operator-desk", order_id="o-1", pickup_point_id="pp-1",
                         point_name="Locker", failed_attempts=5)
    assert (notice.recipient_id, notice.recipient_role) == ("operator-desk", "OPERATOR")
    assert "5" in notice.params["text_de"] and "locked" in notice.params["text_en"]
