"""Amounts as people write them, turned into integers: cents, basis points,
grams and millilitres. "2,49", "2.49", "2,49 €" and "EUR 2.49" are all 249 cents.

German writing uses a decimal comma and a thousands point ("1.234,50"), English
the other way round ("1,234.50"). When both appear, the last one is the decimal
separator. A single separator is always read as the decimal one, so "1.234"
has three decimals and is refused as a price rather than guessed at.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_CURRENCY = re.compile(r"(€|eur(o)?|euro)", re.IGNORECASE)
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
VAT_RATES_BP = frozenset({0, 700, 1900})  # German rates: zero, reduced, standard
MAX_PRICE_CENTS = 100_000_00  # 100,000 €: more is a typing error in a village shop


class AmountError(ValueError):
    """A text that is not the amount it should be; the message says why, for people."""


def parse_decimal(text: str, what: str = "Zahl") -> Decimal:
    """'1.234,5' / '1,234.5' / '2,49' / '2.49' -> Decimal (no unit, no currency)."""
    cleaned = str(text).strip().replace("\u00a0", "").replace(" ", "").replace("'", "")
    if not cleaned:
        raise AmountError(f"{what} fehlt (missing)")
    comma, point = cleaned.rfind(","), cleaned.rfind(".")
    if comma >= 0 and point >= 0:
        decimal_sep = "," if comma > point else "."
        thousands = "." if decimal_sep == "," else ","
        cleaned = cleaned.replace(thousands, "")
        cleaned = cleaned.replace(decimal_sep, ".")
    elif comma >= 0:
        if cleaned.count(",") > 1:
            raise AmountError(f"{what} {text!r} ist keine Zahl (not a number)")
        cleaned = cleaned.replace(",", ".")
    if not _NUMBER.match(cleaned):
        raise AmountError(f"{what} {text!r} ist keine Zahl (not a number)")
    try:
        return Decimal(cleaned)
    except InvalidOperation:  # pragma: no cover - the pattern above already excludes it
        raise AmountError(f"{what} {text!r} ist keine Zahl (not a number)") from None


def parse_price_cents(text: str) -> int:
    """A gross unit price in euros ('2,49 €') -> cents (249). Must be positive."""
    stripped = _CURRENCY.sub("", str(text)).strip()
    amount = parse_decimal(stripped, "Preis")
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(Decimal("0.01")):
        raise AmountError(f"Preis {text!r} hat mehr als zwei Nachkommastellen (more than two decimals)")
    cents = int(amount * 100)
    if cents <= 0:
        raise AmountError(f"Preis {text!r} muss größer als 0 sein (must be positive)")
    if cents > MAX_PRICE_CENTS:
        raise AmountError(f"Preis {text!r} ist unplausibel hoch (implausibly high)")
    return cents


def parse_vat_rate_bp(text: str) -> int:
    """A German VAT rate ('7', '7 %', '19,0%', '0.07') -> basis points (700)."""
    stripped = str(text).replace("%", "").strip()
    rate = parse_decimal(stripped, "MwSt")
    if Decimal(0) < rate < 1:  # written as a fraction: 0.07
        rate *= 100
    bp = int(rate * 100)
    if bp != rate * 100 or bp not in VAT_RATES_BP:
        raise AmountError(f"MwSt {text!r} ist kein deutscher Satz (0, 7 or 19 %)")
    return bp


_MASS_UNITS = {"g": 1, "gr": 1, "gramm": 1, "kg": 1000, "kilo": 1000, "kilogramm": 1000}
_VOLUME_UNITS = {"ml": 1, "cl": 10, "l": 1000, "liter": 1000, "ltr": 1000}
_WITH_UNIT = re.compile(r"^\s*([0-9.,\s]+?)\s*([a-zA-Z]*)\s*$")


def _measure(text: str, units: dict[str, int], what: str, default_unit: str) -> int:
    match = _WITH_UNIT.match(str(text))
    if not match:
        raise AmountError(f"{what} {text!r} ist keine Menge (not an amount)")
    number, unit = match.group(1), (match.group(2) or default_unit).lower()
    if unit not in units:
        raise AmountError(f"{what} {text!r}: unbekannte Einheit {unit!r} (unknown unit; use {', '.join(units)})")
    # Rounded first: "0,4 g" is 0 whole grams, and a parcel of nothing is no parcel.
    value = int((parse_decimal(number, what) * units[unit]).to_integral_value())
    if value <= 0:
        raise AmountError(f"{what} {text!r} muss mindestens 1 {default_unit} sein (must be at least 1 {default_unit})")
    return value


def parse_weight_g(text: str) -> int:
    """'250', '250 g', '1,5 kg' -> grams."""
    return _measure(text, _MASS_UNITS, "Gewicht", "g")


def parse_volume_ml(text: str) -> int:
    """'500', '500 ml', '0,75 l' -> millilitres."""
    return _measure(text, _VOLUME_UNITS, "Volumen", "ml")


def parse_units(text: str, what: str = "Bestand") -> int:
    """A whole number of sale units, zero or more ('12', '12,0')."""
    value = parse_decimal(text, what)
    if value != value.to_integral_value():
        raise AmountError(f"{what} {text!r} muss eine ganze Zahl sein (whole units)")
    if value < 0:
        raise AmountError(f"{what} {text!r} darf nicht negativ sein (must not be negative)")
    return int(value)


def format_euro(cents: int) -> str:
    """249 -> '2,49 €' (German notation, as shown to residents)."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    return f"{sign}{euros:,}".replace(",", ".") + f",{rest:02d} €"
