"""The geometry of reach: the straight-line distance from each village of the region
pack to the nearest pick-up point in service or open shop selling daily goods, as
the worker knows them now (`domain.coverage` weighs them by population).

A pick-up point counts while it has free room: not full today (every compartment
held for the day, or an order refused as FULL), as the day's cell shows; a full
point is no help to a resident who would order now.

By road where a road matrix is configured (INSIGHTS_OSRM_URL: OSRM's table
service, as the routing service uses it): the shortest road distance from the
village centre to any site. Without one, or when it does not answer, the road
shares have no value, and the answer says why.

A village's residents all count at its approximate centre (region pack), so the
figure is coarse: a village is in reach or not. What it would need to be finer:
residents' addresses on a grid (Zensus 100 m cells).
"""

from __future__ import annotations

from typing import Collection, Iterable, Mapping, Sequence

from nahnetz.geo import GeoPoint, MatrixProvider, haversine_m
from nahnetz.regions import Place

from ..domain.coverage import VillageDistance

# Shops where people buy everyday food and drink (not a pharmacy or "other").
DAILY_GOODS_SHOPS = frozenset({"VILLAGE_SHOP", "GROCERY", "BAKERY", "BUTCHER", "FARM", "MARKET_STALL", "BEVERAGES"})


def supply_sites(points: Mapping[str, dict], shops: Mapping[str, dict],
                 full: Collection[str] = frozenset()) -> list[GeoPoint]:
    """Pick-up points in service with free room (not in `full`), and open shops selling daily goods."""
    sites = [GeoPoint(p["lat"], p["lon"]) for pid, p in points.items() if p.get("in_service", True) and pid not in full]
    sites += [GeoPoint(s["lat"], s["lon"]) for s in shops.values()
              if s.get("open", True) and s.get("kind") in DAILY_GOODS_SHOPS]
    return sites


def village_distances(villages: Iterable[Place], sites: list[GeoPoint],
                      road_m: Sequence[float | None] | None = None) -> list[VillageDistance]:
    """Each village's straight-line distance to the nearest site (and its road distance, when measured)."""
    out = []
    for n, village in enumerate(villages):
        centre = GeoPoint(village.lat, village.lon)
        nearest = min((haversine_m(centre, site) for site in sites), default=None)
        out.append(VillageDistance(village.name, village.municipality, village.population,
                                   None if nearest is None else round(nearest, 1),
                                   by_road=road_m is not None, road_m=None if road_m is None else road_m[n]))
    return out


async def road_distances(villages: Sequence[Place], sites: list[GeoPoint],
                         provider: MatrixProvider) -> list[float | None]:
    """By road, from each village centre to its nearest site (None for all: no site).
    Raises MatrixUnavailable when the road matrix does not answer or finds no route."""
    if not sites:
        return [None] * len(villages)
    centres = [GeoPoint(v.lat, v.lon) for v in villages]
    distances = (await provider.matrix([*centres, *sites])).distances_m
    first_site = len(centres)
    out: list[float | None] = []
    for row in distances[:first_site]:
        out.append(float(min(row[first_site:])))
    return out
