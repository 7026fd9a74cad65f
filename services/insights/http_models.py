"""HTTP answer models of the insights API (pydantic): the KPI catalogue and the
figures by period and area. Every value is a cell `{"value": ..., "suppressed": ...}`:
a suppressed cell has no value (null), never a zero."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

Level = Literal["village", "municipality", "district"]


class Names(BaseModel):
    de: str
    en: str


class KpiOut(BaseModel):
    id: str
    group: str
    name: Names
    formula: str
    unit: str
    levels: list[Level]
    period_value: Literal["sum", "last"] = Field(description="sum: the period's days added up; last: its last day's state")
    suppressed_below: dict[str, str] | None = Field(
        description="The count a cell is built from; below the threshold the cell is suppressed")


class Co2Factor(BaseModel):
    g_per_km: float
    source: str


class KpiCatalogue(BaseModel):
    kpis: list[KpiOut]
    suppression_threshold: int
    co2_factor: Co2Factor
    national_reference: dict


class CellOut(BaseModel):
    value: float | None
    suppressed: bool


class AreaOut(BaseModel):
    level: Level
    name: str | None = Field(description="The village or municipality; null for the district")
    municipality: str | None = None
    nearest_site_m: float | None = None
    values: dict[str, CellOut]


class PeriodOut(BaseModel):
    start: date
    end: date
    areas: list[AreaOut]


class ReachOut(BaseModel):
    areas: list[AreaOut]
    reference: dict
    method: str
    by_road: str = Field(description="how the road shares were measured, or why they have no value")


class FiguresOut(BaseModel):
    region: str
    municipality: str | None = None
    period: Literal["day", "week", "month"]
    from_: date = Field(alias="from")
    to: date
    co2_factor: Co2Factor
    periods: list[PeriodOut]
    reach: ReachOut | None = None

    model_config = {"populate_by_name": True}
