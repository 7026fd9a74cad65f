"""A trip with spare room, and a load looking for a ride.

Places are indices into one travel matrix (`nahnetz.geo.TravelTimes`), so the
rules here never compute a distance themselves; times are seconds since the
epoch (UTC). A trip may leave any time in its departure window and must arrive
by `arrive_by`; a load is picked up within its pick-up window and dropped within
its delivery window (arriving early means waiting).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

TEMPERATURES = ("AMBIENT", "CHILLED", "FROZEN")


class Matrix(Protocol):
    """Row i, column j: from place i to place j (`nahnetz.geo.TravelTimes` is one)."""

    distances_m: Sequence[Sequence[int]]
    durations_s: Sequence[Sequence[int]]


@dataclass(frozen=True)
class Window:
    start: int
    end: int

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"a window ends before it starts: {self.start} > {self.end}")


@dataclass(frozen=True)
class Trip:
    trip_id: str
    origin: int                 # index into the travel matrix
    destination: int
    departure: Window
    arrive_by: int | None = None
    spare_weight_g: int = 0
    spare_volume_ml: int = 0
    temperature: str = "AMBIENT"      # the coldest class the vehicle keeps (a cooler box: CHILLED)
    max_detour_m: int | None = None   # None: as far as the windows allow
    max_detour_s: int | None = None
    via: tuple[int, ...] = ()         # places the trip passes anyway, in this order
    spare_parcels: int | None = None  # room counted in pieces (crates, boxes); None: not counted

    def keeps(self, temperature: str) -> bool:
        """Whether goods of `temperature` may ride: a freezer keeps chilled goods too."""
        return TEMPERATURES.index(temperature) <= TEMPERATURES.index(self.temperature)


@dataclass(frozen=True)
class Load:
    load_id: str
    origin: int
    destination: int
    pickup: Window
    delivery: Window
    weight_g: int
    volume_ml: int
    temperature: str = "AMBIENT"
    parcels: int = 1
