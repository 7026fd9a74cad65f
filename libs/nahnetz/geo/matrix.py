"""Travel distances and times between points: the one matrix provider interface.

    provider = CachedMatrix(GreatCircleMatrix())            # default, offline
    provider = CachedMatrix(OsrmMatrix("http://osrm:5000", client))  # with OSRM
    distances_m, durations_s = await provider.matrix([GeoPoint(51.77, 9.38), ...])

Great circle x circuity: rural roads wind, so the straight line is stretched by
a factor (1.3 is a common estimate for hilly rural districts such as the
Weser uplands). Speeds by stretch of a leg: its first kilometres go through
villages, the next on country roads, the rest on open road. Charging each
stretch its own speed keeps time growing with distance and short hops never
faster than long ones.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections import OrderedDict
from dataclasses import dataclass
from typing import NamedTuple, Sequence

import httpx
import numpy as np

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)


@dataclass(frozen=True)
class GeoPoint:
    """WGS84 coordinates in decimal degrees (as schemas/common/GeoPoint.avsc)."""

    lat: float
    lon: float

    def __post_init__(self) -> None:
        if not (-90 <= self.lat <= 90 and -180 <= self.lon <= 180):
            raise ValueError(f"not a WGS84 coordinate: {self.lat}, {self.lon}")


class TravelTimes(NamedTuple):
    """Row i, column j: from point i to point j. Unpacks as (distances_m, durations_s)."""

    distances_m: list[list[int]]
    durations_s: list[list[int]]


class MatrixUnavailable(RuntimeError):
    """The provider could not answer (service down, a point not on the road network)."""


class MatrixProvider(ABC):
    @abstractmethod
    async def matrix(self, points: Sequence[GeoPoint]) -> TravelTimes: ...


def haversine_m(a: GeoPoint, b: GeoPoint) -> float:
    """Great-circle distance in metres."""
    phi1, phi2 = math.radians(a.lat), math.radians(b.lat)
    dphi = phi2 - phi1
    dlambda = math.radians(b.lon - a.lon)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class SpeedProfile:
    """Speed per stretch of a leg, like tax brackets: the first `village_m` metres
    at `village_kmh`, up to `country_m` at `country_kmh`, the rest at `open_road_kmh`."""

    village_m: float = 2_000
    village_kmh: float = 30
    country_m: float = 15_000
    country_kmh: float = 55
    open_road_kmh: float = 75

    @classmethod
    def constant(cls, kmh: float) -> SpeedProfile:
        return cls(village_kmh=kmh, country_kmh=kmh, open_road_kmh=kmh)

    def seconds(self, road_m: float) -> float:
        village = min(road_m, self.village_m)
        country = min(max(road_m - self.village_m, 0.0), self.country_m - self.village_m)
        open_road = max(road_m - self.country_m, 0.0)
        return (village / self.village_kmh + country / self.country_kmh + open_road / self.open_road_kmh) * 3.6


class GreatCircleMatrix(MatrixProvider):
    def __init__(self, circuity: float = 1.3, speeds: SpeedProfile = SpeedProfile()) -> None:
        if circuity < 1:
            raise ValueError("a road is never shorter than the straight line: circuity >= 1")
        self.circuity = circuity
        self.speeds = speeds

    async def matrix(self, points: Sequence[GeoPoint]) -> TravelTimes:
        # All pairs at once with numpy (`haversine_m` and `SpeedProfile.seconds` as arrays,
        # rounding half to even as round() does): a round of 1,200 places in a fraction of a second.
        lat = np.radians(np.fromiter((p.lat for p in points), dtype=float, count=len(points)))
        lon = np.fromiter((p.lon for p in points), dtype=float, count=len(points))
        dphi = lat[None, :] - lat[:, None]
        dlambda = np.radians(lon[None, :] - lon[:, None])
        h = np.sin(dphi / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlambda / 2) ** 2
        road = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h))) * self.circuity
        s = self.speeds
        village = np.minimum(road, s.village_m)
        country = np.minimum(np.maximum(road - s.village_m, 0.0), s.country_m - s.village_m)
        open_road = np.maximum(road - s.country_m, 0.0)
        seconds = (village / s.village_kmh + country / s.country_kmh + open_road / s.open_road_kmh) * 3.6
        distances, durations = np.rint(road).astype(np.int64), np.rint(seconds).astype(np.int64)
        np.fill_diagonal(distances, 0)
        np.fill_diagonal(durations, 0)
        return TravelTimes(distances.tolist(), durations.tolist())


class OsrmMatrix(MatrixProvider):
    """OSRM's table service. Large requests go in blocks of at most
    `max_points` sources and destinations (OSRM's --max-table-size, 100 by default)."""

    def __init__(
        self, base_url: str, client: httpx.AsyncClient, profile: str = "driving", max_points: int = 100
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = client
        self.profile = profile
        self.max_points = max(2, max_points)

    async def matrix(self, points: Sequence[GeoPoint]) -> TravelTimes:
        n = len(points)
        distances = [[0] * n for _ in range(n)]
        durations = [[0] * n for _ in range(n)]
        step = max(1, self.max_points // 2)
        blocks = [list(range(start, min(start + step, n))) for start in range(0, n, step)]
        for sources in blocks:
            for destinations in blocks:
                await self._fill(points, sources, destinations, distances, durations)
        return TravelTimes(distances, durations)

    async def _fill(
        self,
        points: Sequence[GeoPoint],
        sources: list[int],
        destinations: list[int],
        distances: list[list[int]],
        durations: list[list[int]],
    ) -> None:
        same = sources == destinations
        used = sources if same else sources + destinations
        coords = ";".join(f"{points[i].lon:.6f},{points[i].lat:.6f}" for i in used)
        params = {"annotations": "distance,duration"}
        if not same:
            params["sources"] = ";".join(str(k) for k in range(len(sources)))
            params["destinations"] = ";".join(str(len(sources) + k) for k in range(len(destinations)))
        url = f"{self.base_url}/table/v1/{self.profile}/{coords}"
        try:
            response = await self.client.get(url, params=params)
        except httpx.HTTPError as e:
            raise MatrixUnavailable(f"OSRM not reachable: {e}") from e
        try:
            body = response.json()
        except ValueError:
            raise MatrixUnavailable(f"OSRM answered {response.status_code} without JSON") from None
        if response.status_code != 200 or body.get("code") != "Ok":
            raise MatrixUnavailable(f"OSRM answered {response.status_code}: {body.get('code')} {body.get('message', '')}")
        for r, i in enumerate(sources):
            for c, j in enumerate(destinations):
                distance = body["distances"][r][c]
                duration = body["durations"][r][c]
                if distance is None or duration is None:
                    raise MatrixUnavailable(f"OSRM finds no route from point {i} to point {j}")
                distances[i][j] = round(distance)
                durations[i][j] = round(duration)


class CachedMatrix(MatrixProvider):
    """Remembers pairs in memory (least recently used pairs go first), keyed by
    coordinates rounded to about a metre. A request whose pairs are all known
    costs nothing; otherwise the provider is asked for the whole request."""

    def __init__(self, provider: MatrixProvider, max_pairs: int = 1_000_000, decimals: int = 5) -> None:
        self.provider = provider
        self.max_pairs = max_pairs
        self.decimals = decimals
        self._pairs: OrderedDict[tuple[tuple[float, float], tuple[float, float]], tuple[int, int]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def _key(self, p: GeoPoint) -> tuple[float, float]:
        return (round(p.lat, self.decimals), round(p.lon, self.decimals))

    async def matrix(self, points: Sequence[GeoPoint]) -> TravelTimes:
        keys = [self._key(p) for p in points]
        known = self._lookup(keys)
        if known is not None:
            self.hits += 1
            return known
        self.misses += 1
        fresh = await self.provider.matrix(points)
        for i, a in enumerate(keys):
            for j, b in enumerate(keys):
                self._store((a, b), (fresh.distances_m[i][j], fresh.durations_s[i][j]))
        return fresh

    def _lookup(self, keys: list[tuple[float, float]]) -> TravelTimes | None:
        n = len(keys)
        distances = [[0] * n for _ in range(n)]
        durations = [[0] * n for _ in range(n)]
        for i, a in enumerate(keys):
            for j, b in enumerate(keys):
                pair = self._pairs.get((a, b))
                if pair is None:
                    return None
                self._pairs.move_to_end((a, b))
                distances[i][j], durations[i][j] = pair
        return TravelTimes(distances, durations)

    def _store(self, key: tuple[tuple[float, float], tuple[float, float]], value: tuple[int, int]) -> None:
        self._pairs[key] = value
        self._pairs.move_to_end(key)
        while len(self._pairs) > self.max_pairs:
            self._pairs.popitem(last=False)
