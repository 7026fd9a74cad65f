"""What a place's coordinates may be: the range the stores can index.

Redis GEO (like every Web-Mercator index) holds latitudes up to ±85.05112878°;
a point beyond would be accepted by the API and then fail in the worker. Every
API that takes coordinates checks this range at the edge instead.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MAX_LATITUDE = 85.05112878
MAX_LONGITUDE = 180.0

Latitude = Annotated[float, Field(ge=-MAX_LATITUDE, le=MAX_LATITUDE,
                                  description="degrees north; Redis GEO indexes up to ±85.05112878")]
Longitude = Annotated[float, Field(ge=-MAX_LONGITUDE, le=MAX_LONGITUDE, description="degrees east")]
