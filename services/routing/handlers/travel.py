"""Travel distances and times for the solver, from the shared matrix provider
(`nahnetz.geo.matrix`): great circle x circuity with a speed profile by
default, OSRM's table service when ROUTING_OSRM_URL is set; either behind the
provider's pair cache, so repeated plans of a day cost nothing."""

from __future__ import annotations

from typing import Sequence

import httpx

from nahnetz.geo import CachedMatrix, GeoPoint, GreatCircleMatrix, MatrixProvider, OsrmMatrix

from ..domain.solver import Location, TravelMatrix

OSRM_TIMEOUT_S = 30.0


class TravelMatrixSource:
    """The solver's TravelMatrix for a problem's locations, in their order."""

    def __init__(self, provider: MatrixProvider, source: str, client: httpx.AsyncClient | None = None):
        self.provider = provider
        self.source = source  # recorded in RoutePlanned.matrix_source
        self._client = client

    async def matrix(self, locations: Sequence[Location]) -> TravelMatrix:
        points = [GeoPoint(loc.lat, loc.lon) for loc in locations]
        times = await self.provider.matrix(points)
        return TravelMatrix.from_rows(times.distances_m, times.durations_s)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()


def great_circle_source(circuity: float = 1.3) -> TravelMatrixSource:
    return TravelMatrixSource(CachedMatrix(GreatCircleMatrix(circuity)), "great-circle")


def osrm_source(base_url: str) -> TravelMatrixSource:
    # The client connects on first use, inside the worker's event loop.
    client = httpx.AsyncClient(timeout=OSRM_TIMEOUT_S)
    return TravelMatrixSource(CachedMatrix(OsrmMatrix(base_url, client)), "osrm", client)


def matrix_source(osrm_url: str | None, circuity: float) -> TravelMatrixSource:
    return osrm_source(osrm_url) if osrm_url else great_circle_source(circuity)
