"""Settings of the dispatch service, besides the shared ones of `nahnetz.kit.settings`.

| variable | meaning |
|---|---|
| NAHNETZ_URL_ROUTING | base URL of the routing API, for re-planning (set by `nahnetz up`) |
| DISPATCH_ROUTING_TIMEOUT_SECONDS | how long a call to the routing API may take (10) |
| DISPATCH_REPLAN_TIME_BUDGET_SECONDS | solver time budget of a re-plan when the operator names none (10) |
| DISPATCH_LOCK_SECONDS | how long a command may hold a tour before another may decide on it (15) |
| DISPATCH_APP_ID | the worker's consumer group (default nahnetz-dispatch; a new one replays every topic, see rebuild.py) |
| DISPATCH_EARLY_REPORTS | `refuse` (default): nothing is reported before a tour's day; `allow`: the embedded stack's demo drives the coming market day's tours at once (refused with NAHNETZ_ENV=prod) |
"""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from nahnetz.kit.service_settings import load_service_settings
from nahnetz.kit.settings import SettingsError


class DispatchSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DISPATCH_", case_sensitive=False, extra="ignore",
                                      populate_by_name=True)

    routing_url: str | None = Field(None, validation_alias=AliasChoices("NAHNETZ_URL_ROUTING", "DISPATCH_ROUTING_URL"))
    routing_timeout_seconds: float = Field(10.0, gt=0)
    replan_time_budget_seconds: int = Field(10, ge=1, le=300)
    lock_seconds: float = Field(15.0, gt=0)
    app_id: str | None = Field(None, pattern=r"^[A-Za-z0-9._-]{1,100}$")
    early_reports: Literal["refuse", "allow"] = "refuse"

    @property
    def reports_before_the_day(self) -> bool:
        return self.early_reports == "allow"


def load_dispatch_settings(env: str = "dev", **overrides) -> DispatchSettings:
    """Read DISPATCH_* (and NAHNETZ_URL_ROUTING); exit naming the problem, like `load_settings`."""
    dispatch = load_service_settings(DispatchSettings, **overrides)
    if env == "prod" and dispatch.reports_before_the_day:
        raise SettingsError("nahnetz: DISPATCH_EARLY_REPORTS=allow is for the demo stack, not production")
    return dispatch
