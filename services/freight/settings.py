"""Settings of the freight exchange (environment variables FREIGHT_*), besides the
shared ones of `nahnetz.kit.settings`.

| variable | meaning |
|---|---|
| FREIGHT_APP_ID | the worker's consumer group ("nahnetz-freight"; a new one re-reads every topic) |
| FREIGHT_MATCH_INTERVAL_SECONDS | the periodic matching batch (60); a changed trip or load triggers one at once |
| FREIGHT_MATCH_DEBOUNCE_SECONDS | how long a triggered round waits for more changes (0.2) |
| FREIGHT_SOLVER_SECONDS | CP-SAT's time limit per round (10) |
| FREIGHT_MAX_BUNDLE | the most loads one trip takes (3) |
| FREIGHT_BUNDLE_BREADTH | a trip's bundles of several loads are built from its this many cheapest single loads (12) |
| FREIGHT_MAX_LOAD_KG / FREIGHT_MAX_LOAD_LITRES | the most any trip of the exchange carries (3500 kg / 12000 l): heavier loads are unmatchable |
| FREIGHT_CODE_SECRET | key of the hand-over codes (required in prod, at least 32 characters) |
| FREIGHT_CODE_ATTEMPTS | wrong hand-over codes per caller and match before it locks for the window (5) |
| FREIGHT_ATTEMPT_WINDOW_SECONDS | that window (600) |
| FREIGHT_RESPOND_HOURS | how long a proposal waits for answers (24) |
| FREIGHT_HUB_PARTICIPANT | participant id of the hub's own vans ("hub") |
| FREIGHT_HUB_MIN_SPARE_KG | a tour leg is offered only with this much room (5) |
| FREIGHT_HUB_DETOUR_KM / FREIGHT_HUB_SLACK_MIN | how far and how long a hub van may go out of its way (5 km, 15 min) |
| FREIGHT_HUB_PRICE_PER_KM_CENTS | what the hub asks per detour km (30) |
| FREIGHT_CIRCUITY | road distance over great-circle distance (1.3) |
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from nahnetz.kit.service_settings import load_service_settings
from nahnetz.kit.settings import Settings, SettingsError

DEV_CODE_SECRET = "nahnetz-freight-dev-code-secret-change-me"
MIN_CODE_SECRET_LENGTH = 32


class FreightSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FREIGHT_", case_sensitive=False, extra="ignore")

    app_id: str = "nahnetz-freight"
    match_interval_seconds: float = Field(60.0, gt=0)
    match_debounce_seconds: float = Field(0.2, ge=0)
    solver_seconds: float = Field(10.0, gt=0)
    max_bundle: int = Field(3, ge=1, le=4)
    bundle_breadth: int = Field(12, ge=1)
    max_load_kg: float = Field(3500.0, gt=0)
    max_load_litres: float = Field(12000.0, gt=0)
    code_secret: str = DEV_CODE_SECRET
    code_attempts: int = Field(5, ge=1)
    attempt_window_seconds: int = Field(600, ge=1)
    respond_hours: int = Field(24, ge=1)
    hub_participant: str = "hub"
    hub_min_spare_kg: float = Field(5.0, ge=0)
    hub_detour_km: float = Field(5.0, ge=0)
    hub_slack_min: int = Field(15, ge=0)
    hub_price_per_km_cents: int = Field(30, ge=0)
    circuity: float = Field(1.3, ge=1.0)

    @property
    def code_key(self) -> bytes:
        return self.code_secret.encode()

    @property
    def max_load_g(self) -> int:
        return int(self.max_load_kg * 1000)

    @property
    def max_load_ml(self) -> int:
        return int(self.max_load_litres * 1000)


def load_freight_settings(settings: Settings, **overrides) -> FreightSettings:
    """Read FREIGHT_*; exit naming the problem, like `load_settings`."""
    freight = load_service_settings(FreightSettings, **overrides)
    if settings.env == "prod" and (freight.code_secret == DEV_CODE_SECRET
                                   or len(freight.code_secret) < MIN_CODE_SECRET_LENGTH):
        raise SettingsError("nahnetz: FREIGHT_CODE_SECRET must be set in production "
                            f"(at least {MIN_CODE_SECRET_LENGTH} characters)")
    return freight
