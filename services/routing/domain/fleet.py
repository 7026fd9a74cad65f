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

# Regulation (EC) 561/2006, art. 7: at most 4.5 h of driving, then a break of at least 45 min.
EU_DRIVING_BEFORE_BREAK_S = 16_200
EU_BREAK_S = 2_700
MAX_TRIPS = 4  # a day has room for a few rounds from the hub, not a shuttle service


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
        break_after_s=EU_DRIVING_BEFORE_BREAK_S if seed.breaks else None,
        break_s=EU_BREAK_S if seed.breaks else None,
        max_trips=seed.max_trips, reload_s=seed.reload_minutes * 60,
    )


def region_fleet(region: Region, day: date) -> list[Vehicle]:
    return [fleet_vehicle(seed, day) for seed in region.fleet]


def vehicle_problems(vehicle: Vehicle) -> list[str]:
    """What makes the vehicle unusable for a plan, in words for the operator."""
    found = []
    if vehicle.break_after_s is not None and not 3600 <= vehicle.break_after_s <= EU_DRIVING_BEFORE_BREAK_S:
        found.append(f"vehicle {vehicle.vehicle_id}: breaks come after 1 to 4.5 hours of driving "
                     f"({EU_DRIVING_BEFORE_BREAK_S} s at most)")
    if vehicle.break_s is not None and not EU_BREAK_S <= vehicle.break_s <= 4 * 3600:
        found.append(f"vehicle {vehicle.vehicle_id}: a break lasts 45 minutes to 4 hours")
    if vehicle.max_trips is not None and not 1 <= vehicle.max_trips <= MAX_TRIPS:
        found.append(f"vehicle {vehicle.vehicle_id}: 1 to {MAX_TRIPS} trips a day")
    if vehicle.reload_s is not None and not 0 <= vehicle.reload_s <= 4 * 3600:
        found.append(f"vehicle {vehicle.vehicle_id}: a reload takes 0 to 4 hours")
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
