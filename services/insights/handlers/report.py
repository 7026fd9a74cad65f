"""The monthly report of a municipality for its council, as an HTML page for A4 print
(Jinja2, autoescaping always on: municipality and village names come from the
region pack and from shops and must never become markup).

Everything here is shaping: it takes the answers the API gives
(`routes.municipality_figures`, so every cell is suppressed exactly as there) and
chooses rows, formats numbers the German way and computes the bars of the charts
(inline SVG, drawn on the server; no JavaScript). It reads nothing and computes no
figure.

    month = report_month("2026-03", today)
    page = render_report(build_report(month, monthly, daily, district_cells, now, min_count=5))
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from nahnetz.clock import in_berlin

from ..domain.catalogue import KPIS, MUNICIPALITY, VILLAGE, Kpi
from ..domain.days import Period, period_end

TEMPLATES = Path(__file__).parent.parent / "templates"
EARLIEST_MONTH = date(2000, 1, 1)
COMPARED_MONTHS = 5   # the report month is set beside up to five before it
MONTHS_DE = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
             "November", "Dezember")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")
GROUPS = (("orders", "Bestellungen", "Orders"), ("pickup", "Abholstationen", "Pick-up points"),
          ("logistics", "Logistik (ganzer Kreis)", "Logistics (whole district)"),
          ("freight", "Frachtbörse", "Freight exchange"), ("trade", "Lokaler Handel", "Local trade"))
# The few KPIs a council reads first: per village and over the months.
VILLAGE_KPIS = ("orders", "order_value", "assisted_share", "collected", "compartment_use", "lead_time_ready_p50",
                "active_shops")
TREND_KPIS = ("orders", "order_value", "assisted_share", "confirmation_rate", "collected", "compartment_use",
              "lead_time_ready_p50", "km_avoided", "active_shops", "goods_listed")
REACH_KPIS = ("reach_1000m", "reach_2000m", "reach_5000m")
UNITS = {"count": ("Anzahl", "count"), "EUR": ("€", "EUR"), "%": ("%", "%"), "h": ("Std.", "h"),
         "km": ("km", "km"), "kg CO₂e": ("kg CO₂e", "kg CO₂e"), "point-days": ("Stationstage", "point-days"),
         "stops": ("Stopps", "stops"), "orders/shop": ("Bestellungen je Laden", "orders per shop")}
SUPPRESSED_DE = "unterdrückt"
MINUS = "\u2212"


# -- the month asked for --------------------------------------------------------------------------
def last_complete_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def report_month(text: str | None, today: date) -> date:
    """The first day of the month asked for ("YYYY-MM"; default the last complete month).
    ValueError with a message the caller can show when it is malformed, before 2000 or not begun."""
    if text is None:
        return last_complete_month(today)
    found = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if not found or not 1 <= int(found.group(2)) <= 12:
        raise ValueError(f"month: expected YYYY-MM (e.g. 2026-03), got {text!r}")
    month = date(int(found.group(1)), int(found.group(2)), 1)
    if month < EARLIEST_MONTH:
        raise ValueError(f"month: {EARLIEST_MONTH:%Y-%m} or later")
    if month > today:
        raise ValueError(f"month: {text} has not begun yet (today is {today.isoformat()})")
    return month


def month_range(month: date) -> tuple[date, date]:
    return month, period_end(month, Period.MONTH)


def compared_from(month: date, months: int = COMPARED_MONTHS) -> date:
    """The first day of the month `months` before `month` (not before 2000)."""
    index = month.year * 12 + month.month - 1 - months
    return max(date(index // 12, index % 12 + 1, 1), EARLIEST_MONTH)


def month_label(day: date) -> tuple[str, str]:
    return f"{MONTHS_DE[day.month - 1]} {day.year}", f"{MONTHS_EN[day.month - 1]} {day.year}"


# -- numbers the German way -----------------------------------------------------------------------
def german_number(value: float, decimals: int | None = None) -> str:
    """1234.5 -> "1.234,5": a dot between thousands, a decimal comma; without `decimals`
    as many as the value has (at most two, as the API rounds)."""
    if decimals is None:
        decimals = 0 if float(value).is_integer() else 2
        text = f"{abs(value):,.{decimals}f}"
        if decimals:
            text = text.rstrip("0").rstrip(".")
    else:
        text = f"{abs(value):,.{decimals}f}"
    text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return (MINUS if value < 0 and text.strip("0,.") else "") + text


def format_value(value: float, unit: str) -> str:
    return german_number(value, 2 if unit == "EUR" else None)


@dataclass(frozen=True)
class Cell:
    """One figure as printed: its text, or suppressed, or not defined (nothing to divide by)."""

    text: str
    suppressed: bool = False
    value: float | None = None

    @property
    def shown(self) -> bool:
        return not self.suppressed and self.value is not None


NOT_DEFINED = Cell("–")


def cell(raw: Mapping[str, Any] | None, unit: str) -> Cell:
    if raw is None:
        return NOT_DEFINED
    if raw["suppressed"]:
        return Cell(SUPPRESSED_DE, suppressed=True)   # never a zero: a zero would tell something
    if raw["value"] is None:
        return NOT_DEFINED
    return Cell(format_value(raw["value"], unit), value=raw["value"])


def change(now: Cell, before: Cell, unit: str) -> str:
    """The change against the month before, where both are shown (percentages in points)."""
    if not (now.shown and before.shown):
        return "–"
    diff = round(now.value - before.value, 2)
    suffix = " Pp." if unit == "%" else ""
    if diff == 0:
        return "±0" + suffix
    return ("+" if diff > 0 else "") + format_value(diff, unit) + suffix


def unit_label(unit: str) -> tuple[str, str]:
    return UNITS.get(unit, (unit, unit))


# -- charts ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value_text: str
    suppressed: bool
    value: float | None


@dataclass(frozen=True)
class Tick:
    y: float
    text: str


@dataclass(frozen=True)
class Chart:
    """A bar chart's geometry in SVG user units (viewBox 0 0 width height)."""

    id: str
    title_de: str
    title_en: str
    width: float
    height: float
    left: float
    top: float
    plot_width: float
    plot_height: float
    bars: list[Bar]
    ticks: list[Tick]
    description: str

    @property
    def baseline(self) -> float:
        return self.top + self.plot_height


def nice_ceiling(value: float, at_least: float = 5) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k at or above `value` (an axis that reads well)."""
    value = max(value, at_least)
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= value)


def bar_chart(chart_id: str, title: tuple[str, str], series: list[tuple[str, Cell]], width: float = 680,
              height: float = 210) -> Chart:
    """Bars for (label, cell): heights proportional to the values on an axis from 0; a
    suppressed bar fills the plot hatched (the template's pattern), so it never reads as 0."""
    left, right, top, bottom = 44.0, 8.0, 14.0, 24.0
    plot_width, plot_height = width - left - right, height - top - bottom
    shown = [c.value for _, c in series if c.shown]
    axis_top = nice_ceiling(max(shown, default=0))
    slot = plot_width / max(len(series), 1)
    bars = []
    for n, (label, c) in enumerate(series):
        x = left + n * slot + slot * 0.15
        if c.suppressed:
            bar_height = plot_height
        else:
            bar_height = (c.value or 0) / axis_top * plot_height
        bars.append(Bar(x=round(x, 2), y=round(top + plot_height - bar_height, 2), width=round(slot * 0.7, 2),
                        height=round(bar_height, 2), label=label,
                        value_text="" if c.suppressed or c.value is None else c.text,
                        suppressed=c.suppressed, value=c.value if c.shown else None))
    steps = 4 if axis_top / 10 ** math.floor(math.log10(axis_top)) == 2 else 5
    ticks = [Tick(y=round(top + plot_height - plot_height * k / steps, 2), text=german_number(axis_top * k / steps))
             for k in range(steps + 1)]
    description = "; ".join(f"{label}: {c.text}" for label, c in series)
    return Chart(chart_id, title[0], title[1], width, height, left, top, plot_width, plot_height, bars, ticks,
                 description)


# -- the report -----------------------------------------------------------------------------------
@dataclass
class Report:
    municipality: str
    region: str
    month_de: str
    month_en: str
    first: str
    last: str
    complete: bool
    generated_at: str
    min_count: int
    groups: list[dict[str, Any]] = field(default_factory=list)
    villages: list[dict[str, Any]] = field(default_factory=list)
    village_kpis: list[Kpi] = field(default_factory=list)
    trend_months: list[tuple[str, str]] = field(default_factory=list)
    trend: list[dict[str, Any]] = field(default_factory=list)
    reach: list[dict[str, Any]] = field(default_factory=list)
    reference: dict[str, Any] = field(default_factory=dict)
    reference_value: str = ""
    reach_method: str = ""
    charts: list[Chart] = field(default_factory=list)
    definitions: list[Kpi] = field(default_factory=list)
    co2: dict[str, Any] = field(default_factory=dict)
    co2_g_per_km: str = ""


def _area(period: Mapping[str, Any], level: str, name: str) -> Mapping[str, Any]:
    return next((a["values"] for a in period["areas"] if a["level"] == level and a["name"] == name), {})


def _has_data(values: Mapping[str, Mapping[str, Any]]) -> bool:
    """Whether anything happened: a shown value other than 0 (every cell of an empty month
    with a personal basis is suppressed, so suppressed cells alone say nothing)."""
    return any(not c["suppressed"] and c["value"] not in (None, 0) for c in values.values())


def _kpi_row(kpi: Kpi, now: Cell, before: Cell | None) -> dict[str, Any]:
    de, en = unit_label(kpi.unit)
    return {"kpi": kpi, "unit_de": de, "unit_en": en, "value": now, "previous": before or NOT_DEFINED,
            "change": change(now, before, kpi.unit) if before is not None else "–"}


def build_report(month: date, monthly: Mapping[str, Any], daily: Mapping[str, Any],
                 district_cells: Mapping[str, Mapping[str, Any]], generated_at: datetime, min_count: int,
                 today: date | None = None) -> Report:
    """The report of `month` from the municipality's figures by month (ending with `month`,
    up to five months before it), by day of `month`, and the district's cells of the month
    (its logistics, given for the district only)."""
    municipality = monthly["municipality"]
    periods = [p for p in monthly["periods"] if _iso(p["start"]) <= month]
    this = next(p for p in periods if _iso(p["start"]) == month)
    before = next((p for p in periods if _iso(p["start"]) == compared_from(month, 1)), None)
    own, own_before = _area(this, MUNICIPALITY, municipality), None
    if before is not None and _has_data(_area(before, MUNICIPALITY, municipality)):
        own_before = _area(before, MUNICIPALITY, municipality)
    first, last = month_range(month)
    report = Report(municipality=municipality, region=monthly["region"], month_de=month_label(month)[0],
                    month_en=month_label(month)[1], first=first.strftime("%d.%m.%Y"), last=last.strftime("%d.%m.%Y"),
                    complete=today is None or last < today,
                    generated_at=in_berlin(generated_at).strftime("%d.%m.%Y %H:%M"), min_count=min_count,
                    co2=dict(monthly.get("co2_factor") or {}))

    for group, de, en in GROUPS:
        source = district_cells if group == "logistics" else own
        rows = []
        for kpi_id, raw in source.items():
            kpi = KPIS[kpi_id]
            if kpi.group != group:
                continue
            previous = None if group == "logistics" or own_before is None else cell(own_before.get(kpi_id), kpi.unit)
            rows.append(_kpi_row(kpi, cell(raw, kpi.unit), previous))
        if rows:
            report.groups.append({"id": group, "de": de, "en": en, "rows": rows})

    report.village_kpis = [KPIS[k] for k in VILLAGE_KPIS]
    for area in this["areas"]:
        if area["level"] in (VILLAGE, MUNICIPALITY):
            report.villages.append({"name": area["name"], "total": area["level"] == MUNICIPALITY,
                                    "cells": [cell(area["values"].get(k), KPIS[k].unit) for k in VILLAGE_KPIS]})
    report.villages.sort(key=lambda v: v["total"])   # villages first, the municipality's sum last

    # Months compared: from the first with data on (always the report month itself); a
    # quiet month in between stays, as a gap is news too.
    start = next(n for n, p in enumerate(periods) if p is this or _has_data(_area(p, MUNICIPALITY, municipality)))
    compared = periods[start:]
    report.trend_months = [month_label(_iso(p["start"])) for p in compared]
    for kpi_id in TREND_KPIS:
        kpi = KPIS[kpi_id]
        cells = [cell(_area(p, MUNICIPALITY, municipality).get(kpi_id), kpi.unit) for p in compared]
        report.trend.append({"kpi": kpi, "unit": unit_label(kpi.unit), "cells": cells})

    reach = monthly.get("reach") or {"areas": [], "reference": {}, "method": ""}
    for area in reach["areas"]:
        nearest = area.get("nearest_site_m")
        report.reach.append({
            "name": area["name"], "total": area["level"] == MUNICIPALITY,
            "nearest": "–" if nearest is None else german_number(round(nearest / 10) * 10),
            "cells": [cell(area["values"].get(k), "%") for k in REACH_KPIS]})
    report.reach.sort(key=lambda r: (not r["total"], r["name"]))
    report.reference, report.reach_method = dict(reach["reference"]), reach["method"]
    if report.reference:
        report.reference_value = german_number(report.reference["value"])
    if report.co2:
        report.co2_g_per_km = german_number(report.co2["g_per_km"])

    days = [(str(_iso(p["start"]).day), cell(_area(p, MUNICIPALITY, municipality).get("orders"), "count"))
            for p in daily["periods"]]
    report.charts.append(bar_chart("orders-by-day", ("Bestellungen je Tag", "Orders per day"), days))
    months = [(month_label(_iso(p["start"]))[0][:3] + f" {_iso(p['start']):%y}",
               cell(_area(p, MUNICIPALITY, municipality).get("orders"), "count")) for p in compared]
    report.charts.append(bar_chart("orders-by-month", ("Bestellungen je Monat", "Orders per month"), months,
                                   height=170))

    shown_ids = {row["kpi"].id for g in report.groups for row in g["rows"]} | set(REACH_KPIS)
    report.definitions = [k for k in KPIS.values() if k.id in shown_ids]
    return report


def _iso(day: date | str) -> date:
    return day if isinstance(day, date) else date.fromisoformat(day)


@lru_cache(maxsize=1)
def _environment() -> Environment:
    # autoescape=True rather than by extension: the template is `.html.j2`.
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True)


def render_report(report: Report) -> str:
    return _environment().get_template("report.html.j2").render(r=report)

