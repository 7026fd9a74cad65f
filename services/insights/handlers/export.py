"""A municipality's figures as a CSV file: one line per period, area and KPI
(long format, so any spreadsheet can pivot it), UTF-8 with BOM.

Two styles: `de` (`;` between cells, decimal comma: German spreadsheets open it
as it is) and `intl` (`,` and decimal point). A suppressed cell has no value and
"ja"/"yes" in its own column, never a zero. Every cell goes through `defusedcsv`
(as the catalog's export does): text a spreadsheet would run as a formula
(`=`, `+`, `-`, `@`, ...) is written with a leading `'`.
"""

from __future__ import annotations

import io
from typing import Any, Iterable, Literal

from defusedcsv import csv as safe_csv

from ..domain.catalogue import KPIS

Style = Literal["de", "intl"]
BOM = "\ufeff"
HEADER = {
    "de": ("Beginn", "Ende", "Ebene", "Gebiet", "Gemeinde", "KPI", "Bezeichnung", "Wert", "Einheit", "Unterdrückt"),
    "intl": ("start", "end", "level", "area", "municipality", "kpi", "name", "value", "unit", "suppressed"),
}
LEVELS_DE = {"village": "Ortsteil", "municipality": "Gemeinde", "district": "Kreis"}


def number(value: float | None, style: Style) -> str:
    if value is None:
        return ""
    text = f"{value:.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
    return text.replace(".", ",") if style == "de" else text


def figures_csv(periods: Iterable[dict[str, Any]], style: Style, region: str) -> str:
    out = io.StringIO(newline="")
    writer = safe_csv.writer(out, delimiter=";" if style == "de" else ",", lineterminator="\r\n")
    writer.writerow(HEADER[style])
    for period in periods:
        for row in period["areas"]:
            level = row["level"]
            area = row["name"] or region
            municipality = row.get("municipality") or (row["name"] if level == "municipality" else "")
            for kpi_id, cell in row["values"].items():
                kpi = KPIS[kpi_id]
                suppressed = cell["suppressed"]
                writer.writerow([
                    period["start"], period["end"], LEVELS_DE[level] if style == "de" else level, area,
                    municipality, kpi_id, kpi.name_de if style == "de" else kpi.name_en,
                    number(cell["value"], style), kpi.unit,
                    ("ja" if suppressed else "nein") if style == "de" else ("yes" if suppressed else "no")])
    return BOM + out.getvalue()
