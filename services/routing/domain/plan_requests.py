"""What an operator's plan request becomes (pure): the rules the API used to
decide in its route.

    fields = decide(asked, today=..., region=..., budget=Budget(10, 120), earlier=None, plan_id=...)
    new_event(RoutePlanRequested, producer=..., actor=..., **fields)

In order, each refused with a clear message (`Unprocessable`, a 422):
- the day must be today or later (Europe/Berlin);
- the time budget (the default when none is asked for) must not exceed the most allowed;
- a re-plan (`replan_of`) must name a known plan of the same day;
- the vehicles: none named means the region's whole fleet with its shifts; a fleet
  vehicle named by its id alone is taken as the region pack describes it, and any
  field given replaces the fleet's value for this plan; a vehicle outside the fleet
  needs capacity, temperature classes and shift. Every vehicle must be usable and
  its id unique.
Shifts are asked in local time and recorded as UTC instants of the planning day.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, time
from typing import Any

from nahnetz.kit.errors import Unprocessable
from nahnetz.records import Depot, GeoPoint, TemperatureClass, TimeWindow, Vehicle
from nahnetz.regions import Region, VehicleSeed

from .fleet import (EU_BREAK_S, EU_DRIVING_BEFORE_BREAK_S, fleet_vehicle, local_instant, money, unique_ids_problem,
                    vehicle_problems)


@dataclass(frozen=True)
class VehicleAsked:
    """A vehicle as the operator names it; None: as the fleet has it."""

    vehicle_id: str
    name: str | None = None
    max_weight_kg: float | None = None
    max_volume_l: float | None = None
    temperature_classes: tuple[str, ...] | None = None
    shift_start: time | None = None  # local time on the planning day
    shift_end: time | None = None
    driver_id: str | None = None
    cost_per_km_cents: int | None = None
    breaks: bool | None = None   # driver breaks after Regulation (EC) 561/2006
    max_trips: int | None = None


@dataclass(frozen=True)
class PlanAsked:
    """An operator asks for tours of a day."""

    day: date
    vehicles: tuple[VehicleAsked, ...] | None = None  # None: the region's fleet
    time_budget_s: int | None = None
    replan_of: str | None = None


@dataclass(frozen=True)
class Budget:
    """Seconds the solver may search: when none is asked for, and at most."""

    default_s: int
    max_s: int


@dataclass(frozen=True)
class KnownPlan:
    """A plan the read model knows, as far as a re-plan of it needs."""

    plan_id: str
    day: str | None  # ISO date, as the read model shows it


def decide(asked: PlanAsked, *, today: date, region: Region, budget: Budget, earlier: KnownPlan | None,
           plan_id: str) -> dict[str, Any]:
    """The fields of RoutePlanRequested for the request, or `Unprocessable`.
    `earlier`: the plan named by `replan_of`, None when it is not known."""
    if asked.day < today:
        raise Unprocessable(f"{asked.day.isoformat()} is past; plans are made for today or later")
    seconds = time_budget(asked, budget)
    if asked.replan_of is not None:
        check_replan(asked, earlier)
    return request_fields(asked, region, plan_id=plan_id, time_budget_s=seconds)


def time_budget(asked: PlanAsked, budget: Budget) -> int:
    seconds = asked.time_budget_s or budget.default_s
    if seconds > budget.max_s:
        raise Unprocessable(f"time_budget_s may be at most {budget.max_s}")
    return seconds


def check_replan(asked: PlanAsked, earlier: KnownPlan | None) -> None:
    if earlier is None:
        raise Unprocessable(f"plan {asked.replan_of} (replan_of) is not known")
    if earlier.day != asked.day.isoformat():
        raise Unprocessable(f"plan {asked.replan_of} is for {earlier.day}, not {asked.day.isoformat()}")


def request_fields(asked: PlanAsked, region: Region, *, plan_id: str, time_budget_s: int) -> dict[str, Any]:
    """The request's fields: the region's hub as depot, the vehicles, no extra jobs."""
    hub = region.hub
    return {
        "plan_id": plan_id, "day": asked.day,
        "depot": Depot(depot_id=hub.id, name=hub.name, location=GeoPoint(lat=hub.lat, lon=hub.lon)),
        "vehicles": vehicles_for(asked, region), "jobs": [], "time_budget_s": time_budget_s,
        "replan_of": asked.replan_of,
    }


def vehicles_for(asked: PlanAsked, region: Region) -> list[Vehicle]:
    fleet = {seed.id: seed for seed in region.fleet}
    if asked.vehicles is None:
        if not fleet:
            raise Unprocessable(f"the region {region.name} has no fleet; name the vehicles")
        return [fleet_vehicle(seed, asked.day) for seed in region.fleet]
    vehicles = [_vehicle(v, asked.day, fleet) for v in asked.vehicles]
    problems = [p for v in vehicles for p in vehicle_problems(v)]
    duplicate = unique_ids_problem(vehicles)
    if duplicate:
        problems.append(duplicate)
    if problems:
        raise Unprocessable("; ".join(problems), details={"problems": problems})
    return vehicles


def _vehicle(given: VehicleAsked, day: date, fleet: dict[str, VehicleSeed]) -> Vehicle:
    changes: dict[str, Any] = {
        "name": given.name, "driver_id": given.driver_id, "cost_per_km": money(given.cost_per_km_cents),
        "max_weight_g": None if given.max_weight_kg is None else int(round(given.max_weight_kg * 1000)),
        "max_volume_ml": None if given.max_volume_l is None else int(round(given.max_volume_l * 1000)),
        "temperature_classes": (None if given.temperature_classes is None
                                else [TemperatureClass(t) for t in given.temperature_classes]),
        "max_trips": given.max_trips,
    }
    # Breaks asked for or not (False: none planned, whatever the fleet says); None keeps the fleet's.
    breaks = {} if given.breaks is None else {"break_after_s": EU_DRIVING_BEFORE_BREAK_S if given.breaks else None,
                                              "break_s": EU_BREAK_S if given.breaks else None}
    start = None if given.shift_start is None else local_instant(day, given.shift_start)
    end = None if given.shift_end is None else local_instant(day, given.shift_end)
    seed = fleet.get(given.vehicle_id)
    if seed is not None:
        vehicle = fleet_vehicle(seed, day)
        shift = TimeWindow(start=start or vehicle.shift.start, end=end or vehicle.shift.end)
        return replace(vehicle, shift=shift, **{k: v for k, v in changes.items() if v is not None}, **breaks)
    missing = [name for name, value in (("max_weight_kg", changes["max_weight_g"]),
                                        ("max_volume_l", changes["max_volume_ml"]),
                                        ("temperature_classes", changes["temperature_classes"]),
                                        ("shift_start", start), ("shift_end", end))
               if value is None]
    if missing:
        raise Unprocessable(f"vehicle {given.vehicle_id} is not in the fleet; it needs {', '.join(missing)}")
    return Vehicle(vehicle_id=given.vehicle_id, shift=TimeWindow(start=start, end=end),
                   **{k: v for k, v in changes.items() if v is not None}, **breaks)
