"""The day in figures, as the district's town halls see them: the insights service's
KPI table for the district (German and English), and its exports written to files
(one CSV per municipality for German spreadsheets, and the public open data).

Two columns: the day the orders were placed and collected (today, by the wall
clock) and the tour day they were booked for, when the tours count. Waits until
the insights worker has folded both: the orders placed and the tours driven are
counted, and two reads in a row agree.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Callable

from .client import DemoError, Platform

# The figures of the table, in the order a council reads them.
TABLE = (
    "orders", "items", "order_value", "assisted_share", "confirmation_rate", "lead_time_ready_p50", "collected",
    "compartment_use", "collections_outside_shop_hours_share", "tours", "km_driven", "stops_per_tour",
    "on_time_share", "load_factor", "trips_offered", "loads_matched", "km_avoided", "co2_avoided",
    "active_shops", "goods_listed",
)
FOLD_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class DemoDays:
    """What the demo did and when: orders placed today, tours driven for the tour day."""

    today: date
    tour_day: date
    orders_placed: int
    tours_driven: int
    past_from: date | None = None   # the first day simulated before today, if any

    @property
    def days(self) -> list[date]:
        return sorted({self.today, self.tour_day})


async def insights_day(platform: Platform, demo: DemoDays, say: Callable[[str], None],
                       exports: Path | None = None) -> dict[date, dict[str, Any]]:
    """Print the district's KPI table for the demo's days and write the exports; returns the district's cells by day."""
    catalogue = {k["id"]: k for k in (await platform.call("insights", "GET", "/v1/insights/kpis")).json()["kpis"]}
    params = {"period": "day", "from": demo.days[0].isoformat(), "to": demo.days[-1].isoformat()}
    by_day = await _folded(platform, params, demo)
    district = {day: areas[0]["values"] for day, areas in by_day.items()}
    say(f"\nKennzahlen des Kreises / district KPIs (insights; unterdrückt / suppressed: weniger als 5 Personen / "
        f"fewer than 5 people)")
    heads = [f"{'heute / today' if day == demo.today else 'Tourtag / tour day'} {day:%d.%m.}" for day in demo.days]
    labels = {kpi_id: f"{catalogue[kpi_id]['name']['de']} / {catalogue[kpi_id]['name']['en']}" for kpi_id in TABLE}
    width = max(map(len, labels.values()))
    say(f"  {'':<{width}} " + " ".join(f"{h:>22}" for h in heads))
    for kpi_id, label in labels.items():
        cells = [_shown(district[day].get(kpi_id), catalogue[kpi_id]["unit"]) for day in demo.days]
        say(f"  {label:<{width}} " + " ".join(f"{c:>22}" for c in cells))
    if demo.past_from is not None:
        say("  Tage davor / the days before (Bestellungen / orders, Tourtage / market days): "
            + await _past_orders(platform, demo.past_from, demo.today))
    names = [row["name"] for row in by_day[demo.today][1:]]
    active = [row["name"] for row in by_day[demo.today][1:] if (row["values"].get("orders") or {}).get("value")]
    say(f"  Gemeinden mit Bestellungen heute / municipalities with orders today: {len(active)} / {len(names)}")
    if exports is not None:
        written = await _write_exports(platform, exports, params, names, f"{demo.today:%Y-%m}")
        say(f"  Exporte / exports: {len(written)} Dateien / files in {exports}")
    return district


async def _past_orders(platform: Platform, first: date, today: date) -> str:
    params = {"period": "day", "from": first.isoformat(), "to": (today - timedelta(days=1)).isoformat()}
    answer = (await platform.call("insights", "GET", "/v1/insights/district", params=params)).json()
    shown = []
    for period in answer["periods"]:
        day, cell = date.fromisoformat(period["start"]), period["areas"][0]["values"]["orders"]
        if day < first:
            continue
        shown.append(f"{day:%d.%m.} {_shown(cell, 'count') if not cell['suppressed'] else '<5'}")
    return " · ".join(shown)


def _counted(cell: dict[str, Any] | None) -> float:
    return (cell or {}).get("value") or 0


async def _folded(platform: Platform, params: dict[str, str], demo: DemoDays) -> dict[date, list[dict[str, Any]]]:
    """The district's rows by day once the worker has counted what the demo did."""
    deadline = time.monotonic() + FOLD_TIMEOUT_S
    last = None
    while time.monotonic() < deadline:
        answer = (await platform.call("insights", "GET", "/v1/insights/district", params=params)).json()
        by_day = {date.fromisoformat(p["start"]): p["areas"] for p in answer["periods"]}
        by_day = {day: by_day[day] for day in demo.days}
        done = (_counted(by_day[demo.today][0]["values"]["orders"]) >= demo.orders_placed
                and _counted(by_day[demo.tour_day][0]["values"]["tours"]) >= demo.tours_driven)
        if done and by_day == last:
            return by_day
        last = by_day
        await asyncio.sleep(0.5)  # polling the read model: the worker folds as events come
    raise DemoError(f"insights: the district did not count the {demo.orders_placed} orders placed and "
                    f"{demo.tours_driven} tours driven within {FOLD_TIMEOUT_S:.0f} s")


def _shown(cell: dict[str, Any] | None, unit: str) -> str:
    if cell is None:
        return ""
    if cell.get("suppressed"):
        return "unterdrückt/suppr."
    value = cell.get("value")
    if value is None:
        return "–"
    number = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    number = number.replace(",", " ").replace(".", ",")  # German: 1 234,56
    return number if unit == "count" else f"{number} {unit}"


async def _write_exports(platform: Platform, folder: Path, params: dict[str, str], municipalities: list[str],
                         month: str) -> list[Path]:
    """Per municipality its figures for German spreadsheets and its council's monthly report
    (the running month); for the district the open data as JSON, GeoJSON and NGSI-LD."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted = []
    for name in municipalities:
        base = f"/v1/insights/municipalities/{name}"
        wanted += [(f"{base}/figures.csv", params | {"style": "de"}, f"kennzahlen-{_file_name(name)}.csv", None),
                   (f"{base}/report", {"month": month}, f"bericht-{_file_name(name)}-{month}.html", None)]
    wanted += [("/v1/insights/open-data", params, "open-data.json", {}),
               ("/v1/insights/open-data.geojson", params, "open-data.geojson", {}),
               ("/v1/insights/open-data.ngsi-ld.json", params, "open-data.ngsi-ld.json", {})]
    written = []
    for path, query, file_name, who in wanted:
        answer = await platform.call("insights", "GET", path, params=query, who=who)
        (folder / file_name).write_bytes(answer.content)
        written.append(folder / file_name)
    return written


def _file_name(name: str) -> str:
    return "".join(c if c.isascii() and c.isalnum() else "_" for c in name)


def exports_folder() -> Path | None:
    folder = os.environ.get("NAHNETZ_DEMO_EXPORTS")
    return Path(folder) if folder else None
