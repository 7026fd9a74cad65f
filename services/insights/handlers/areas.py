"""Which area a place belongs to: the region pack's villages and towns with their
municipality and population, and the nearest of them to a freight trip's or load's
origin (a name the region knows, else the nearest place within a radius)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

from nahnetz.geo import GeoPoint, haversine_m
from nahnetz.regions import Place, Region, load_region


PLACES_KEPT = 10_000  # origins looked up, kept (a bound, not a size ever expected)


@dataclass(frozen=True)
class RegionAreas:
    region: Region

    @property
    def name(self) -> str:
        return self.region.name

    @property
    def municipalities(self) -> tuple[str, ...]:
        return self.region.municipalities

    def villages_of(self, municipality: str) -> tuple[Place, ...]:
        """The municipality's places (the town itself and its villages) in the region pack."""
        return tuple(p for p in self.region.places if p.municipality == municipality)

    @cached_property
    def _found(self) -> dict[tuple[str, float, float, float], Place | None]:
        return {}

    def place_of(self, name: str, lat: float, lon: float, radius_km: float) -> Place | None:
        # Every answer asks this for each freight trip and load of its days; the region does not change.
        key = (name, lat, lon, radius_km)
        if key not in self._found:
            if len(self._found) >= PLACES_KEPT:
                self._found.clear()
            self._found[key] = self._nearest(name, lat, lon, radius_km)
        return self._found[key]

    def _nearest(self, name: str, lat: float, lon: float, radius_km: float) -> Place | None:
        for place in self.region.places:
            if place.name.casefold() == name.strip().casefold():
                return place
        here = GeoPoint(lat, lon)
        nearest = min(self.region.places, key=lambda p: haversine_m(here, GeoPoint(p.lat, p.lon)), default=None)
        if nearest is None or haversine_m(here, GeoPoint(nearest.lat, nearest.lon)) > radius_km * 1000:
            return None
        return nearest


@lru_cache(maxsize=4)
def region_areas(region: str) -> RegionAreas:
    return RegionAreas(load_region(region))
