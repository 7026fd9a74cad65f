"""Settings of the supply insights (environment variables INSIGHTS_*), besides the
shared ones of `nahnetz.kit.settings`.

| variable | meaning |
|---|---|
| INSIGHTS_APP_ID | the worker's consumer group ("nahnetz-insights"; a new one re-reads every topic) |
| INSIGHTS_REGION | region pack with the villages, their populations and municipalities (NAHNETZ_REGION, else "kreis_hoexter") |
| INSIGHTS_CO2_G_PER_KM | CO2 per kilometre avoided, grams CO2e (170) |
| INSIGHTS_CO2_SOURCE | where that factor comes from, shown with every CO2 figure (required with a changed factor) |
| INSIGHTS_ON_TIME_TOLERANCE_MIN | a stop is on time up to this many minutes after its ETA (15) |
| INSIGHTS_PLACE_RADIUS_KM | a freight trip or load counts in the municipality of the nearest village or town within this distance of its origin (5) |
| INSIGHTS_MIN_COUNT | cells built from fewer orders or residents are suppressed (5; never below 5) |
| INSIGHTS_MAX_DAYS | the longest range one request may ask for (400 days) |
| INSIGHTS_OSRM_URL | OSRM base URL: reach by road as well (unset: straight line only; the region packs have no road network) |

The default CO2 factor is the one the freight exchange shows its users for a
match, so the municipality's figure and the participants' agree: fuel-based, 2.67 kg
CO2e per litre of diesel burnt (tank to wheel, DIN EN 16258:2012 Annex A) times an
assumed 6.4 l/100 km for a car or small van on rural roads, 0.17 kg/km. A municipality reporting to a
standard sets its own factor and names the source, e.g. a fuel-based figure
(litres per 100 km × kg CO2 per litre of diesel) or a published per-km factor.
"""

from __future__ import annotations

import os

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from nahnetz.kit.service_settings import load_service_settings
from nahnetz.kit.settings import Settings

from .domain.figures import Factors
from .domain.privacy import MIN_COUNT

DEFAULT_CO2_G_PER_KM = 170.0
DEFAULT_CO2_SOURCE = ("fuel-based: 2.67 kg CO2e per litre of diesel, tank to wheel (DIN EN 16258:2012, Annex A) "
                      "x an assumed 6.4 l per 100 km for a car or small van on rural roads = 0.171 kg/km, rounded "
                      "to 0.17 kg/km (the figure the freight exchange shows for each match)")


class InsightsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INSIGHTS_", case_sensitive=False, extra="ignore")

    app_id: str = "nahnetz-insights"
    # The stack sets NAHNETZ_REGION for every service (`nahnetz up --region`).
    region: str = Field(default_factory=lambda: os.environ.get("NAHNETZ_REGION") or "kreis_hoexter")
    co2_g_per_km: float = Field(DEFAULT_CO2_G_PER_KM, gt=0, le=2000)
    co2_source: str = DEFAULT_CO2_SOURCE
    on_time_tolerance_min: int = Field(15, ge=0)
    place_radius_km: float = Field(5.0, gt=0)
    min_count: int = Field(MIN_COUNT, ge=MIN_COUNT)
    max_days: int = Field(400, ge=1)
    # OSRM base URL: reach by road too (its table service); unset: straight line only.
    osrm_url: str | None = None

    @model_validator(mode="after")
    def _factor_has_its_source(self) -> "InsightsSettings":
        if self.co2_g_per_km != DEFAULT_CO2_G_PER_KM and self.co2_source == DEFAULT_CO2_SOURCE:
            raise ValueError("INSIGHTS_CO2_SOURCE: name the source of a changed INSIGHTS_CO2_G_PER_KM")
        return self

    @property
    def factors(self) -> Factors:
        return Factors(co2_g_per_km=self.co2_g_per_km)

    @property
    def co2(self) -> dict:
        return {"g_per_km": self.co2_g_per_km, "source": self.co2_source}


def load_insights_settings(settings: Settings | None = None, **overrides) -> InsightsSettings:
    """Read INSIGHTS_*; exit naming the problem, like `load_settings`."""
    return load_service_settings(InsightsSettings, **overrides)
