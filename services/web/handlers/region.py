"""The region pack (`nahnetz.regions`): villages, towns and municipalities for maps
and lists. Static reference data shipped with the code, so reading it is not
reaching into another service's store; shops and pick-up points come from the APIs."""

from __future__ import annotations

from functools import lru_cache

from nahnetz.regions import Region, load_region

from ..domain.geo import point


@lru_cache(maxsize=4)
def region_named(name: str) -> Region:
    return load_region(name)


def place_features(region: Region, municipality: str | None = None) -> list[dict]:
    """Villages and towns as map points (optionally of one municipality), and the hub."""
    places = [p for p in (*region.towns, *region.villages) if municipality in (None, p.municipality)]
    features = [point(p.lat, p.lon, p.name, "town" if p.is_town else "village",
                      note=f"{p.municipality} · {p.population} Einw.") for p in places]
    features.append(point(region.hub.lat, region.hub.lon, region.hub.name, "hub"))
    return features


def municipalities(region: Region) -> list[str]:
    return sorted({p.municipality for p in (*region.towns, *region.villages)})
