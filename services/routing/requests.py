"""Turning an operator's plan request into RoutePlanRequested (what the API decides)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from nahnetz.events import Actor, Event, new_event
from nahnetz.kit.errors import Unprocessable
from nahnetz.regions import Region

from .fleet import VehicleRecord, fleet_vehicle, local_instant, unique_ids_problem, with_changes
from .http_models import PlanIn, VehicleIn

PRODUCER = "routing-api"


def new_plan_id() -> str:
    return f"plan-{uuid.uuid4().hex[:16]}"


def vehicles_for(body: PlanIn, region: Region) -> list[VehicleRecord]:
    fleet = {seed.id: seed for seed in region.fleet}
    if body.vehicles is None:
        if not fleet:
            raise Unprocessable(f"the region {region.name} has no fleet; name the vehicles")
        return [fleet_vehicle(seed, body.day) for seed in region.fleet]
    vehicles = [_vehicle(v, body.day, fleet) for v in body.vehicles]
    problems = [p for v in vehicles for p in v.problems()]
    duplicate = unique_ids_problem(vehicles)
    if duplicate:
        problems.append(duplicate)
    if problems:
        raise Unprocessable("; ".join(problems), details={"problems": problems})
    return vehicles


def _vehicle(given: VehicleIn, day: date, fleet: dict) -> VehicleRecord:
    changes: dict[str, Any] = {
        "name": given.name, "driver_id": given.driver_id, "cost_per_km_cents": given.cost_per_km_cents,
        "max_weight_g": None if given.max_weight_kg is None else int(round(given.max_weight_kg * 1000)),
        "max_volume_ml": None if given.max_volume_l is None else int(round(given.max_volume_l * 1000)),
        "temperature_classes": None if given.temperature_classes is None else tuple(given.temperature_classes),
        "shift_start": None if given.shift_start is None else local_instant(day, given.shift_start),
        "shift_end": None if given.shift_end is None else local_instant(day, given.shift_end),
    }
    seed = fleet.get(given.vehicle_id)
    if seed is not None:
        return with_changes(fleet_vehicle(seed, day), changes)
    missing = [name for name, field in (("max_weight_kg", "max_weight_g"), ("max_volume_l", "max_volume_ml"),
                                        ("temperature_classes", "temperature_classes"),
                                        ("shift_start", "shift_start"), ("shift_end", "shift_end"))
               if changes[field] is None]
    if missing:
        raise Unprocessable(f"vehicle {given.vehicle_id} is not in the fleet; it needs {', '.join(missing)}")
    return VehicleRecord(vehicle_id=given.vehicle_id, **{k: v for k, v in changes.items() if v is not None})


def plan_requested(body: PlanIn, region: Region, *, time_budget_s: int, actor: Actor,
                   plan_id: str | None = None) -> Event:
    hub = region.hub
    return new_event(
        "RoutePlanRequested", producer=PRODUCER, actor=actor, plan_id=plan_id or new_plan_id(), day=body.day,
        depot={"depot_id": hub.id, "name": hub.name, "location": {"lat": hub.lat, "lon": hub.lon}},
        vehicles=[v.as_record() for v in vehicles_for(body, region)], jobs=[], time_budget_s=time_budget_s,
        replan_of=body.replan_of,
    )
