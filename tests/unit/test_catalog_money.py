"""Amounts as shops write them: prices, VAT rates, weights, volumes, stock units."""

from __future__ import annotations

import pytest

from services.catalog.domain.money import (AmountError, format_euro, parse_decimal, parse_price_cents,
                                           parse_units, parse_vat_rate_bp, parse_volume_ml, parse_weight_g)


@pytest.mark.parametrize("text", ["2,49", "2.49", "2,49 €", "2,49€", "€ 2,49", "EUR 2.49", " 2,49 EUR ",
                                  "2,490", "2.49 Euro"])
def test_every_way_of_writing_two_euros_forty_nine_is_249_cents(text):
    assert parse_price_cents(text) == 249


@pytest.mark.parametrize("text, cents", [("1.234,56", 123456), ("1,234.56", 123456), ("3", 300),
                                         ("0,5", 50), ("12.00", 1200), ("1 234,50", 123450)])
def test_thousands_separators_and_whole_euros(text, cents):
    assert parse_price_cents(text) == cents


@pytest.mark.parametrize("text, says", [
    ("1.234", "Nachkommastellen"),   # a German thousands point or a typo: never guessed
    ("2,499", "Nachkommastellen"),
    ("0", "größer als 0"),
    ("-1,00", "größer als 0"),
    ("abc", "keine Zahl"),
    ("", "fehlt"),
    ("2,4,9", "keine Zahl"),
    ("999999,99", "unplausibel"),
])
def test_prices_that_are_not_prices_say_why(text, says):
    with pytest.raises(AmountError, match=says):
        parse_price_cents(text)


@pytest.mark.parametrize("text, bp", [("7", 700), ("7 %", 700), ("7,0%", 700), ("19", 1900), ("19.0 %", 1900),
                                      ("0", 0), ("0.07", 700), ("0,19", 1900)])
def test_vat_rates_become_basis_points(text, bp):
    assert parse_vat_rate_bp(text) == bp


@pytest.mark.parametrize("text", ["8", "16", "7,5", "x", "-7"])
def test_vat_rates_outside_the_german_ones_are_refused(text):
    with pytest.raises(AmountError):
        parse_vat_rate_bp(text)


@pytest.mark.parametrize("text, grams", [("250", 250), ("250 g", 250), ("250g", 250), ("1,5 kg", 1500),
                                         ("1.5kg", 1500), ("2 Kilo", 2000)])
def test_weights_in_grams(text, grams):
    assert parse_weight_g(text) == grams


@pytest.mark.parametrize("text, ml", [("500", 500), ("500 ml", 500), ("0,75 l", 750), ("1 Liter", 1000),
                                      ("33 cl", 330)])
def test_volumes_in_millilitres(text, ml):
    assert parse_volume_ml(text) == ml


@pytest.mark.parametrize("parse, text", [(parse_weight_g, "2 Pfund"), (parse_weight_g, "0"),
                                         (parse_volume_ml, "1 Fass"), (parse_volume_ml, "-1 l")])
def test_unknown_units_and_empty_amounts_are_refused(parse, text):
    with pytest.raises(AmountError):
        parse(text)


def test_stock_is_whole_units_and_not_negative():
    assert parse_units("12") == 12
    assert parse_units("12,0") == 12
    with pytest.raises(AmountError, match="ganze Zahl"):
        parse_units("1,5")
    with pytest.raises(AmountError, match="negativ"):
        parse_units("-3")


def test_decimals_keep_their_exact_value():
    assert str(parse_decimal("0,1")) == "0.1"


def test_euros_are_shown_the_german_way():
    assert format_euro(249) == "2,49 €"
    assert format_euro(123456) == "1.234,56 €"
    assert format_euro(5) == "0,05 €"
    assert format_euro(-150) == "-1,50 €"
