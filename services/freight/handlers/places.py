"""Named places people pick from (the towns and villages, pick-up points, shops and
hub of every region pack) and the travel matrix between places.

A request names a place by `place_id` (a region's place name such as "Brakel", a
pick-up point id, a shop id or the hub id) or gives a name with coordinates (an
address someone read off a map). An unknown `place_id` is a 422 naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

from nahnetz.geo import GeoPoint, GreatCircleMatrix, MatrixProvider, TravelTimes
from nahnetz.regions import REGIONS_DIR, load_region


@dataclass(frozen=True)
class KnownPlace:
    place_id: str
    name: str
    lat: float
    lon: float


@lru_cache(maxsize=1)
def known_places() -> dict[str, KnownPlace]:
    """Every region pack's places, pick-up points, shops and hub, by id (case as written)."""
    found: dict[str, KnownPlace] = {}
    for path in sorted(REGIONS_DIR.glob("*.yaml")):
        try:
            region = load_region(path.stem)
        except Exception:  # a region pack someone is still writing: skip it, not the service
            continue
        found[region.hub.id] = KnownPlace(region.hub.id, region.hub.name, region.hub.lat, region.hub.lon)
        for place in (*region.places, *region.outside):  # outside: where trips go (Passau)
            found.setdefault(place.name, KnownPlace(place.name, place.name, place.lat, place.lon))
        for site in (*region.pickup_points, *region.shops):
            found[site.id] = KnownPlace(site.id, f"{site.name}, {site.place.name}", site.lat, site.lon)
    return found


def find_place(place_id: str) -> KnownPlace | None:
    places = known_places()
    return places.get(place_id) or places.get(place_id.strip()) or next(
        (p for key, p in places.items() if key.casefold() == place_id.strip().casefold()), None)


@lru_cache(maxsize=4)
def matrix_provider(circuity: float = 1.3) -> MatrixProvider:
    # No pair cache: a round's great-circle matrix costs less to compute afresh than to
    # look up pair by pair (1,200 places are 1.4 million pairs).
    return GreatCircleMatrix(circuity)


async def travel_times(points: Sequence[tuple[float, float]], circuity: float = 1.3) -> TravelTimes:
    return await matrix_provider(circuity).matrix([GeoPoint(lat, lon) for lat, lon in points])
