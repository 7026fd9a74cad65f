"""HTTP routes: each checks who may see which area, reads (`queries.py`) and shapes
the answer. Nothing here computes a figure.

Who may see what:
- the KPI catalogue and the open data (the district's figures in aggregate, reach
  per municipality and village) are public: aggregates only, suppressed below five;
- a municipality (role `municipality`, its token's `municipality` claim) sees its
  own municipality in detail (by village) and the district only in aggregate; another
  municipality's detail is 403;
- operator and admin see every municipality in detail and the district by municipality;
- a shop sees its own figures (`/shops/{shop_id}`), another shop's is 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from nahnetz.clock import today_in_berlin
from nahnetz.kit.api import RedisDep, from_state
from nahnetz.kit.auth import Role, User, require_roles, visible_area
from nahnetz.kit.errors import Forbidden, NotFound, Unprocessable
from nahnetz.kit.http_errors import error_responses
from nahnetz.kit.request_model import Day

from . import queries
from .domain.catalogue import CATALOGUE
from .domain.coverage import NATIONAL_REFERENCE
from .domain.days import Period, period_end, period_start, whole_periods
from .handlers.export import figures_csv
from .http_models import FiguresOut, KpiCatalogue
from .settings import InsightsSettings

Reader = Annotated[User, Depends(require_roles(Role.MUNICIPALITY, Role.OPERATOR, Role.ADMIN))]
ShopReader = Annotated[User, Depends(require_roles(Role.SHOP, Role.OPERATOR, Role.ADMIN))]
InsightsDep = Annotated[InsightsSettings, Depends(from_state("insights"))]
DEFAULT_DAYS = 30
EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)
BAD_RANGE = (Unprocessable, "`from` after `to`, outside 2000-2999, or a longer range than the service answers")
NO_MUNICIPALITY = (NotFound, "No such municipality in the region")


@dataclass(frozen=True)
class Range:
    """The `period`, `from` and `to` query parameters, checked: from <= to, at most INSIGHTS_MAX_DAYS days;
    widened to whole weeks or months (never a cut one). Default: the last 30 days up to today (Europe/Berlin)."""

    period: Period
    first: date
    last: date


def time_range(insights: InsightsDep,
               period: Annotated[Literal["day", "week", "month"], Query(description="day, week (ISO) or month")] = "day",
               first: Annotated[Day | None, Query(alias="from", description="first day (YYYY-MM-DD)")] = None,
               last: Annotated[Day | None, Query(alias="to", description="last day (YYYY-MM-DD), default today")] = None,
               ) -> Range:
    last = last or today_in_berlin()
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    problems = []
    for name, day in (("from", first), ("to", last)):
        if not EARLIEST <= day <= LATEST:
            problems.append({"field": name, "message": f"a day between {EARLIEST} and {LATEST}"})
    if not problems and first > last:
        problems.append({"field": "from", "message": "from is after to"})
    if not problems and (last - first).days + 1 > insights.max_days:
        problems.append({"field": "from", "message": f"at most {insights.max_days} days at once"})
    if problems:
        raise Unprocessable("; ".join(f"{p['field']}: {p['message']}" for p in problems), details={"problems": problems})
    return Range(Period(period), *whole_periods(first, last, Period(period)))


RangeDep = Annotated[Range, Depends(time_range)]


def own_area(municipality: str, user: Reader) -> str:
    """The municipality asked for, if the caller may see it in detail (before anything is read)."""
    visible_area(user, municipality)
    return municipality


AreaDep = Annotated[str, Depends(own_area)]


def _rows(figures: queries.PeriodFigures, keys_: list[queries.AreaKey], insights: InsightsSettings) -> list[dict]:
    return [queries.area_row(k, figures.tallies.get(k), insights) for k in keys_]


def _answer(insights: InsightsSettings, r: Range, periods: list[dict], municipality: str | None = None,
            reach: dict | None = None) -> dict[str, Any]:
    return {"region": queries.region_areas(insights.region).name, "municipality": municipality,
            "period": r.period.value, "from": r.first, "to": r.last, "co2_factor": insights.co2,
            "periods": periods, "reach": reach}


def _by_day_span(r: Range) -> tuple[date, date]:
    """Days are judged with their whole weeks and months around them, whichever range
    is asked, so every answer hides the same days."""
    first = min(period_start(r.first, Period.WEEK), period_start(r.first, Period.MONTH))
    last = max(period_end(r.last, Period.WEEK), period_end(r.last, Period.MONTH))
    return first, last


async def _periods_and_rows(redis, insights: InsightsSettings, r: Range, rows_of,
                            municipality: str | None = None) -> list[dict[str, Any]]:
    """Each period's rows (`rows_of(figures)`); by day, protected over time as well."""
    if r.period is not Period.DAY:
        periods = await queries.period_figures(redis, insights, r.first, r.last, r.period)
        return [{"start": p.start, "end": p.end, "areas": rows_of(p)} for p in periods]
    periods = await queries.period_figures(redis, insights, *_by_day_span(r), r.period)
    rows = [rows_of(p) for p in periods]
    queries.guard_days(periods, rows, insights, municipality)
    return [{"start": p.start, "end": p.end, "areas": areas} for p, areas in zip(periods, rows)
            if r.first <= p.start <= r.last]


async def municipality_figures(redis, insights: InsightsSettings, municipality: str, r: Range) -> dict[str, Any]:
    if not await queries.is_known_municipality(redis, insights, municipality):
        raise NotFound(f"Gemeinde {municipality} ist nicht bekannt (no municipality {municipality} in the region)")
    villages = queries.villages_with_sites(await queries.known(redis), municipality)
    rows = await _periods_and_rows(redis, insights, r,
                                   lambda p: queries.detail_rows(p, municipality, villages, insights), municipality)
    return _answer(insights, r, rows, municipality, await queries.reach(redis, insights, municipality))


async def open_data_figures(redis, insights: InsightsSettings, r: Range) -> dict[str, Any]:
    """The public open data: the district's figures in aggregate and reach per municipality and village."""
    district = await _periods_and_rows(redis, insights, r, lambda p: _rows(p, [queries.DISTRICT_KEY], insights))
    return _answer(insights, r, district, reach=await queries.reach(redis, insights))


def insights_router() -> APIRouter:
    router = APIRouter(prefix="/v1/insights", tags=["insights"])

    @router.get("/kpis", response_model=KpiCatalogue)
    async def kpi_catalogue(insights: InsightsDep) -> dict[str, Any]:
        """Public: every KPI with its German and English name, formula, unit, the areas it
        is given for and the count below which a cell is suppressed."""
        return {"kpis": [k.as_json() for k in CATALOGUE], "suppression_threshold": insights.min_count,
                "co2_factor": insights.co2, "national_reference": NATIONAL_REFERENCE}

    @router.get("/municipalities/{municipality}", response_model=FiguresOut,
                responses=error_responses(BAD_RANGE, NO_MUNICIPALITY))
    async def municipality(municipality: AreaDep, r: RangeDep, redis: RedisDep,
                           insights: InsightsDep) -> dict[str, Any]:
        """A municipality's figures by period: the municipality and each village with a pick-up
        point or shop, and reach per village. Its own municipality for the role municipality
        (another's is 403), any for operator and admin."""
        return await municipality_figures(redis, insights, municipality, r)

    @router.get("/municipalities/{municipality}/figures.csv", response_class=Response,
                responses={200: {"description": "UTF-8 with BOM; `style=de`: `;` and decimal comma, "
                                                "`style=intl`: `,` and point; formulas defused",
                                 "content": {"text/csv": {"schema": {"type": "string"}}}},
                           **error_responses(BAD_RANGE, NO_MUNICIPALITY)})
    async def municipality_csv(municipality: AreaDep, r: RangeDep, redis: RedisDep,
                               insights: InsightsDep, style: Literal["de", "intl"] = "de") -> Response:
        """The municipality's figures as CSV (same callers as its figures)."""
        answer = await municipality_figures(redis, insights, municipality, r)
        text = figures_csv(answer["periods"], style, answer["region"])
        filename = "kennzahlen-" + "".join(c if c.isascii() and c.isalnum() else "_" for c in municipality)
        return Response(text, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'})

    @router.get("/shops/{shop_id}", responses=error_responses(
        BAD_RANGE, (Forbidden, "A shop sees only its own figures"), (NotFound, "No such shop")))
    async def shop(shop_id: str, user: ShopReader, r: RangeDep, redis: RedisDep) -> dict[str, Any]:
        """A shop's own figures by period: its orders, goods listed, whether it is active. The
        shop itself (another shop's is 403), operator and admin; a municipality sees shops only
        in aggregate (the trade KPIs of its figures)."""
        if user.role is Role.SHOP and user.shop_id != shop_id:
            raise Forbidden(f"shop {user.shop_id} sees only its own figures, not those of shop {shop_id}")
        if shop_id not in (await queries.known(redis)).shops:
            raise NotFound(f"Laden {shop_id} ist nicht bekannt (no shop {shop_id})")
        return {"shop_id": shop_id, "period": r.period.value, "from": r.first, "to": r.last,
                "definitions": queries.SHOP_FIGURES,
                "periods": await queries.shop_periods(redis, shop_id, r.first, r.last, r.period)}

    @router.get("/district", response_model=FiguresOut, responses=error_responses(BAD_RANGE))
    async def district(user: Reader, r: RangeDep, redis: RedisDep, insights: InsightsDep) -> dict[str, Any]:
        """The district's figures: in aggregate for a municipality; by municipality too for
        operator and admin."""
        area_keys = [queries.DISTRICT_KEY]
        if user.is_staff:
            names = sorted(set(queries.region_areas(insights.region).municipalities)
                           | (await queries.known(redis)).municipalities())
            area_keys += [queries.municipality_key(m) for m in names]
        return _answer(insights, r, await _periods_and_rows(redis, insights, r, lambda p: _rows(p, area_keys, insights)))

    @router.get("/open-data", response_model=FiguresOut, responses=error_responses(BAD_RANGE))
    async def open_data(r: RangeDep, redis: RedisDep, insights: InsightsDep) -> dict[str, Any]:
        """Public open data without personal information: the district's figures in aggregate
        (cells below the threshold suppressed) and reach per municipality and village."""
        return await open_data_figures(redis, insights, r)

    return router


