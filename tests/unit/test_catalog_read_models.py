"""The catalog's read models at the edges: how a typed shop event becomes the
stored document, how instants are stored and shown, what a search may ask, and
that a profile change carries whole values into the event."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timezone

import pytest

from nahnetz.events import new_event
from nahnetz.kit.errors import Unprocessable
from nahnetz.records import ShopUpdated
from services.catalog.handlers.shop_projection import profile
from services.catalog.http_models import UpdateShop
from services.catalog.queries import berlin_time, document, instant, open_now, search_query

LIMITS = {"max_radius_km": 100.0, "max_results": 100}


PROFILE = {"name": "Hofladen Meier", "kind": "FARM", "municipality": "Brakel",
           "address": {"street": "Hauptstraße 1", "postal_code": "33034", "locality": "Brakel", "country": "DE"},
           "location": {"lat": 51.717, "lon": 9.183},
           "opening_hours": {"intervals": [{"weekday": "MONDAY", "opens": time(8), "closes": time(12, 30)}],
                             "closed_on": [date(2026, 12, 24)], "note": None},
           "contact": {"person": "Maria Meier", "phone": None, "email": None}}


def shop_updated(**changes) -> ShopUpdated:
    return new_event(ShopUpdated, producer="catalog-api", shop_id="hof-meier", **{**PROFILE, **changes})


def test_a_shop_event_is_stored_as_plain_json_with_times_of_day_and_iso_days():
    stored = json.loads(document(profile(shop_updated())))
    assert stored["kind"] == "FARM"
    assert stored["address"] == {"street": "Hauptstraße 1", "postal_code": "33034", "locality": "Brakel",
                                 "country": "DE"}
    assert stored["opening_hours"] == {"intervals": [{"weekday": "MONDAY", "opens": "08:00", "closes": "12:30"}],
                                       "closed_on": ["2026-12-24"], "note": None}
    assert stored["location"] == {"lat": 51.717, "lon": 9.183}
    assert stored["contact"]["person"] == "Maria Meier" and stored["accepts_phone_listing"] is False


def test_the_stored_document_says_when_the_shop_is_open():
    doc = {**json.loads(document(profile(shop_updated()))), "status": "OPEN"}
    assert open_now(doc, datetime(2026, 6, 1, 6, 30, tzinfo=timezone.utc))       # Monday 08:30 in Berlin
    assert not open_now(doc, datetime(2026, 6, 2, 6, 30, tzinfo=timezone.utc))   # Tuesday
    assert not open_now({**doc, "status": "CLOSED"}, datetime(2026, 6, 1, 6, 30, tzinfo=timezone.utc))


def test_instants_are_stored_in_utc_and_shown_in_berlin():
    stored = instant(datetime(2026, 6, 1, 8, 30, tzinfo=timezone.utc))
    assert stored == "2026-06-01T08:30:00Z"
    assert berlin_time(stored) == "2026-06-01T10:30:00+02:00"
    assert berlin_time(None) is None


def test_a_search_near_a_point_gets_a_default_radius_and_a_category_by_its_name():
    query = search_query(text="käse", category="Milch & Eier", lat=51.7, lon=9.2, **LIMITS)
    assert (query.category, query.radius_km, query.near) == ("DAIRY_EGGS", 10.0, True)
    assert query.as_body() == {"q": "käse", "category": "DAIRY_EGGS", "municipality": None, "lat": 51.7,
                               "lon": 9.2, "radius_km": 10.0, "limit": 20}
    assert search_query(text="brot", **LIMITS).radius_km is None


@pytest.mark.parametrize("asked, says", [
    ({"lat": 51.7}, "both lat and lon"), ({"radius_km": 5}, "needs a point"),
    ({"lat": 51.7, "lon": 9.2, "radius_km": 101}, "at most 100"), ({"limit": 101}, "at most 100"),
    ({"category": "Autoteile"}, "Kategorie"),
])
def test_a_search_that_does_not_fit_is_refused_naming_the_parameter(asked, says):
    with pytest.raises(Unprocessable, match=says):
        search_query(**asked, **LIMITS)


def test_a_profile_change_carries_whole_values_into_the_event():
    changes = UpdateShop.model_validate({"address": {"street": "Markt 3", "postal_code": "37671",
                                                     "locality": "Höxter"},
                                         "contact": {"phone": "+49 5271 1234"}}).changes()
    assert changes["address"]["country"] == "DE"
    assert changes["contact"] == {"person": None, "phone": "+49 5271 1234", "email": None}
    event = shop_updated(changed=["address", "contact"], **changes)
    assert event.address.locality == "Höxter" and event.contact.phone == "+49 5271 1234"
