"""Settings of the hub service (environment variables HUB_*), besides the shared
ones of `nahnetz.kit.settings`.

| variable | meaning |
|---|---|
| HUB_REGION | region pack whose hub this is ("kreis_hoexter") |
| HUB_LATEST_COLLECTION | local time by which goods collected on the delivery day must be picked up ("15:00") |
| HUB_MAX_DAYS_IN_HUB | how many days before the delivery day a shop closed that day may hand goods over (6) |
| HUB_RESCHEDULE_HORIZON_DAYS | how far ahead a missed collection looks for the next possible day (14) |
| HUB_APP_ID | consumer group of the worker ("nahnetz-hub"; a new one re-reads every topic) |
"""

from __future__ import annotations

from datetime import time

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from nahnetz.kit.service_settings import load_service_settings

from .domain.shipments import CollectionRules


class HubSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_", case_sensitive=False, extra="ignore")

    region: str = "kreis_hoexter"
    latest_collection: time = time(15, 0)
    max_days_in_hub: int = Field(6, ge=0, le=13)
    reschedule_horizon_days: int = Field(14, ge=1, le=60)
    app_id: str | None = None

    @property
    def rules(self) -> CollectionRules:
        return CollectionRules(self.latest_collection, self.max_days_in_hub, self.reschedule_horizon_days)


def load_hub_settings(**overrides) -> HubSettings:
    """Read HUB_*; exit naming the problem, like `load_settings`."""
    return load_service_settings(HubSettings, **overrides)
