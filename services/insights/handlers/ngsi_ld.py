"""The figures as NGSI-LD entities of the FIWARE Smart Data Model
`dataModel.KeyPerformanceIndicator` (schema 0.2.1), so a municipality's FIWARE context
broker or urban data platform can take them in (`POST /ngsi-ld/v1/entityOperations/upsert`).

One entity per area, KPI and period (reach: per area and KPI, as it is on `today`), in
the keyValues (simplified) representation, which is what the model's JSON schema
validates; served as `application/ld+json` with the `@context` in each entity.

A suppressed cell keeps its entity but has no `kpiValue`: the schema requires only `id`
and `type`, and a value of 0 would tell that nothing happened, which may itself identify
someone. Its `description` says it is suppressed. The same holds for a cell with nothing
to compute (a share of no orders). Keeping the entity keeps the set of ids the same from
one export to the next, so a broker's upsert replaces an earlier value instead of keeping it.

Ids are stable: `urn:ngsi-ld:KeyPerformanceIndicator:nahnetz:<region>:<level>:<municipality>
[:<village>]:<kpi>:<period>:<first day>` (reach: `...:<kpi>:current`), names made ASCII
(ä -> ae, ß -> ss, other characters -> "-") to fit the data models' identifier pattern.

    entities = kpi_entities(answer, region_id="kreis-hoexter", places=region.places, today=date(2026, 3, 31))
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from typing import Any, Iterable, Mapping

from nahnetz.regions import Place

from ..domain.catalogue import DISTRICT, KPIS, MUNICIPALITY
from .geojson import point_geometry, region_place

MEDIA_TYPE = "application/ld+json"
ENTITY_TYPE = "KeyPerformanceIndicator"
# As in the data model's own examples (examples/example.jsonld).
CONTEXT = ["https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld",
           "https://raw.githubusercontent.com/smart-data-models/dataModel.KeyPerformanceIndicator/master/"
           "context.jsonld"]
FREQUENCY = {"day": "daily", "week": "weekly", "month": "monthly"}
PROCESS = {"orders": "orders", "pickup": "pick-up points", "logistics": "logistics tours",
           "freight": "freight exchange", "trade": "local trade", "reach": "reach of supply sites"}
CALCULATED_BY = "Nahnetz supply insights"
COUNTRY = "DE"   # both region packs are German districts
_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"})


def slug(name: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", name.translate(_GERMAN)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-") or "-"


def _iso(day: date | str) -> str:
    return day.isoformat() if isinstance(day, date) else day


def _area(row: Mapping[str, Any], region: str) -> tuple[list[str], str, str, str | None]:
    """(id parts, area text, organisation, municipality) of a row."""
    level = row["level"]
    if level == DISTRICT:
        return [DISTRICT], region, region, None
    if level == MUNICIPALITY:
        return [MUNICIPALITY, slug(row["name"])], f"{row['name']}, {region}", row["name"], row["name"]
    m = row["municipality"]
    return [level, slug(m), slug(row["name"])], f"{row['name']}, {m}, {region}", m, m


def _entity(row: Mapping[str, Any], kpi_id: str, cell: Mapping[str, Any], when: list[str], first: date,
            last: date, frequency: str | None, region: str, region_id: str, places: tuple[Place, ...],
            today: date, min_count: int) -> dict[str, Any]:
    kpi = KPIS[kpi_id]
    parts, area, organization, municipality = _area(row, region)
    span = "as on " + first.isoformat() if frequency is None else f"{first.isoformat()} to {last.isoformat()}"
    if cell["suppressed"]:
        status = f" Suppressed: built from fewer than {min_count} orders or residents."
    elif cell["value"] is None:
        status = " No value: nothing to compute in this period."
    else:
        status = ""
    entity: dict[str, Any] = {
        "id": ":".join(["urn:ngsi-ld:KeyPerformanceIndicator:nahnetz", slug(region_id), *parts, kpi_id, *when]),
        "type": ENTITY_TYPE,
        "name": kpi.name_de,
        "alternateName": kpi.name_en,
        "description": f"{kpi.name_en} ({kpi.unit}), {area}, {span}.{status}",
        "category": ["quantitative"],
        "process": f"Local supply: {PROCESS.get(kpi.group, kpi.group)}",
        "organization": organization,
        "calculatedBy": CALCULATED_BY,
        "calculationMethod": "automatic",
        "calculationFormula": kpi.formula,
        "calculationPeriod": {"from": first.isoformat(), "to": last.isoformat()},
        "area": area,
        "address": {"addressCountry": COUNTRY, "district": region,
                    **({"addressLocality": municipality} if municipality else {})},
        "dataProvider": "Nahnetz",
    }
    if not cell["suppressed"] and cell["value"] is not None:
        entity["kpiValue"] = cell["value"]
    if frequency is not None:
        entity["calculationFrequency"] = frequency
        if last >= today:   # the period is still running: its value changes until the day after it ends
            entity["dateNextCalculation"] = (last + timedelta(days=1)).isoformat()
    if row["level"] != DISTRICT:
        place = region_place(places, row["level"], municipality, row["name"])
        if place is not None:
            entity["location"] = point_geometry(place.lat, place.lon)
    entity["@context"] = CONTEXT
    return entity


def kpi_entities(answer: Mapping[str, Any], region_id: str, places: Iterable[Place], today: date,
                 min_count: int = 5) -> list[dict[str, Any]]:
    """Every cell of an insights answer (`municipality_figures` or the open data) as an entity."""
    places, region = tuple(places), answer["region"]
    frequency = FREQUENCY[answer["period"]]
    out = []
    for period in answer["periods"]:
        first, last = date.fromisoformat(_iso(period["start"])), date.fromisoformat(_iso(period["end"]))
        for row in period["areas"]:
            for kpi_id, cell in row["values"].items():
                out.append(_entity(row, kpi_id, cell, [answer["period"], first.isoformat()], first, last, frequency,
                                   region, region_id, places, today, min_count))
    for row in (answer.get("reach") or {}).get("areas", []):
        for kpi_id, cell in row["values"].items():
            out.append(_entity(row, kpi_id, cell, ["current"], today, today, None, region, region_id, places, today,
                               min_count))
    return out
