"""Geography shared by every service: points and the travel matrix provider."""

from .bounds import MAX_LATITUDE, Latitude, Longitude
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
    "MAX_LATITUDE",
    "Latitude",
    "Longitude",
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
