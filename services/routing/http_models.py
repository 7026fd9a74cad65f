"""HTTP models of the routing API, separate from the event records; converted at the edge."""

from __future__ import annotations

from datetime import time
from typing import Literal

from pydantic import Field

from nahnetz.kit.request_model import Day, RequestModel

from .domain.plan_requests import PlanAsked, VehicleAsked

Temperature = Literal["AMBIENT", "CHILLED", "FROZEN"]


class VehicleIn(RequestModel):
    """A vehicle for this plan. A fleet vehicle's id alone takes it as the region
    pack describes it; any field given replaces the fleet's value for this plan. A
    vehicle outside the fleet needs capacity, temperature classes and shift."""


    vehicle_id: str = Field(min_length=1, max_length=100)
    name: str | None = Field(None, max_length=200)
    max_weight_kg: float | None = Field(None, gt=0, le=40_000)
    max_volume_l: float | None = Field(None, gt=0, le=100_000)
    temperature_classes: list[Temperature] | None = Field(None, min_length=1)
    shift_start: time | None = Field(None, description="Local time (Europe/Berlin) on the planning day.")
    shift_end: time | None = Field(None, description="Local time (Europe/Berlin) on the planning day.")
    driver_id: str | None = Field(None, max_length=100)
    cost_per_km_cents: int | None = Field(None, ge=0)
    breaks: bool | None = Field(None, description="Plan driver breaks after Regulation (EC) 561/2006 (45 min "
                                                  "after at most 4.5 h of driving); default: as the fleet has it.")
    max_trips: int | None = Field(None, ge=1, le=4, description="Trips a day, reloading at the hub between them; "
                                                               "default: as the fleet has it (one).")

    def asked(self) -> VehicleAsked:
        return VehicleAsked(
            self.vehicle_id, self.name, self.max_weight_kg, self.max_volume_l,
            None if self.temperature_classes is None else tuple(self.temperature_classes),
            self.shift_start, self.shift_end, self.driver_id, self.cost_per_km_cents, self.breaks, self.max_trips)


class PlanIn(RequestModel):

    day: Day
    vehicles: list[VehicleIn] | None = Field(None, min_length=1, max_length=50,
                                             description="Default: the region's fleet with its shifts.")
    time_budget_s: int | None = Field(None, ge=1, description="Seconds the solver may search (default 10).")
    replan_of: str | None = Field(None, min_length=1, max_length=100,
                                  description="Plan to re-plan: stops done or under way on its tours stay fixed.")

    def asked(self) -> PlanAsked:
        return PlanAsked(self.day, None if self.vehicles is None else tuple(v.asked() for v in self.vehicles),
                         self.time_budget_s, self.replan_of)
