"""The figures as GeoJSON (RFC 7946): a FeatureCollection a GIS or a web map opens as it is.

- one Point per area: the municipality and each village (and town) with its reach
  (`{"value", "suppressed"}` cells exactly as the JSON API shows them), the distance to
  the nearest supply site and, where the answer has figures by area, its KPI cells by
  period (`"periods": [{"start", "end", "values"}]`);
- one Point per pick-up point: a business, so it is named (id, name, kind, village,
  municipality, in service); no street address;
- the district's aggregate (open data) as the foreign member `district` of the
  collection: it has no point of its own (RFC 7946 §6.1 allows foreign members).

Coordinates are WGS 84 `[lon, lat]` (RFC 7946 §3.1.1), from the region pack and as
approximate as it says. An area the region pack does not know sits at the centre of
its pick-up points and shops; one with neither has `"geometry": null` (§3.2), so its
figures are not lost. Nothing about a resident is in the input, and the properties are
written field by field, never copied from a document.

    collection = figures_geojson(answer, region.places, known.points, known.shops, min_count=5)
"""

from __future__ import annotations

from datetime import date
from typing import Any, Iterable, Mapping

from nahnetz.regions import Place

from ..domain.catalogue import DISTRICT, MUNICIPALITY, VILLAGE

MEDIA_TYPE = "application/geo+json"
REGION_PACK, SITES = "region pack (approximate)", "centre of its pick-up points and shops"
AreaId = tuple[str, str, str]   # (level, municipality, name)


def point_geometry(lat: float, lon: float) -> dict[str, Any]:
    # Six decimals are ~0.1 m, finer than the region pack's positions; GeoJSON wants lon first.
    return {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}


def region_place(places: Iterable[Place], level: str, municipality: str, name: str) -> Place | None:
    """The region pack's place of an area: a village by name within its municipality, a
    municipality at its town (or the place of its name)."""
    candidates = [p for p in places if p.municipality == municipality and p.name == name]
    if level == MUNICIPALITY:
        candidates.sort(key=lambda p: not p.is_town)
    return candidates[0] if candidates else None


def _area_id(row: Mapping[str, Any]) -> AreaId:
    if row["level"] == MUNICIPALITY:
        return (MUNICIPALITY, row["name"], row["name"])
    return (VILLAGE, row["municipality"], row["name"])


def _iso(day: date | str) -> str:
    return day.isoformat() if isinstance(day, date) else day


def _sites_centre(sites: Iterable[Mapping[str, Any]]) -> tuple[float, float] | None:
    located = [(s["lat"], s["lon"]) for s in sites]
    if not located:
        return None
    return sum(lat for lat, _ in located) / len(located), sum(lon for _, lon in located) / len(located)


def _area_feature(area: AreaId, places: Iterable[Place], sites: list[Mapping[str, Any]],
                  reach_row: Mapping[str, Any] | None, periods: list[dict[str, Any]] | None,
                  min_count: int) -> dict[str, Any]:
    level, municipality, name = area
    place = region_place(places, level, municipality, name)
    geometry, position = None, None
    if place is not None:
        geometry, position = point_geometry(place.lat, place.lon), REGION_PACK
    else:
        mine = [s for s in sites
                if s["municipality"] == municipality and (level == MUNICIPALITY or s["village"] == name)]
        centre = _sites_centre(mine)
        if centre is not None:
            geometry, position = point_geometry(*centre), SITES
    properties: dict[str, Any] = {
        "feature": "area", "level": level, "name": name, "municipality": municipality, "position": position,
        # The region pack's rounded census estimate: published data about a place, not about
        # anyone. Held back below the threshold like the reach cells built from it.
        "population": place.population if place is not None and place.population >= min_count else None,
    }
    if reach_row is not None:
        properties["nearest_site_m"] = reach_row.get("nearest_site_m")
        properties["reach"] = reach_row["values"]
    if periods is not None:
        properties["periods"] = periods
    feature_id = f"{level}:{municipality}" if level == MUNICIPALITY else f"{level}:{municipality}:{name}"
    return {"type": "Feature", "id": feature_id, "geometry": geometry, "properties": properties}


def _point_feature(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "id": f"pickup_point:{doc['pickup_point_id']}",
            "geometry": point_geometry(doc["lat"], doc["lon"]),
            "properties": {"feature": "pickup_point", "id": doc["pickup_point_id"], "name": doc["name"],
                           "kind": doc["kind"], "village": doc["village"], "municipality": doc["municipality"],
                           "in_service": doc.get("in_service", True)}}


def figures_geojson(answer: Mapping[str, Any], places: Iterable[Place], points: Mapping[str, Mapping[str, Any]],
                    shops: Mapping[str, Mapping[str, Any]], min_count: int) -> dict[str, Any]:
    """The FeatureCollection of an insights answer (`municipality_figures` or the open
    data: its `periods`, `reach`, `municipality`): the answer's cells, unchanged."""
    places = tuple(places)
    municipality = answer.get("municipality")
    by_area: dict[AreaId, list[dict[str, Any]]] = {}
    district: list[dict[str, Any]] = []
    for period in answer["periods"]:
        span = {"start": _iso(period["start"]), "end": _iso(period["end"])}
        for row in period["areas"]:
            if row["level"] == DISTRICT:
                district.append({**span, "values": row["values"]})
            else:
                by_area.setdefault(_area_id(row), []).append({**span, "values": row["values"]})
    reach = answer.get("reach") or {}
    reach_rows = {_area_id(row): row for row in reach.get("areas", [])}

    def wanted(doc: Mapping[str, Any]) -> bool:
        return municipality is None or doc["municipality"] == municipality

    sites = [d for d in (*points.values(), *shops.values()) if wanted(d)]
    # Municipalities first, then villages, each by name: the same order on every call.
    areas = sorted(set(by_area) | set(reach_rows), key=lambda a: (a[0] != MUNICIPALITY, a[1], a[2]))
    features = [_area_feature(a, places, sites, reach_rows.get(a), by_area.get(a), min_count) for a in areas]
    features += [_point_feature(points[pid]) for pid in sorted(points) if wanted(points[pid])]
    collection: dict[str, Any] = {
        "type": "FeatureCollection", "features": features,
        "region": answer["region"], "municipality": municipality, "period": answer["period"],
        "from": _iso(answer["from"]), "to": _iso(answer["to"]), "co2_factor": answer["co2_factor"],
        "suppression_threshold": min_count,
    }
    if district:
        collection["district"] = {"name": answer["region"], "periods": district}
    if reach:
        collection["reach_reference"] = reach.get("reference")
        collection["reach_method"] = reach.get("method")
    return collection
