"""The region's fleet as vehicles for one day's plan (pure).

The region pack gives shifts in local time (Europe/Berlin); a plan needs them
as UTC instants of the planning day, which differ between summer and winter.
A plan's vehicle is the event's own record (`nahnetz.records.Vehicle`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Iterable

from nahnetz.clock import BERLIN
from nahnetz.records import Money, TemperatureClass, TimeWindow, Vehicle
from nahnetz.regions import Region, VehicleSeed


def local_instant(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=BERLIN).astimezone(timezone.utc)


def local_midnight(day: date) -> datetime:
    """The start of `day` in Europe/Berlin, as a UTC instant: time 0 of a plan."""
    return local_instant(day, time(0))


def money(cents: int | None) -> Money | None:
    return None if cents is None else Money(amount_cents=cents, currency="EUR")


def cents(amount: Money | None) -> int | None:
    return None if amount is None else amount.amount_cents


def fleet_vehicle(seed: VehicleSeed, day: date) -> Vehicle:
    """A fleet vehicle on `day`, its local shift turned into UTC."""
    return Vehicle(
        vehicle_id=seed.id, name=seed.name, max_weight_g=seed.max_kg * 1000, max_volume_ml=seed.max_litres * 1000,
        temperature_classes=[TemperatureClass(t) for t in seed.temperatures],
        shift=TimeWindow(start=local_instant(day, seed.shift_start), end=local_instant(day, seed.shift_end)),
        cost_per_km=money(seed.cost_per_km_cents), cost_per_hour=money(seed.cost_per_hour_cents),
        fixed_cost=money(seed.fixed_cents),
    )


def region_fleet(region: Region, day: date) -> list[Vehicle]:
    return [fleet_vehicle(seed, day) for seed in region.fleet]


def vehicle_problems(vehicle: Vehicle) -> list[str]:
    """What makes the vehicle unusable for a plan, in words for the operator."""
    found = []
    if vehicle.max_weight_g <= 0 or vehicle.max_volume_ml <= 0:
        found.append(f"vehicle {vehicle.vehicle_id}: capacity must be positive")
    if not vehicle.temperature_classes:
        found.append(f"vehicle {vehicle.vehicle_id}: carries no temperature class")
    unknown = {str(t) for t in vehicle.temperature_classes} - {c.value for c in TemperatureClass}
    if unknown:
        found.append(f"vehicle {vehicle.vehicle_id}: unknown temperature classes {sorted(unknown)}")
    if vehicle.shift.end <= vehicle.shift.start:
        found.append(f"vehicle {vehicle.vehicle_id}: the shift ends before it starts")
    return found


def unique_ids_problem(vehicles: Iterable[Vehicle]) -> str | None:
    ids = [v.vehicle_id for v in vehicles]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    return f"vehicle ids must be unique; repeated: {', '.join(duplicates)}" if duplicates else None
