"""HTTP route of the monthly report: a municipality's month as an A4 page for its council
(HTML with a print stylesheet; the council meets on paper).

Same callers and the same suppression as the municipality's figures: the figures are
`routes.municipality_figures`' answers, by month (the month and up to five before it)
and by day (the chart); `handlers/report.py` only shapes them into the page.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse

from nahnetz.clock import today_in_berlin, utc_now
from nahnetz.kit.api import RedisDep
from nahnetz.kit.errors import Unprocessable
from nahnetz.kit.http_errors import error_responses

from . import queries
from .domain.catalogue import KPIS
from .domain.days import Period
from .handlers.report import build_report, compared_from, month_range, render_report, report_month
from .routes import NO_MUNICIPALITY, AreaDep, InsightsDep, Range, municipality_figures

BAD_MONTH = (Unprocessable, "`month` not YYYY-MM, before 2000-01, or not begun yet")


def asked_month(month: Annotated[str | None, Query(
        description="YYYY-MM; default the last complete month (Europe/Berlin)", examples=["2026-03"],
        max_length=20)] = None) -> date:
    """The first day of the month asked for, checked before anything is read."""
    try:
        return report_month(month, today_in_berlin())
    except ValueError as problem:
        raise Unprocessable(str(problem), details={"problems": [{"field": "month", "message": str(problem)}]})


MonthDep = Annotated[date, Depends(asked_month)]


def report_router() -> APIRouter:
    router = APIRouter(prefix="/v1/insights", tags=["insights"])

    @router.get("/municipalities/{municipality}/report", response_class=HTMLResponse,
                responses={200: {"description": "The monthly report as HTML for A4 print (no JavaScript)",
                                 "content": {"text/html": {"schema": {"type": "string"}}}},
                           **error_responses(BAD_MONTH, NO_MUNICIPALITY)})
    async def municipality_report(municipality: AreaDep, first: MonthDep, redis: RedisDep,
                                  insights: InsightsDep) -> HTMLResponse:
        """The municipality's monthly report for the council, an A4 page (HTML with a print
        stylesheet): the month's KPIs beside the month before, villages, reach, charts,
        definitions. Its own municipality for the role municipality (another's is 403), any
        for operator and admin; cells suppressed exactly as in its figures."""
        _, last = month_range(first)
        monthly = await municipality_figures(redis, insights, municipality,
                                             Range(Period.MONTH, compared_from(first), last))
        daily = await municipality_figures(redis, insights, municipality, Range(Period.DAY, first, last))
        # Logistics is given for the district only (tours serve every municipality); its
        # cells have no personal basis, and a municipality may see the district in aggregate.
        district = (await queries.period_figures(redis, insights, first, last, Period.MONTH))[0]
        district_cells = {k: v for k, v in queries.area_row(queries.DISTRICT_KEY, district.tallies.get(
            queries.DISTRICT_KEY), insights)["values"].items() if KPIS[k].group == "logistics"}
        report = build_report(first, monthly, daily, district_cells, utc_now(), insights.min_count, today_in_berlin())
        return HTMLResponse(render_report(report))

    return router
