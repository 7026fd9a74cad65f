"""The shop's forms as the catalog API wants them: prices typed with a decimal comma,
stock as a counted level or a change, opening hours as two intervals per weekday,
and the catalog's answers (an import report) as lines a shop can act on.

    price_cents("2,49 €")                  -> 249
    product_body({"name": "Brot", ...})    -> the body of POST /v1/shops/{id}/products
    hours_form(profile["opening_hours"])   -> {"MONDAY_1_opens": "07:00", ...}
    hours_body(form)                       -> {"intervals": [...], "closed_on": [...], "note": ...}
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
WEEKDAY_NAMES = {
    "MONDAY": ("Montag", "Monday"), "TUESDAY": ("Dienstag", "Tuesday"), "WEDNESDAY": ("Mittwoch", "Wednesday"),
    "THURSDAY": ("Donnerstag", "Thursday"), "FRIDAY": ("Freitag", "Friday"), "SATURDAY": ("Samstag", "Saturday"),
    "SUNDAY": ("Sonntag", "Sunday"),
}
SLOTS = (1, 2)  # intervals per weekday on the form (e.g. morning and afternoon)
VAT_RATES = {0: ("0 %", "0 %"), 700: ("7 % (Lebensmittel)", "7 % (food)"), 1900: ("19 %", "19 %")}
TEMPERATURES = {"AMBIENT": ("ungekühlt", "ambient"), "CHILLED": ("gekühlt", "chilled"),
                "FROZEN": ("tiefgekühlt", "frozen")}
CATEGORIES = {
    "FRUIT_VEGETABLES": ("Obst & Gemüse", "Fruit & vegetables"), "BREAD_BAKERY": ("Brot & Backwaren", "Bread & bakery"),
    "DAIRY_EGGS": ("Milch & Eier", "Dairy & eggs"), "MEAT_SAUSAGE": ("Fleisch & Wurst", "Meat & sausage"),
    "FISH": ("Fisch", "Fish"), "FROZEN": ("Tiefkühlkost", "Frozen food"), "PANTRY": ("Vorrat", "Pantry"),
    "BEVERAGES": ("Getränke", "Beverages"), "SWEETS_SNACKS": ("Süßwaren", "Sweets & snacks"),
    "HOUSEHOLD": ("Haushalt", "Household"), "DRUGSTORE": ("Drogerie", "Drugstore"),
    "PLANTS_FLOWERS": ("Pflanzen & Blumen", "Plants & flowers"), "OTHER": ("Sonstiges", "Other"),
}
STOCK_REASONS = {"COUNTED": ("gezählt", "counted"), "RESTOCKED": ("nachgefüllt", "restocked"),
                 "SOLD_IN_SHOP": ("im Laden verkauft", "sold in the shop"), "SPOILED": ("verdorben", "spoiled"),
                 "DAMAGED": ("beschädigt", "damaged"), "CORRECTION": ("Korrektur", "correction"),
                 "OTHER": ("anderes", "other")}
_PRICE = re.compile(r"^\s*(\d{1,6})(?:[.,](\d{1,2}))?\s*(?:€|eur|euro)?\s*$", re.IGNORECASE)
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?::\d\d)?$")


class FormError(ValueError):
    """A field as typed cannot be sent; `german`/`english` say which and why."""

    def __init__(self, german: str, english: str):
        super().__init__(english)
        self.german, self.english = german, english


def price_cents(text: str) -> int:
    """'2,49', '2.49', '2,49 €', '3' -> cents."""
    found = _PRICE.match(text or "")
    if not found:
        raise FormError(f"Preis „{text}“ verstehe ich nicht (z. B. 2,49).", f"Cannot read the price '{text}' (e.g. 2.49).")
    euros, cents = found.group(1), (found.group(2) or "0").ljust(2, "0")
    value = int(euros) * 100 + int(cents)
    if value <= 0:
        raise FormError("Der Preis muss größer als 0 sein.", "The price must be more than 0.")
    return value


def euros(cents: int) -> str:
    """249 -> '2,49' (as the form shows it again)."""
    return f"{cents // 100},{cents % 100:02d}"


def whole(text: str | None, german: str, english: str, *, signed: bool = False) -> int:
    value = (text or "").strip().replace(" ", "")
    if not re.fullmatch(r"-?\d{1,7}" if signed else r"\d{1,7}", value):
        raise FormError(f"{german}: bitte eine ganze Zahl.", f"{english}: please a whole number.")
    return int(value)


def product_body(form: Mapping[str, str]) -> dict[str, Any]:
    """POST /v1/shops/{id}/products from the add form."""
    body: dict[str, Any] = {
        "name": (form.get("name") or "").strip(), "unit": (form.get("unit") or "").strip(),
        "price_cents": price_cents(form.get("price", "")),
        "vat_rate_bp": whole(form.get("vat_rate_bp") or "700", "MwSt", "VAT"),
        "stock": whole(form.get("stock") or "0", "Bestand", "Stock"),
        "weight_g": whole(form.get("weight_g"), "Gewicht (g)", "Weight (g)"),
        "volume_ml": whole(form.get("volume_ml"), "Volumen (ml)", "Volume (ml)"),
        "category": form.get("category") or "OTHER",
        "temperature_class": form.get("temperature_class") or "AMBIENT",
    }
    if not body["name"] or not body["unit"]:
        raise FormError("Name und Einheit sind nötig.", "Name and unit are required.")
    if description := (form.get("description") or "").strip():
        body["description"] = description
    return body


def product_changes(form: Mapping[str, str], current: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """PATCH /v1/products/{id}: the fields the edit form changed (all given ones if `current` is None)."""
    given: dict[str, Any] = {}
    if (name := (form.get("name") or "").strip()):
        given["name"] = name
    if (unit := (form.get("unit") or "").strip()):
        given["unit"] = unit
    if (price := (form.get("price") or "").strip()):
        given["price_cents"] = price_cents(price)
    if "description" in form:
        given["description"] = (form.get("description") or "").strip() or None
    if current is None:
        return given
    was = {"name": current.get("name"), "unit": current.get("unit"), "description": current.get("description"),
           "price_cents": (current.get("price") or {}).get("amount_cents")}
    return {k: v for k, v in given.items() if was.get(k) != v}


def stock_body(form: Mapping[str, str]) -> dict[str, Any]:
    """POST /v1/products/{id}/stock: `mode` "level" (counted) or "delta" (change by units)."""
    mode = form.get("mode") or "level"
    reason = form.get("reason") or None
    if mode == "delta":
        delta = whole(form.get("amount"), "Änderung", "Change", signed=True)
        if delta == 0:
            raise FormError("Eine Änderung um 0 ändert nichts.", "A change of 0 changes nothing.")
        return {"delta": delta, "reason": reason or ("RESTOCKED" if delta > 0 else "SOLD_IN_SHOP")}
    return {"level": whole(form.get("amount"), "Bestand", "Stock"), "reason": reason or "COUNTED"}


def _hhmm(value: Any) -> str:
    text = str(value or "")
    return text[:5] if len(text) >= 5 else text


def hours_form(opening_hours: Mapping[str, Any] | None) -> dict[str, str]:
    """The form's fields from a profile's opening hours: `<WEEKDAY>_<slot>_opens/closes`."""
    fields: dict[str, str] = {}
    seen: dict[str, int] = {}
    for interval in (opening_hours or {}).get("intervals") or ():
        day = interval.get("weekday")
        slot = seen.get(day, 0) + 1
        if day not in WEEKDAYS or slot > len(SLOTS):
            continue
        seen[day] = slot
        fields[f"{day}_{slot}_opens"] = _hhmm(interval.get("opens"))
        fields[f"{day}_{slot}_closes"] = _hhmm(interval.get("closes"))
    fields["note"] = (opening_hours or {}).get("note") or ""
    fields["closed_on"] = " ".join((opening_hours or {}).get("closed_on") or ())
    return fields


def hours_body(form: Mapping[str, str]) -> dict[str, Any]:
    """The opening hours of PATCH /v1/shops/{id} from the form; a slot counts when both times are given."""
    intervals = []
    for day in WEEKDAYS:
        german_day, english_day = WEEKDAY_NAMES[day]
        for slot in SLOTS:
            opens = (form.get(f"{day}_{slot}_opens") or "").strip()
            closes = (form.get(f"{day}_{slot}_closes") or "").strip()
            if not opens and not closes:
                continue
            if not (_TIME.match(opens) and _TIME.match(closes)):
                raise FormError(f"{german_day}: bitte Öffnungs- und Schlusszeit angeben (z. B. 07:00 und 18:00).",
                                f"{english_day}: please give opening and closing time (e.g. 07:00 and 18:00).")
            if opens[:5].zfill(5) >= closes[:5].zfill(5):
                raise FormError(f"{german_day}: die Schlusszeit muss nach der Öffnungszeit liegen.",
                                f"{english_day}: closing must come after opening.")
            intervals.append({"weekday": day, "opens": opens[:5].zfill(5), "closes": closes[:5].zfill(5)})
    closed_on = [d for d in re.split(r"[\s,;]+", form.get("closed_on") or "") if d]
    for day in closed_on:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
            raise FormError(f"Geschlossene Tage bitte als JJJJ-MM-TT angeben, nicht „{day}“.",
                            f"Closed days as YYYY-MM-DD please, not '{day}'.")
    return {"intervals": intervals, "closed_on": closed_on, "note": (form.get("note") or "").strip() or None}


def contact_body(form: Mapping[str, str]) -> dict[str, Any]:
    return {key: (form.get(f"contact_{key}") or "").strip() or None for key in ("person", "phone", "email")}


@dataclass(frozen=True)
class ImportResult:
    """What the shop sees after an upload: rows taken, every bad row with its line."""

    taken: int
    rejected: list[dict[str, Any]]
    ignored_columns: list[str]
    names: list[str]


def import_result(report: Mapping[str, Any] | None) -> ImportResult:
    """From the catalog's import report (202) or the `detail` of its 422."""
    report = report or {}
    imported = list(report.get("imported") or ())
    rejected = sorted((dict(r) for r in report.get("rejected") or ()), key=lambda r: r.get("line") or 0)
    return ImportResult(len(imported), rejected, list(report.get("ignored_columns") or ()),
                        [str(i.get("name")) for i in imported if i.get("name")])


def safe_filename(shop_id: str) -> str:
    """The download's name: ASCII letters, digits, - and _ only."""
    return "produkte-" + "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in shop_id) + ".csv"
