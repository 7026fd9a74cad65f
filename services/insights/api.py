"""The supply insights' API: KPIs per municipality and village, the district, open data.

| method | path | roles (and on whose data) | answers |
|---|---|---|---|
| GET | /v1/insights/kpis | anyone (public) | 200 (catalogue: names de/en, formula, unit, suppression) |
| GET | /v1/insights/municipalities/{municipality}?period=&from=&to= | municipality (its own), operator, admin | 200, 403 (another municipality), 404, 422 |
| GET | /v1/insights/municipalities/{municipality}/figures.csv?style=de or intl | municipality (its own), operator, admin | 200 (CSV), 403, 404, 422 |
| GET | /v1/insights/municipalities/{municipality}/report?month=YYYY-MM | municipality (its own), operator, admin | 200 (HTML for A4 print), 403, 404, 422 |
| GET | /v1/insights/shops/{shop_id}?period=&from=&to= | shop (its own), operator, admin | 200 (its orders, goods listed, active), 403 (another shop), 404, 422 |
| GET | /v1/insights/district?period=&from=&to= | municipality (aggregate only), operator, admin (by municipality too) | 200, 422 |
| GET | /v1/insights/open-data?period=&from=&to= | anyone (public): district aggregate and reach, no personal data | 200, 422 |
| GET | /v1/insights/municipalities/{municipality}/figures.geojson?period=&from=&to= | municipality (its own), operator, admin | 200 (GeoJSON: villages with reach and figures, pick-up points), 403, 404, 422 |
| GET | /v1/insights/municipalities/{municipality}/kpis.ngsi-ld.json?period=&from=&to= | municipality (its own), operator, admin | 200 (NGSI-LD KeyPerformanceIndicator entities), 403, 404, 422 |
| GET | /v1/insights/open-data.geojson?period=&from=&to= | anyone (public) | 200 (GeoJSON: reach per village, pick-up points, district aggregate), 422 |
| GET | /v1/insights/open-data.ngsi-ld.json?period=&from=&to= | anyone (public) | 200 (NGSI-LD entities: district and reach), 422 |

Every cell built from fewer than five orders or residents is `{"value": null,
"suppressed": true}`.

    python -m services.insights.api
"""

from __future__ import annotations

from fastapi import FastAPI

from nahnetz.kit.api import create_api, serve
from nahnetz.kit.settings import Settings, load_settings

from .export_routes import exports_router
from .report_routes import report_router
from .routes import insights_router
from .settings import InsightsSettings, load_insights_settings


def create_app(settings: Settings | None = None, insights: InsightsSettings | None = None) -> FastAPI:
    settings = settings or load_settings()
    insights = insights or load_insights_settings(settings)
    app = create_api(settings, title="Nahnetz supply insights",
                     routers=[insights_router(), exports_router(), report_router()],
                     description="Versorgungskennzahlen für Gemeinden / supply KPIs for municipalities: "
                                 "per village, municipality and district; aggregates only.")
    app.state.insights = insights
    return app


if __name__ == "__main__":
    serve(create_app)
