"""The shop's forms turned into catalog API bodies, and the import report."""

from __future__ import annotations

import pytest

from services.web.domain.shop_forms import (FormError, contact_body, euros, hours_body, hours_form, import_result,
                                            price_cents, product_body, product_changes, safe_filename, stock_body)


@pytest.mark.parametrize("typed, cents", [("2,49", 249), ("2.49", 249), ("2,49 €", 249), ("3", 300), ("0,5", 50),
                                          (" 12,90 EUR ", 1290)])
def test_prices_are_read_with_comma_or_point(typed, cents):
    assert price_cents(typed) == cents


@pytest.mark.parametrize("typed", ["", "abc", "2,499", "-1", "0", "0,00"])
def test_a_price_that_cannot_be_read_is_refused_in_both_languages(typed):
    with pytest.raises(FormError) as caught:
        price_cents(typed)
    assert caught.value.german and caught.value.english


def test_euros_shows_cents_as_the_form_takes_them():
    assert euros(249) == "2,49" and euros(300) == "3,00" and euros(5) == "0,05"


def test_the_add_form_becomes_the_listing_body():
    body = product_body({"name": " Brot ", "unit": "1 kg", "price": "3,49", "vat_rate_bp": "700", "stock": "5",
                         "weight_g": "1000", "volume_ml": "2000", "category": "BREAD_BAKERY",
                         "temperature_class": "AMBIENT", "description": ""})
    assert body == {"name": "Brot", "unit": "1 kg", "price_cents": 349, "vat_rate_bp": 700, "stock": 5,
                    "weight_g": 1000, "volume_ml": 2000, "category": "BREAD_BAKERY", "temperature_class": "AMBIENT"}


def test_the_add_form_needs_name_unit_and_whole_numbers():
    with pytest.raises(FormError):
        product_body({"name": "", "unit": "1 kg", "price": "1", "weight_g": "1", "volume_ml": "1"})
    with pytest.raises(FormError):
        product_body({"name": "Brot", "unit": "1 kg", "price": "1", "weight_g": "1,5", "volume_ml": "1"})


def test_only_changed_fields_are_patched():
    current = {"name": "Brot", "unit": "1 kg", "description": None, "price": {"amount_cents": 349}}
    assert product_changes({"name": "Brot", "unit": "1 kg", "price": "3,49", "description": ""}, current) == {}
    assert product_changes({"name": "Brot", "unit": "1 kg", "price": "3,99", "description": "frisch"}, current) == {
        "price_cents": 399, "description": "frisch"}


def test_stock_is_a_counted_level_or_a_change():
    assert stock_body({"mode": "level", "amount": "12"}) == {"level": 12, "reason": "COUNTED"}
    assert stock_body({"mode": "delta", "amount": "-3"}) == {"delta": -3, "reason": "SOLD_IN_SHOP"}
    assert stock_body({"mode": "delta", "amount": "4", "reason": "OTHER"}) == {"delta": 4, "reason": "OTHER"}
    with pytest.raises(FormError):
        stock_body({"mode": "delta", "amount": "0"})
    with pytest.raises(FormError):
        stock_body({"mode": "level", "amount": "-1"})


def test_opening_hours_go_to_the_form_and_back():
    hours = {"intervals": [{"weekday": "MONDAY", "opens": "08:00", "closes": "12:30"},
                           {"weekday": "MONDAY", "opens": "14:00:00", "closes": "18:00"},
                           {"weekday": "SATURDAY", "opens": "08:00", "closes": "12:00"}],
             "closed_on": ["2026-12-24"], "note": "Mittwochs zu"}
    form = hours_form(hours)
    assert form["MONDAY_2_opens"] == "14:00" and form["SATURDAY_1_closes"] == "12:00"
    assert form["closed_on"] == "2026-12-24" and form["note"] == "Mittwochs zu"
    assert hours_body(form) == {"intervals": [{"weekday": "MONDAY", "opens": "08:00", "closes": "12:30"},
                                              {"weekday": "MONDAY", "opens": "14:00", "closes": "18:00"},
                                              {"weekday": "SATURDAY", "opens": "08:00", "closes": "12:00"}],
                                "closed_on": ["2026-12-24"], "note": "Mittwochs zu"}


@pytest.mark.parametrize("form", [{"TUESDAY_1_opens": "18:00", "TUESDAY_1_closes": "09:00"},
                                  {"TUESDAY_1_opens": "08:00"}, {"closed_on": "24.12.2026"}])
def test_wrong_hours_are_refused_naming_the_day(form):
    with pytest.raises(FormError) as caught:
        hours_body(form)
    assert "Dienstag" in caught.value.german or "JJJJ" in caught.value.german


def test_contact_fields_left_empty_are_none():
    assert contact_body({"contact_person": " Anna ", "contact_phone": "", "contact_email": "a@b.de"}) == {
        "person": "Anna", "phone": None, "email": "a@b.de"}


def test_the_import_report_lists_every_bad_row_by_line():
    result = import_result({"imported": [{"line": 2, "name": "Apfel"}, {"line": 3, "name": "Birne"}],
                            "rejected": [{"line": 7, "reason": "b"}, {"line": 4, "reason": "a"}],
                            "ignored_columns": ["Farbe"]})
    assert result.taken == 2 and [r["line"] for r in result.rejected] == [4, 7]
    assert result.ignored_columns == ["Farbe"] and result.names == ["Apfel", "Birne"]
    assert import_result(None).taken == 0


def test_the_download_name_is_plain_ascii():
    assert safe_filename("shop-a") == "produkte-shop-a.csv"
    assert safe_filename('x"; evil') == "produkte-x___evil.csv"
