"""Travel distances and times between places, for the solver's matrix.

The shared library is meant to provide this (`nahnetz.geo.matrix`: great-circle
x circuity with a speed profile, OSRM when configured). Until it exists this
module gives the routing service the default provider with the same rule, so
the worker depends only on `MatrixProvider` and switches by replacing
`default_provider()`.

Great circle x circuity: rural roads in the Weser uplands wind; 1.3 times the
straight line is a common estimate for such regions. Speed profile: the first
kilometres of a leg are driven through villages, longer legs on country roads.
Pairs are cached, so repeated plans of a day do not recompute them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, Sequence

from .solver import Location, TravelMatrix

EARTH_RADIUS_M = 6_371_000.0


class MatrixProvider(Protocol):
    source: str

    def matrix(self, locations: Sequence[Location]) -> TravelMatrix: ...


@dataclass(frozen=True)
class SpeedProfile:
    """Speed by stretch of a leg: the first `village_m` at `village_kmh`, up to
    `country_m` at `country_kmh`, the rest at `open_road_kmh`."""

    village_m: float = 2_000
    village_kmh: float = 30
    country_m: float = 15_000
    country_kmh: float = 55
    open_road_kmh: float = 75

    def seconds(self, distance_m: float) -> float:
        first = min(distance_m, self.village_m)
        second = min(max(distance_m - self.village_m, 0), self.country_m - self.village_m)
        rest = max(distance_m - self.country_m, 0)
        return (first / self.village_kmh + second / self.country_kmh + rest / self.open_road_kmh) * 3.6


def great_circle_m(a: Location, b: Location) -> float:
    if None in (a.lat, a.lon, b.lat, b.lon):
        raise ValueError(f"{a.id} or {b.id} has no coordinates")
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


class GreatCircleMatrix:
    """Road distance = great-circle distance x circuity; time from the speed profile."""

    source = "great-circle"
    MAX_CACHED_PAIRS = 250_000

    def __init__(self, circuity: float = 1.3, profile: SpeedProfile = SpeedProfile()):
        if circuity < 1:
            raise ValueError("a road is never shorter than the straight line: circuity must be >= 1")
        self.circuity = circuity
        self.profile = profile
        self._pairs: dict[tuple[float, float, float, float], tuple[int, int]] = {}

    def leg(self, a: Location, b: Location) -> tuple[int, int]:
        """(metres, seconds) from a to b."""
        if (a.lat, a.lon) == (b.lat, b.lon):
            return 0, 0
        key = (round(a.lat, 6), round(a.lon, 6), round(b.lat, 6), round(b.lon, 6))
        found = self._pairs.get(key)
        if found is None:
            metres = great_circle_m(a, b) * self.circuity
            found = (int(round(metres)), int(math.ceil(self.profile.seconds(metres))))
            if len(self._pairs) >= self.MAX_CACHED_PAIRS:
                self._pairs.clear()
            self._pairs[key] = found
        return found

    def matrix(self, locations: Sequence[Location]) -> TravelMatrix:
        legs = [[self.leg(a, b) for b in locations] for a in locations]
        return TravelMatrix.from_rows([[m for m, _ in row] for row in legs], [[s for _, s in row] for row in legs])


def default_provider(circuity: float = 1.3) -> MatrixProvider:
    return GreatCircleMatrix(circuity)
