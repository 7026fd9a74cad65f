"""The municipality's figures as the pages show them: the insights API's answers
(`GET /v1/insights/municipalities/{m}`, `/district`, `/kpis`) shaped into cards, chart
series, village rows, the reach map and the monthly report's tables. Nothing here
computes a figure; a suppressed cell ({"value": null, "suppressed": true}) stays
"unterdrückt (< 5)", never 0.

    cards = key_cards(answer, catalogue, "de")
    series(answer, "orders")   -> [Datum("KW 49", 12.0, "12"), ...]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Iterable, Literal, Mapping

from .charts import Datum
from .geo import point
from .language import Language, pick

Period = Literal["day", "week", "month"]
PERIODS: tuple[Period, ...] = ("day", "week", "month")
# The KPIs shown as cards, and over time as charts (bars for counts, a line for shares and times).
CARD_KPIS = ("orders", "order_value", "assisted_share", "confirmation_rate", "collected", "lead_time_ready_p50",
             "compartment_use", "active_shops", "goods_listed", "km_avoided")
TREND_KPIS = (("orders", "bars"), ("order_value", "bars"), ("assisted_share", "line"),
              ("confirmation_rate", "line"), ("collected", "bars"), ("lead_time_ready_p50", "line"),
              ("compartment_use", "line"), ("active_shops", "bars"))
REACH_KPIS = ("reach_1000m", "reach_2000m", "reach_5000m")
REPORT_GROUPS = (("orders", "Bestellungen", "Orders"), ("pickup", "Abholstationen", "Pick-up points"),
                 ("freight", "Frachtbörse", "Freight exchange"), ("trade", "Lokaler Handel", "Local trade"))
UNITS = {"count": ("", ""), "EUR": ("€", "EUR"), "%": ("%", "%"), "h": ("Std.", "h"), "km": ("km", "km"),
         "kg CO₂e": ("kg CO₂e", "kg CO₂e"), "point-days": ("Stationstage", "point-days"),
         "stops": ("Stopps", "stops"), "orders/shop": ("je Laden", "per shop")}
MONTHS_DE = ("Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTH_NAMES_DE = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
                  "November", "Dezember")
MONTH_NAMES_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                  "October", "November", "December")
# Reach map colours (WCAG contrast on the light map): good, middling, poor, no value.
REACH_COLOURS = ((80.0, "#1d5e3a"), (50.0, "#8a4b08"), (0.0, "#8a1c1c"))
NO_VALUE_COLOUR = "#4a5560"
DEFAULT_SPAN = {"day": 29, "week": 7 * 12 - 1, "month": 183}
MAX_DAYS = 366 * 2


class BadInput(ValueError):
    """A form value the page cannot use; its German and English message."""

    def __init__(self, german: str, english: str):
        super().__init__(english)
        self.german, self.english = german, english


# -- numbers and cells --------------------------------------------------------------------------------
def number_text(value: float, language: Language, decimals: int | None = None) -> str:
    """1234.5 -> "1.234,5" (de) or "1,234.5" (en); whole numbers without decimals."""
    if decimals is None:
        decimals = 0 if float(value).is_integer() else (1 if abs(value) >= 10 else 2)
    text = f"{value:,.{decimals}f}"
    if language == "de":
        text = text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    return text


def unit_text(unit: str, language: Language) -> str:
    de, en = UNITS.get(unit, (unit, unit))
    return pick(language, de, en)


def value_text(value: float, unit: str, language: Language) -> str:
    decimals = 2 if unit == "EUR" else None
    text = number_text(value, language, decimals)
    suffix = unit_text(unit, language)
    if unit == "EUR" and language == "en":
        return f"EUR {text}"
    return f"{text} {suffix}".strip()


def suppressed_text(language: Language, threshold: int = 5) -> str:
    return pick(language, f"unterdrückt (< {threshold})", f"suppressed (< {threshold})")


def cell_text(cell: Mapping[str, Any] | None, unit: str, language: Language, threshold: int = 5) -> str:
    """A cell as the reader sees it: its value with unit, "unterdrückt (< 5)", or "–" (no value)."""
    if cell and cell.get("suppressed"):
        return suppressed_text(language, threshold)
    if not cell or cell.get("value") is None:
        return pick(language, "keine Angabe", "no value")
    return value_text(float(cell["value"]), unit, language)


def cell_value(cell: Mapping[str, Any] | None) -> float | None:
    if not cell or cell.get("suppressed") or cell.get("value") is None:
        return None
    return float(cell["value"])


# -- the KPI catalogue ---------------------------------------------------------------------------------
def catalogue_by_id(catalogue: Mapping[str, Any]) -> dict[str, dict]:
    return {k["id"]: k for k in catalogue.get("kpis", [])}


def kpi_name(kpi: Mapping[str, Any] | None, kpi_id: str, language: Language) -> str:
    if not kpi:
        return kpi_id
    return kpi["name"]["en" if language == "en" else "de"]


# -- periods -------------------------------------------------------------------------------------------
def period_label(start: date | str, period: str, language: Language) -> str:
    day = date.fromisoformat(start) if isinstance(start, str) else start
    if period == "week":
        return pick(language, f"KW {day.isocalendar().week}", f"W{day.isocalendar().week}")
    if period == "month":
        names = MONTHS_EN if language == "en" else MONTHS_DE
        return f"{names[day.month - 1]} {day.year}"
    return pick(language, f"{day.day:02d}.{day.month:02d}.", f"{day.month:02d}-{day.day:02d}")


def period_span_text(start: str, end: str, language: Language) -> str:
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    if first == last:
        return date_text(first, language)
    return f"{date_text(first, language)} – {date_text(last, language)}"


def date_text(day: date, language: Language) -> str:
    return pick(language, f"{day.day:02d}.{day.month:02d}.{day.year}", day.isoformat())


@dataclass(frozen=True)
class Choice:
    """The range a page shows: `period` and the days from `first` to `last`."""

    period: Period
    first: date
    last: date

    def params(self) -> dict[str, str]:
        return {"period": self.period, "from": self.first.isoformat(), "to": self.last.isoformat()}

    def latest(self) -> "Choice":
        """Only the range's last period (its day, ISO week or month)."""
        if self.period == "week":
            start = self.last - timedelta(days=self.last.weekday())
        elif self.period == "month":
            start = self.last.replace(day=1)
        else:
            start = self.last
        return Choice(self.period, start, self.last)


def chosen_range(period: str | None, first: str | None, last: str | None, today: date) -> Choice:
    """The form's period and days, checked; by default the last weeks up to today."""
    period = period or "week"
    if period not in PERIODS:
        raise BadInput("Bitte Tag, Woche oder Monat wählen.", "Please choose day, week or month.")
    try:
        end = date.fromisoformat(last) if last else today
        start = date.fromisoformat(first) if first else end - timedelta(days=DEFAULT_SPAN[period])
    except ValueError:
        raise BadInput("Bitte ein Datum wie 2026-03-31 angeben.", "Please give a date like 2026-03-31.") from None
    if start > end:
        raise BadInput("Der Beginn liegt nach dem Ende.", "The start is after the end.")
    if (end - start).days + 1 > MAX_DAYS:
        raise BadInput("Höchstens zwei Jahre auf einmal.", "At most two years at once.")
    return Choice(period, start, end)  # type: ignore[arg-type]


# -- the answer ---------------------------------------------------------------------------------------
def area(period: Mapping[str, Any], level: str, name: str | None = None) -> dict | None:
    for row in period.get("areas", []):
        if row["level"] == level and (name is None or row.get("name") == name):
            return row
    return None


def series(answer: Mapping[str, Any], kpi: str, unit: str, language: Language, level: str = "municipality",
           threshold: int = 5) -> list[Datum]:
    """One KPI of the municipality (or district) over the answer's periods."""
    out = []
    for p in answer.get("periods", []):
        row = area(p, level)
        cell = (row or {}).get("values", {}).get(kpi)
        out.append(Datum(period_label(p["start"], answer.get("period", "day"), language), cell_value(cell),
                         cell_text(cell, unit, language, threshold)))
    return out


@dataclass(frozen=True)
class Card:
    kpi: str
    name: str
    text: str
    suppressed: bool
    previous: str | None
    district: str | None
    unit: str


def key_cards(answer: Mapping[str, Any], catalogue: Mapping[str, Any], language: Language,
              district: Mapping[str, Any] | None = None, threshold: int = 5) -> list[Card]:
    """The key KPIs of the latest period of the answer, beside the period before it and the district's."""
    kpis = catalogue_by_id(catalogue)
    periods = answer.get("periods", [])
    latest = area(periods[-1], "municipality") if periods else None
    before = area(periods[-2], "municipality") if len(periods) > 1 else None
    district_row = None
    if district and district.get("periods"):
        district_row = area(district["periods"][-1], "district")
    cards = []
    for kpi in CARD_KPIS:
        meta = kpis.get(kpi)
        if meta is None:
            continue
        unit = meta["unit"]
        cell = (latest or {}).get("values", {}).get(kpi)
        d_cell = (district_row or {}).get("values", {}).get(kpi) if district_row else None
        cards.append(Card(kpi, kpi_name(meta, kpi, language), cell_text(cell, unit, language, threshold),
                          bool(cell and cell.get("suppressed")),
                          cell_text(before["values"].get(kpi), unit, language, threshold) if before else None,
                          cell_text(d_cell, unit, language, threshold) if d_cell else None, unit))
    return cards


@dataclass(frozen=True)
class TrendTable:
    """The charts' numbers: one row per period, one column per KPI."""

    columns: list[str]
    rows: list[tuple[str, list[str]]]


def trend_table(answer: Mapping[str, Any], catalogue: Mapping[str, Any], language: Language,
                threshold: int = 5) -> TrendTable:
    kpis = catalogue_by_id(catalogue)
    chosen = [k for k, _ in TREND_KPIS if k in kpis]
    rows = []
    for p in answer.get("periods", []):
        row = area(p, "municipality") or {"values": {}}
        rows.append((period_span_text(p["start"], p["end"], language),
                     [cell_text(row["values"].get(k), kpis[k]["unit"], language, threshold) for k in chosen]))
    return TrendTable([kpi_name(kpis[k], k, language) for k in chosen], rows)


def village_cells(answer: Mapping[str, Any], kpi: str, unit: str, language: Language,
                  threshold: int = 5) -> list[Datum]:
    """Each village's cell of the latest period (villages with a pick-up point or shop)."""
    periods = answer.get("periods", [])
    if not periods:
        return []
    rows = [r for r in periods[-1].get("areas", []) if r["level"] == "village"]
    return [Datum(r["name"], cell_value(r["values"].get(kpi)), cell_text(r["values"].get(kpi), unit, language,
                                                                        threshold))
            for r in sorted(rows, key=lambda r: r["name"])]


@dataclass(frozen=True)
class ReachRow:
    name: str
    level: str
    shares: list[str]        # texts of REACH_KPIS
    share_2km: float | None  # the map's colour
    nearest_m: float | None
    nearest: str = "–"       # the nearest pick-up point or shop, as text


def reach_rows(answer: Mapping[str, Any], language: Language, threshold: int = 5) -> list[ReachRow]:
    reach = answer.get("reach") or {}
    out = []
    for row in reach.get("areas", []):
        values = row.get("values", {})
        out.append(ReachRow(row.get("name") or "", row["level"],
                            [cell_text(values.get(k), "%", language, threshold) for k in REACH_KPIS],
                            cell_value(values.get("reach_2000m")), row.get("nearest_site_m"),
                            "–" if row.get("nearest_site_m") is None
                            else value_text(row["nearest_site_m"] / 1000, "km", language)))
    municipality = [r for r in out if r.level == "municipality"]
    villages = sorted((r for r in out if r.level == "village"), key=lambda r: r.name)
    return municipality + villages


def reach_colour(share: float | None) -> str:
    if share is None:
        return NO_VALUE_COLOUR
    for bound, colour in REACH_COLOURS:
        if share >= bound:
            return colour
    return REACH_COLOURS[-1][1]


def reach_features(rows: Iterable[ReachRow], places: Mapping[str, tuple[float, float]],
                   language: Language) -> list[dict]:
    """A map point per village (coordinates from the region pack, by name), its note giving
    the reach shares and its colour the share within 2 km."""
    features = []
    for row in rows:
        if row.level != "village" or row.name not in places:
            continue
        lat, lon = places[row.name]
        note = pick(language, f"Einwohner im Umkreis: 1 km {row.shares[0]}, 2 km {row.shares[1]}, 5 km {row.shares[2]}",
                    f"Residents within 1 km {row.shares[0]}, 2 km {row.shares[1]}, 5 km {row.shares[2]}")
        features.append(point(lat, lon, row.name, "village", note=note, colour=reach_colour(row.share_2km)))
    return features


# -- the monthly report ---------------------------------------------------------------------------------
def report_month(text: str | None, today: date) -> date:
    """The first day of the month asked for ("YYYY-MM"); default the last complete month."""
    if not text:
        return (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    found = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if not found or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 2000:
        raise BadInput("Bitte einen Monat wie 2026-03 angeben.", "Please give a month like 2026-03.")
    month = date(int(found.group(1)), int(found.group(2)), 1)
    if month > today:
        raise BadInput("Dieser Monat hat noch nicht begonnen.", "That month has not begun yet.")
    return month


def month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def months_before(first: date, months: int) -> date:
    year, month = first.year, first.month - months
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def month_title(first: date, language: Language) -> str:
    names = MONTH_NAMES_EN if language == "en" else MONTH_NAMES_DE
    return f"{names[first.month - 1]} {first.year}"


@dataclass(frozen=True)
class ReportGroup:
    title: str
    rows: list[tuple[str, str, str, bool]]   # name, this month, month before, suppressed


def report_groups(monthly: Mapping[str, Any], catalogue: Mapping[str, Any], language: Language,
                  threshold: int = 5) -> list[ReportGroup]:
    """Every KPI given for a municipality, this month beside the month before, by group."""
    kpis = catalogue.get("kpis", [])
    periods = monthly.get("periods", [])
    this = area(periods[-1], "municipality") if periods else None
    before = area(periods[-2], "municipality") if len(periods) > 1 else None
    groups = []
    for group, de, en in REPORT_GROUPS:
        rows = []
        for k in kpis:
            if k["group"] != group or "municipality" not in k["levels"]:
                continue
            cell = (this or {}).get("values", {}).get(k["id"])
            rows.append((kpi_name(k, k["id"], language), cell_text(cell, k["unit"], language, threshold),
                         cell_text((before or {}).get("values", {}).get(k["id"]), k["unit"], language, threshold)
                         if before else "–", bool(cell and cell.get("suppressed"))))
        if rows:
            groups.append(ReportGroup(pick(language, de, en), rows))
    return groups


def logistics_rows(district: Mapping[str, Any], catalogue: Mapping[str, Any], language: Language,
                   threshold: int = 5) -> list[tuple[str, str]]:
    """The district's logistics KPIs of the last period (tours serve every municipality)."""
    periods = district.get("periods", [])
    row = area(periods[-1], "district") if periods else None
    return [(kpi_name(k, k["id"], language),
             cell_text((row or {}).get("values", {}).get(k["id"]), k["unit"], language, threshold))
            for k in catalogue.get("kpis", []) if k["group"] == "logistics"]


def village_table(answer: Mapping[str, Any], catalogue: Mapping[str, Any], kpi_ids: Iterable[str],
                  language: Language, threshold: int = 5) -> TrendTable:
    """The villages of the latest period as rows, the given KPIs as columns."""
    kpis = catalogue_by_id(catalogue)
    chosen = [k for k in kpi_ids if k in kpis]
    periods = answer.get("periods", [])
    rows = []
    if periods:
        for r in sorted((a for a in periods[-1].get("areas", []) if a["level"] == "village"),
                        key=lambda a: a["name"]):
            rows.append((r["name"], [cell_text(r["values"].get(k), kpis[k]["unit"], language, threshold)
                                     for k in chosen]))
    return TrendTable([kpi_name(kpis[k], k, language) for k in chosen], rows)


def ascii_name(name: str) -> str:
    """A municipality's name for a file name: Höxter -> Hoexter, anything else -> _."""
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("Ä", "Ae"), ("Ö", "Oe"), ("Ü", "Ue"), ("ß", "ss")):
        name = name.replace(a, b)
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in name) or "gemeinde"
