"""HTTP routes of the exports for GIS and urban data platforms: the same answers as the
JSON routes (`routes.py`: the same callers, ranges and suppression), shaped as GeoJSON
(`handlers/geojson.py`) or as NGSI-LD KPI entities (`handlers/ngsi_ld.py`).

| path | roles | as |
|---|---|---|
| /municipalities/{municipality}/figures.geojson | municipality (its own), operator, admin | application/geo+json |
| /municipalities/{municipality}/kpis.ngsi-ld.json | municipality (its own), operator, admin | application/ld+json |
| /open-data.geojson | anyone (public) | application/geo+json |
| /open-data.ngsi-ld.json | anyone (public) | application/ld+json |
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from nahnetz.clock import today_in_berlin
from nahnetz.kit.api import RedisDep
from nahnetz.kit.http_errors import error_responses

from . import queries
from .handlers import geojson, ngsi_ld
from .routes import (BAD_RANGE, NO_MUNICIPALITY, AreaDep, InsightsDep, RangeDep, municipality_figures,
                     open_data_figures)
from .settings import InsightsSettings


class GeoJsonResponse(JSONResponse):
    media_type = geojson.MEDIA_TYPE


class JsonLdResponse(JSONResponse):
    media_type = ngsi_ld.MEDIA_TYPE


_GEOJSON_OK = {200: {"description": "A GeoJSON FeatureCollection (RFC 7946), WGS 84, [lon, lat]",
                     "content": {geojson.MEDIA_TYPE: {"schema": {
                         "type": "object", "required": ["type", "features"],
                         "properties": {"type": {"const": "FeatureCollection"}, "features": {"type": "array"}}}}}}}
_NGSI_LD_OK = {200: {"description": "NGSI-LD entities of the FIWARE Smart Data Model KeyPerformanceIndicator, "
                                    "keyValues; a suppressed cell has no kpiValue",
                     "content": {ngsi_ld.MEDIA_TYPE: {"schema": {
                         "type": "array", "items": {"type": "object", "required": ["id", "type"]}}}}}}


async def _geojson(redis, insights: InsightsSettings, answer: dict[str, Any]) -> GeoJsonResponse:
    known = await queries.known(redis)
    places = queries.region_areas(insights.region).region.places
    return GeoJsonResponse(geojson.figures_geojson(answer, places, known.points, known.shops, insights.min_count))


def _ngsi_ld(insights: InsightsSettings, answer: dict[str, Any]) -> JsonLdResponse:
    region = queries.region_areas(insights.region).region
    return JsonLdResponse(ngsi_ld.kpi_entities(answer, region.id, region.places, today_in_berlin(), insights.min_count))


def exports_router() -> APIRouter:
    router = APIRouter(prefix="/v1/insights", tags=["insights"])

    @router.get("/municipalities/{municipality}/figures.geojson", response_class=GeoJsonResponse,
                responses={**_GEOJSON_OK, **error_responses(BAD_RANGE, NO_MUNICIPALITY)})
    async def municipality_geojson(municipality: AreaDep, r: RangeDep, redis: RedisDep,
                                   insights: InsightsDep) -> GeoJsonResponse:
        """The municipality's figures as GeoJSON: a point per village with its reach and its
        KPI cells by period, and a point per pick-up point. Same callers as its figures: its
        own municipality for the role municipality (another's is 403), any for operator and admin."""
        return await _geojson(redis, insights, await municipality_figures(redis, insights, municipality, r))

    @router.get("/municipalities/{municipality}/kpis.ngsi-ld.json", response_class=JsonLdResponse,
                responses={**_NGSI_LD_OK, **error_responses(BAD_RANGE, NO_MUNICIPALITY)})
    async def municipality_ngsi_ld(municipality: AreaDep, r: RangeDep, redis: RedisDep,
                                   insights: InsightsDep) -> JsonLdResponse:
        """The municipality's figures as NGSI-LD KeyPerformanceIndicator entities (keyValues).
        Same callers as its figures: its own municipality for the role municipality, any for
        operator and admin."""
        return _ngsi_ld(insights, await municipality_figures(redis, insights, municipality, r))

    @router.get("/open-data.geojson", response_class=GeoJsonResponse,
                responses={**_GEOJSON_OK, **error_responses(BAD_RANGE)})
    async def open_data_geojson(r: RangeDep, redis: RedisDep, insights: InsightsDep) -> GeoJsonResponse:
        """Public: the open data as GeoJSON: reach per municipality and village, every pick-up
        point, the district's aggregate figures; no personal data."""
        return await _geojson(redis, insights, await open_data_figures(redis, insights, r))

    @router.get("/open-data.ngsi-ld.json", response_class=JsonLdResponse,
                responses={**_NGSI_LD_OK, **error_responses(BAD_RANGE)})
    async def open_data_ngsi_ld(r: RangeDep, redis: RedisDep, insights: InsightsDep) -> JsonLdResponse:
        """Public: the open data as NGSI-LD KeyPerformanceIndicator entities (keyValues): the
        district's figures and reach per municipality and village; no personal data."""
        return _ngsi_ld(insights, await open_data_figures(redis, insights, r))

    return router
