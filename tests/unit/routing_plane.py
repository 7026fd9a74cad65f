"""Routing problems on a plane for the solver's tests: straight-line metres, driven at 36 km/h
(easy arithmetic: 1 km = 100 s)."""

from __future__ import annotations

import math

from services.routing.domain.solver import Location, TravelMatrix

SPEED_MPS = 10.0


def plane(points: dict[str, tuple[float, float]]) -> tuple[tuple[Location, ...], TravelMatrix]:
    locations = tuple(Location(name, x=x, y=y) for name, (x, y) in points.items())
    coords = list(points.values())
    distances = [[round(math.dist(a, b)) for b in coords] for a in coords]
    durations = [[round(d / SPEED_MPS) for d in row] for row in distances]
    return locations, TravelMatrix.from_rows(distances, durations)
