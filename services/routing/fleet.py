"""The region's fleet as vehicles for one day's plan.

The region pack gives shifts in local time (Europe/Berlin); a plan needs them
as UTC instants of the planning day, which differ between summer and winter.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timezone
from typing import Any, Iterable, Mapping
from zoneinfo import ZoneInfo

from nahnetz.regions import Region, VehicleSeed

BERLIN = ZoneInfo("Europe/Berlin")
TEMPERATURE_CLASSES = ("AMBIENT", "CHILLED", "FROZEN")


def local_instant(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=BERLIN).astimezone(timezone.utc)


def local_midnight(day: date) -> datetime:
    """The start of `day` in Europe/Berlin, as a UTC instant: time 0 of a plan."""
    return local_instant(day, time(0))


@dataclass(frozen=True)
class VehicleRecord:
    """A vehicle of a plan request (the `nahnetz.logistics.Vehicle` record)."""

    vehicle_id: str
    max_weight_g: int
    max_volume_ml: int
    temperature_classes: tuple[str, ...]
    shift_start: datetime  # UTC
    shift_end: datetime
    name: str | None = None
    driver_id: str | None = None
    cost_per_km_cents: int | None = None
    cost_per_hour_cents: int | None = None
    fixed_cost_cents: int | None = None

    def problems(self) -> list[str]:
        found = []
        if self.max_weight_g <= 0 or self.max_volume_ml <= 0:
            found.append(f"vehicle {self.vehicle_id}: capacity must be positive")
        if not self.temperature_classes:
            found.append(f"vehicle {self.vehicle_id}: carries no temperature class")
        unknown = set(self.temperature_classes) - set(TEMPERATURE_CLASSES)
        if unknown:
            found.append(f"vehicle {self.vehicle_id}: unknown temperature classes {sorted(unknown)}")
        if self.shift_end <= self.shift_start:
            found.append(f"vehicle {self.vehicle_id}: the shift ends before it starts")
        return found

    def as_record(self) -> dict[str, Any]:
        def money(cents: int | None) -> dict[str, Any] | None:
            return None if cents is None else {"amount_cents": cents, "currency": "EUR"}

        return {
            "vehicle_id": self.vehicle_id, "name": self.name, "max_weight_g": self.max_weight_g,
            "max_volume_ml": self.max_volume_ml, "temperature_classes": list(self.temperature_classes),
            "shift": {"start": self.shift_start, "end": self.shift_end}, "driver_id": self.driver_id,
            "cost_per_km": money(self.cost_per_km_cents), "cost_per_hour": money(self.cost_per_hour_cents),
            "fixed_cost": money(self.fixed_cost_cents),
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> VehicleRecord:
        def cents(money: Mapping[str, Any] | None) -> int | None:
            return None if money is None else int(money["amount_cents"])

        return cls(
            vehicle_id=record["vehicle_id"], max_weight_g=record["max_weight_g"],
            max_volume_ml=record["max_volume_ml"], temperature_classes=tuple(record["temperature_classes"]),
            shift_start=record["shift"]["start"], shift_end=record["shift"]["end"], name=record.get("name"),
            driver_id=record.get("driver_id"), cost_per_km_cents=cents(record.get("cost_per_km")),
            cost_per_hour_cents=cents(record.get("cost_per_hour")), fixed_cost_cents=cents(record.get("fixed_cost")),
        )


def fleet_vehicle(seed: VehicleSeed, day: date) -> VehicleRecord:
    """A fleet vehicle on `day`, its local shift turned into UTC."""
    return VehicleRecord(
        vehicle_id=seed.id, name=seed.name, max_weight_g=seed.max_kg * 1000, max_volume_ml=seed.max_litres * 1000,
        temperature_classes=tuple(seed.temperatures), shift_start=local_instant(day, seed.shift_start),
        shift_end=local_instant(day, seed.shift_end), cost_per_km_cents=seed.cost_per_km_cents,
        cost_per_hour_cents=seed.cost_per_hour_cents, fixed_cost_cents=seed.fixed_cents,
    )


def region_fleet(region: Region, day: date) -> list[VehicleRecord]:
    return [fleet_vehicle(seed, day) for seed in region.fleet]


def with_changes(vehicle: VehicleRecord, changes: Mapping[str, Any]) -> VehicleRecord:
    """The vehicle with some fields replaced (an operator's change for one plan)."""
    return replace(vehicle, **{k: v for k, v in changes.items() if v is not None})


def unique_ids_problem(vehicles: Iterable[VehicleRecord]) -> str | None:
    ids = [v.vehicle_id for v in vehicles]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    return f"vehicle ids must be unique; repeated: {', '.join(duplicates)}" if duplicates else None
