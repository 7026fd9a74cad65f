"""The hub's delivery day: where the hub and the customers are, what each customer
gets, how much a tour carries, and which occasional driver may take which parcel
for what compensation."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

DEPOT = 0  # node id of the hub; customers have ids 1, 2, ...


@dataclass(frozen=True)
class Customer:
    id: int
    x: float
    y: float
    demand: int


@dataclass(frozen=True)
class OccasionalDriver:
    """A driver leaving the hub anyway. `compensation` maps each customer the driver
    may serve (their detour is acceptable) to what serving it costs."""

    id: int
    compensation: Mapping[int, float]
    destination: tuple[float, float] | None = None  # for display only: not used by the rules


@dataclass(frozen=True)
class HubInstance:
    depot: tuple[float, float]
    customers: tuple[Customer, ...]
    capacity: int
    drivers: tuple[OccasionalDriver, ...] = ()
    name: str = ""
    _points: dict[int, tuple[float, float]] = field(init=False, repr=False, compare=False)
    _customers: dict[int, Customer] = field(init=False, repr=False, compare=False)
    _drivers: dict[int, OccasionalDriver] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ids = [c.id for c in self.customers]
        if len(set(ids)) != len(ids) or DEPOT in ids:
            raise ValueError("customer ids must be distinct and not 0 (the hub)")
        if self.capacity <= 0:
            raise ValueError("capacity must be positive")
        known = set(ids)
        for driver in self.drivers:
            unknown = set(driver.compensation) - known
            if unknown:
                raise ValueError(f"driver {driver.id} is eligible for unknown customers {sorted(unknown)}")
        if len({d.id for d in self.drivers}) != len(self.drivers):
            raise ValueError("driver ids must be distinct")
        points = {DEPOT: (float(self.depot[0]), float(self.depot[1]))}
        points.update({c.id: (float(c.x), float(c.y)) for c in self.customers})
        # Frozen dataclass: the lookup tables are set once, here.
        object.__setattr__(self, "_points", points)
        object.__setattr__(self, "_customers", {c.id: c for c in self.customers})
        object.__setattr__(self, "_drivers", {d.id: d for d in self.drivers})

    def distance(self, a: int, b: int) -> float:
        """Euclidean, in double precision (never rounded: the objective uses it as is)."""
        (xa, ya), (xb, yb) = self._points[a], self._points[b]
        return math.hypot(xa - xb, ya - yb)

    def customer(self, customer_id: int) -> Customer | None:
        return self._customers.get(customer_id)

    def driver(self, driver_id: int) -> OccasionalDriver | None:
        return self._drivers.get(driver_id)
