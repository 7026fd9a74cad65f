"""GeoJSON for the region map: places as point features, tours as lines. GeoJSON
writes longitude first (RFC 7946)."""

from __future__ import annotations

from typing import Any, Iterable


def point(lat: float, lon: float, name: str, kind: str, **properties: Any) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
            "properties": {"name": name, "kind": kind, **properties}}


def line(points: Iterable[tuple[float, float]], name: str, kind: str = "tour", **properties: Any) -> dict:
    return {"type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[round(lon, 6), round(lat, 6)] for lat, lon in points]},
            "properties": {"name": name, "kind": kind, **properties}}


def collection(features: Iterable[dict]) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}
