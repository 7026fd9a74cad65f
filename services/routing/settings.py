"""Settings of the routing service (environment variables ROUTING_*), besides the
shared ones of `nahnetz.kit.settings`.

| variable | meaning |
|---|---|
| ROUTING_REGION | region pack with the hub (depot) and the default fleet ("kreis_hoexter") |
| ROUTING_DEFAULT_TIME_BUDGET_S | solver time when a request names none (10) |
| ROUTING_MAX_TIME_BUDGET_S | the most a request may ask for (120) |
| ROUTING_SOLVER_PROCESSES | processes of the solver pool (1); with 2, two search strategies race per plan |
| ROUTING_LEASE_MARGIN_S | a claimed plan without an outcome after budget + margin is solved again (60) |
| ROUTING_RECOVERY_INTERVAL_S | how often the leader looks for such plans (5) |
| ROUTING_CIRCUITY | road distance per straight-line distance (1.3) |
| ROUTING_OSRM_URL | OSRM base URL; when set, travel times come from its table service instead |
| ROUTING_SHOP_SERVICE_S | minutes at a shop, in seconds (300) |
| ROUTING_POINT_SERVICE_S | at a pick-up point (180), plus ROUTING_PER_COMPARTMENT_S per compartment (60) |
| ROUTING_PER_PARCEL_S | at a shop, per parcel collected (30) |
| ROUTING_HUB_SERVICE_S | at the hub, per job unloaded or loaded (120) |
| ROUTING_EXTRA_PART_S | a further temperature part at the same place, instead of the base time (60) |
| ROUTING_HUB_CONSOLIDATION_TIME | local time from which the day's collected goods are loaded for distribution; collections for today's distribution reach the hub by then ("11:00") |
| ROUTING_APP_ID | consumer group of the worker ("nahnetz-routing") |
"""

from __future__ import annotations

from datetime import time

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from nahnetz.kit.service_settings import load_service_settings

from .domain.planning import PlanningRules
from .domain.shipments import ServiceTimes


class RoutingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ROUTING_", case_sensitive=False, extra="ignore")

    region: str = "kreis_hoexter"
    default_time_budget_s: int = Field(10, ge=1)
    max_time_budget_s: int = Field(120, ge=1)
    solver_processes: int = Field(1, ge=1, le=8)
    lease_margin_s: float = Field(60.0, gt=0)
    recovery_interval_s: float = Field(5.0, gt=0)
    circuity: float = Field(1.3, ge=1.0, le=3.0)
    osrm_url: str | None = None
    shop_service_s: int = Field(300, ge=0)
    point_service_s: int = Field(180, ge=0)
    per_compartment_s: int = Field(60, ge=0)
    per_parcel_s: int = Field(30, ge=0)
    hub_service_s: int = Field(120, ge=0)
    extra_part_s: int = Field(60, ge=0)
    hub_consolidation_time: time = time(11, 0)
    app_id: str | None = None

    @property
    def service_times(self) -> ServiceTimes:
        return ServiceTimes(self.shop_service_s, self.point_service_s, self.per_compartment_s,
                            per_parcel_s=self.per_parcel_s, at_hub_s=self.hub_service_s,
                            extra_part_s=self.extra_part_s)

    @property
    def planning_rules(self) -> PlanningRules:
        return PlanningRules(hub_ready_at=self.hub_consolidation_time)


def load_routing_settings(**overrides) -> RoutingSettings:
    """Read ROUTING_*; exit naming the problem, like `load_settings`."""
    return load_service_settings(RoutingSettings, **overrides)
