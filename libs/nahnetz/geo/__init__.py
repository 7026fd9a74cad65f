"""Geography shared by every service: points and the travel matrix provider."""

from .matrix import (
    CachedMatrix,
    GeoPoint,
    GreatCircleMatrix,
    MatrixProvider,
    MatrixUnavailable,
    OsrmMatrix,
    SpeedProfile,
    TravelTimes,
    haversine_m,
)

__all__ = [
    "CachedMatrix",
    "GeoPoint",
    "GreatCircleMatrix",
    "MatrixProvider",
    "MatrixUnavailable",
    "OsrmMatrix",
    "SpeedProfile",
    "TravelTimes",
    "haversine_m",
]
