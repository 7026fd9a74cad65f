"""The geometry of reach: the straight-line distance from each village of the region
pack to the nearest pick-up point in service or open shop selling daily goods, as
the worker knows them now (`domain.coverage` weighs them by population).

A village's residents all count at its approximate centre (region pack), so the
figure is coarse: a village is in reach or not. What it would need to be finer:
residents' addresses on a grid (Zensus 100 m cells), and a road matrix (OSRM) for
distances by road; neither is in the region packs yet. "With free room" is not
applied either: a point's room changes by the day, reach is about where people live.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from nahnetz.geo import GeoPoint, haversine_m
from nahnetz.regions import Place

from ..domain.coverage import VillageDistance

# Shops where people buy everyday food and drink (not a pharmacy or "other").
DAILY_GOODS_SHOPS = frozenset({"VILLAGE_SHOP", "GROCERY", "BAKERY", "BUTCHER", "FARM", "MARKET_STALL", "BEVERAGES"})


def supply_sites(points: Mapping[str, dict], shops: Mapping[str, dict]) -> list[GeoPoint]:
    sites = [GeoPoint(p["lat"], p["lon"]) for p in points.values() if p.get("in_service", True)]
    sites += [GeoPoint(s["lat"], s["lon"]) for s in shops.values()
              if s.get("open", True) and s.get("kind") in DAILY_GOODS_SHOPS]
    return sites


def village_distances(villages: Iterable[Place], sites: list[GeoPoint]) -> list[VillageDistance]:
    out = []
    for village in villages:
        centre = GeoPoint(village.lat, village.lon)
        nearest = min((haversine_m(centre, site) for site in sites), default=None)
        out.append(VillageDistance(village.name, village.municipality, village.population,
                                   None if nearest is None else round(nearest, 1)))
    return out
