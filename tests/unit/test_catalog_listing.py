"""Listings and shop profiles: the words for shelves and cold chain, the rules a
listing keeps, what changed, and opening hours in Europe/Berlin."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timezone

import pytest

from services.catalog.domain.products import ListingError, ProductDraft, changed_fields
from services.catalog.domain.shops import (OpeningInterval, ProfileError, changed_fields as changed_profile,
                                           check_opening_hours, is_open)
from services.catalog.domain.vocabulary import UnknownWord, parse_category, parse_temperature

CHEESE = ProductDraft(name="Bergkäse", unit="200 g", price_cents=449, vat_rate_bp=700, weight_g=200,
                      volume_ml=250, category="DAIRY_EGGS", temperature_class="CHILLED")


@pytest.mark.parametrize("word, symbol", [
    ("Milch & Eier", "DAIRY_EGGS"), ("milch und eier", "DAIRY_EGGS"), ("dairy", "DAIRY_EGGS"),
    ("DAIRY_EGGS", "DAIRY_EGGS"), ("Obst/Gemüse", "FRUIT_VEGETABLES"), ("Obst & Gemuese", "FRUIT_VEGETABLES"),
    ("Getränke", "BEVERAGES"), ("Getraenke", "BEVERAGES"), ("Tiefkühlkost", "FROZEN"), ("Süßwaren", "SWEETS_SNACKS"),
    ("fruit and vegetables", "FRUIT_VEGETABLES"), ("", "OTHER"), (None, "OTHER"), ("Sonstiges", "OTHER"),
])
def test_categories_in_german_and_english(word, symbol):
    assert parse_category(word) == symbol


@pytest.mark.parametrize("word, symbol", [
    ("ungekühlt", "AMBIENT"), ("Ungekuehlt", "AMBIENT"), ("gekühlt", "CHILLED"), ("tiefgekühlt", "FROZEN"),
    ("TK", "FROZEN"), ("chilled", "CHILLED"), ("frozen", "FROZEN"), ("", "AMBIENT"), (None, "AMBIENT"),
])
def test_temperature_classes_in_german_and_english(word, symbol):
    # "ungekühlt" contains "gekühlt": words are matched whole, never as substrings.
    assert parse_temperature(word) == symbol


def test_unknown_words_are_refused():
    with pytest.raises(UnknownWord, match="Kategorie 'Autoteile'"):
        parse_category("Autoteile")
    with pytest.raises(UnknownWord, match="Temperatur 'lauwarm'"):
        parse_temperature("lauwarm")


def test_a_checked_draft_is_tidied():
    draft = replace(CHEESE, name="  Berg   käse ", unit=" 200  g", description="   ").checked()
    assert (draft.name, draft.unit, draft.description) == ("Berg käse", "200 g", None)


@pytest.mark.parametrize("change, says", [
    ({"name": " "}, "Name fehlt"), ({"name": "x" * 121}, "Name ist länger"), ({"unit": ""}, "Einheit fehlt"),
    ({"price_cents": 0}, "Preis"), ({"vat_rate_bp": 800}, "MwSt"), ({"weight_g": 0}, "Gewicht"),
    ({"volume_ml": -5}, "Volumen"), ({"category": "CARS"}, "Kategorie"), ({"temperature_class": "HOT"}, "Temperatur"),
])
def test_a_draft_breaking_a_rule_names_the_field(change, says):
    with pytest.raises(ListingError, match=says):
        replace(CHEESE, **change).checked()


def test_a_listing_record_carries_money_and_comes_back():
    record = CHEESE.listing_record()
    assert record["price"] == {"amount_cents": 449, "currency": "EUR"} and "price_cents" not in record
    assert ProductDraft.from_record(record) == CHEESE


def test_changed_fields_use_the_names_of_the_event():
    after = replace(CHEESE, price_cents=499, description="würzig")
    assert changed_fields(CHEESE, after) == ["price", "description"]
    assert changed_fields(CHEESE, CHEESE) == []


def test_opening_hours_are_sorted_and_must_not_overlap_or_run_backwards():
    morning = OpeningInterval("MONDAY", time(8), time(12, 30))
    afternoon = OpeningInterval("MONDAY", time(14, 30), time(18))
    saturday = OpeningInterval("SATURDAY", time(8), time(12))
    assert check_opening_hours([saturday, afternoon, morning]) == [morning, afternoon, saturday]
    with pytest.raises(ProfileError, match="überschneiden"):
        check_opening_hours([morning, OpeningInterval("MONDAY", time(12), time(13))])
    with pytest.raises(ProfileError, match="Ende"):
        check_opening_hours([OpeningInterval("TUESDAY", time(18), time(8))])


def test_open_is_judged_in_berlin_time_and_closed_days_win():
    hours = [OpeningInterval("MONDAY", time(8), time(12, 30))]
    # Monday 2026-06-01, 06:30 UTC is 08:30 in Berlin (summer time).
    assert is_open(hours, [], datetime(2026, 6, 1, 6, 30, tzinfo=timezone.utc))
    assert not is_open(hours, [], datetime(2026, 6, 1, 5, 59, tzinfo=timezone.utc))
    assert not is_open(hours, [], datetime(2026, 6, 1, 10, 30, tzinfo=timezone.utc))  # 12:30 local: closes
    assert not is_open(hours, [date(2026, 6, 1)], datetime(2026, 6, 1, 6, 30, tzinfo=timezone.utc))


def test_profile_changes_name_the_fields():
    before = {"name": "Hofladen", "municipality": "Brakel", "accepts_phone_listing": False}
    after = {**before, "name": "Hofladen Meier", "accepts_phone_listing": True}
    assert changed_profile(before, after) == ["name", "accepts_phone_listing"]
