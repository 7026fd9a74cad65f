"""The municipality's pages: its KPIs over time, the downloads and the monthly report,
all read from the insights API as the signed-in person (a municipality sees its own
municipality; operator and admin choose any with `?gemeinde=`).

| method | path | who | what |
|---|---|---|---|
| GET | /gemeinde | municipality, operator, admin | KPI cards, trends as SVG charts with their table, villages (reach and orders), reach map; `?period=day/week/month&from=&to=` |
| GET | /gemeinde/downloads | municipality, operator, admin | the downloads for the chosen range: CSV, GeoJSON, NGSI-LD, open data |
| GET | /gemeinde/downloads/{file} | municipality, operator, admin | one download, fetched from the insights API as this person and passed on as an attachment |
| GET | /gemeinde/bericht | municipality, operator, admin | the monthly report for print (A4), `?monat=YYYY-MM`, drawn here from the figures (the API's own HTML has inline styles our CSP forbids) |
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response

from nahnetz.clock import today_in_berlin
from nahnetz.kit.roles import Role

from .domain import charts
from .domain import figures as fig
from .domain.geo import collection
from .handlers.backend import ApiError, error_of
from .handlers.pages import Page, PageRefused, page_for
from .handlers.region import municipalities, region_named

READERS = (Role.MUNICIPALITY, Role.OPERATOR, Role.ADMIN)
CATALOGUE_TTL_S = 300.0
_catalogue: dict[str, Any] = {}
# The downloads: file -> (the API's path, {m} the municipality; the saved file's name, {a} the
# municipality in ASCII, {f} and {t} the range's days).
DOWNLOADS = {
    "figures.csv": ("/v1/insights/municipalities/{m}/figures.csv", "kennzahlen-{a}-{f}-{t}.csv"),
    "figures.geojson": ("/v1/insights/municipalities/{m}/figures.geojson", "kennzahlen-{a}-{f}-{t}.geojson"),
    "kpis.ngsi-ld.json": ("/v1/insights/municipalities/{m}/kpis.ngsi-ld.json", "kpis-{a}-{f}-{t}.ngsi-ld.json"),
    "open-data.json": ("/v1/insights/open-data", "open-data-{f}-{t}.json"),
    "open-data.geojson": ("/v1/insights/open-data.geojson", "open-data-{f}-{t}.geojson"),
    "open-data.ngsi-ld.json": ("/v1/insights/open-data.ngsi-ld.json", "open-data-{f}-{t}.ngsi-ld.json"),
}
VILLAGE_REPORT_KPIS = ("orders", "order_value", "assisted_share", "collected", "compartment_use", "active_shops")


def area_of(page: Page, gemeinde: str | None) -> str:
    """The municipality shown: a municipality's own; for staff the one asked for (else the first)."""
    if page.user.role == Role.MUNICIPALITY.value:
        own = page.user.municipality
        if not own:
            raise PageRefused(403, "Diesem Konto ist keine Gemeinde zugeordnet.", "This account has no municipality.")
        if gemeinde and gemeinde != own:
            raise PageRefused(403, "Sie sehen nur die Zahlen Ihrer Gemeinde.", "You see only your municipality's figures.")
        return own
    names = municipalities(region_named(page.web.region))
    if gemeinde and gemeinde not in names:
        raise PageRefused(404, "Diese Gemeinde gibt es in der Region nicht.", "There is no such municipality in the region.")
    return gemeinde or names[0]


def staff_choice(page: Page) -> list[str] | None:
    """The municipalities staff may choose from (None for a municipality)."""
    if page.user.role == Role.MUNICIPALITY.value:
        return None
    return municipalities(region_named(page.web.region))


async def catalogue_of(page: Page) -> dict[str, Any]:
    """The KPI catalogue (public and fixed while the service runs), kept a few minutes."""
    now = time.monotonic()
    if _catalogue.get("until", 0.0) > now:
        return _catalogue["data"]
    data = await page.backend.get("insights", "/v1/insights/kpis")
    _catalogue.update(data=data, until=now + CATALOGUE_TTL_S)
    return data


async def figures(page: Page, path: str, params: dict[str, str]) -> Any:
    """An insights answer for the signed-in person, from the short-lived figures cache."""
    return await page.request.app.state.figures_cache.get(
        page.user, path, params, lambda: page.backend.get("insights", path, user=page.user, params=params))


def area_path(municipality: str) -> str:
    return f"/v1/insights/municipalities/{quote(municipality, safe='')}"


def refusal(page: Page, template: str, exc: ApiError | fig.BadInput, **context: Any) -> HTMLResponse:
    if isinstance(exc, fig.BadInput):
        return page.render(template, status=422, error=page.t(exc.german, exc.english), **context)
    return page.render(template, status=exc.status if exc.status < 500 else 503, error=exc.message, **context)


def area_query(page: Page, municipality: str, **extra: str) -> str:
    """The query string that keeps the chosen municipality (staff) and the range."""
    params = {} if page.user.role == Role.MUNICIPALITY.value else {"gemeinde": municipality}
    params.update({k: v for k, v in extra.items() if v})
    return ("?" + urlencode(params)) if params else ""


def router() -> APIRouter:
    router = APIRouter(include_in_schema=False)
    reader = page_for(*READERS)

    @router.get("/gemeinde", response_class=HTMLResponse)
    async def dashboard(page: Page = Depends(reader), gemeinde: str | None = None, period: str | None = None,
                        first: str | None = Query(None, alias="from"), last: str | None = Query(None, alias="to")
                        ) -> Response:
        municipality = area_of(page, gemeinde)
        language = page.language
        context: dict[str, Any] = {"municipality": municipality, "choices": staff_choice(page),
                                   "period": period or "week", "first": first or "", "last": last or "",
                                   "links": area_query(page, municipality)}
        try:
            choice = fig.chosen_range(period, first, last, today_in_berlin())
            context.update(period=choice.period, first=choice.first.isoformat(), last=choice.last.isoformat())
            answer, district, catalogue = await asyncio.gather(
                figures(page, area_path(municipality), choice.params()),
                figures(page, "/v1/insights/district",
                                 choice.latest().params()),
                catalogue_of(page))
        except (ApiError, fig.BadInput) as exc:
            return refusal(page, "municipality/dashboard.html", exc, **context)
        threshold = int(catalogue.get("suppression_threshold", 5))
        kpis = fig.catalogue_by_id(catalogue)
        trends = []
        for kpi, kind in fig.TREND_KPIS:
            if kpi not in kpis:
                continue
            name = fig.kpi_name(kpis[kpi], kpi, language)
            unit = fig.unit_text(kpis[kpi]["unit"], language)
            label = f"{name} ({unit})" if unit else name
            data = fig.series(answer, kpi, kpis[kpi]["unit"], language, threshold=threshold)
            draw = charts.bar_chart if kind == "bars" else charts.line_chart
            trends.append({"name": label, "svg": draw(data, page.t(f"{label} je Zeitraum", f"{label} by period"))})
        reach = fig.reach_rows(answer, language, threshold)
        village_reach = [charts.Datum(r.name, r.share_2km, r.shares[1]) for r in reach if r.level == "village"]
        orders_unit = kpis.get("orders", {}).get("unit", "count")
        village_orders = fig.village_cells(answer, "orders", orders_unit, language, threshold)
        periods = answer.get("periods", [])
        latest = fig.period_span_text(periods[-1]["start"], periods[-1]["end"], language) if periods else ""
        region = region_named(page.web.region)
        places = {p.name: (p.lat, p.lon) for p in (*region.towns, *region.villages) if p.municipality == municipality}
        context.update(
            cards=fig.key_cards(answer, catalogue, language, district, threshold), latest=latest,
            trends=trends, table=fig.trend_table(answer, catalogue, language, threshold),
            reach=reach, threshold=threshold,
            reach_chart=charts.row_chart(village_reach, page.t(
                "Anteil der Einwohner im Umkreis von 2 km einer Abholstelle oder eines Ladens, je Ort",
                "Share of residents within 2 km of a pick-up point or shop, by village"), top=100.0),
            orders_chart=charts.row_chart(village_orders, page.t(
                f"Bestellungen je Ort ({latest})", f"Orders by village ({latest})")) if village_orders else None,
            village_orders=village_orders,
            features=collection(fig.reach_features(reach, places, language)),
            tile_url=page.web.tile_url, tile_attribution=page.web.tile_attribution)
        return page.render("municipality/dashboard.html", **context)

    @router.get("/gemeinde/downloads", response_class=HTMLResponse)
    async def downloads(page: Page = Depends(reader), gemeinde: str | None = None, period: str | None = None,
                        first: str | None = Query(None, alias="from"), last: str | None = Query(None, alias="to"),
                        style: str = "de") -> Response:
        municipality = area_of(page, gemeinde)
        context: dict[str, Any] = {"municipality": municipality, "choices": staff_choice(page),
                                   "period": period or "day", "first": first or "", "last": last or "",
                                   "style": style if style in ("de", "intl") else "de",
                                   "links": area_query(page, municipality)}
        try:
            choice = fig.chosen_range(period or "day", first, last, today_in_berlin())
        except fig.BadInput as exc:
            return refusal(page, "municipality/downloads.html", exc, **context)
        context.update(period=choice.period, first=choice.first.isoformat(), last=choice.last.isoformat(),
                       span=fig.period_span_text(choice.first.isoformat(), choice.last.isoformat(), page.language))
        query = area_query(page, municipality, **choice.params())
        context["files"] = {name: f"/gemeinde/downloads/{name}{query}" for name in DOWNLOADS}
        context["files"]["figures.csv"] = "/gemeinde/downloads/figures.csv" + area_query(
            page, municipality, **choice.params(), style=context["style"])
        context["report"] = "/gemeinde/bericht" + area_query(page, municipality)
        return page.render("municipality/downloads.html", **context)

    @router.get("/gemeinde/downloads/{file}")
    async def download(file: str, page: Page = Depends(reader), gemeinde: str | None = None,
                       period: str | None = None, first: str | None = Query(None, alias="from"),
                       last: str | None = Query(None, alias="to"), style: str = "de") -> Response:
        if file not in DOWNLOADS:
            raise PageRefused(404, "Diese Datei gibt es nicht.", "There is no such file.")
        municipality = area_of(page, gemeinde)
        try:
            choice = fig.chosen_range(period or "day", first, last, today_in_berlin())
        except fig.BadInput as exc:
            raise PageRefused(422, exc.german, exc.english) from None
        params = choice.params()
        if file == "figures.csv":
            params["style"] = style if style in ("de", "intl") else "de"
        path, saved = DOWNLOADS[file]
        try:
            answer = await page.backend.call("insights", "GET", path.format(m=quote(municipality, safe="")),
                                             user=page.user, params=params)
        except ApiError as exc:
            raise PageRefused(503, exc.message, exc.message) from None
        if answer.status_code >= 400:
            exc = error_of(answer)
            raise PageRefused(exc.status if exc.status < 500 else 503, exc.message, exc.message)
        name = saved.format(a=fig.ascii_name(municipality), f=choice.first, t=choice.last)
        return Response(answer.content, media_type=answer.headers.get("content-type", "application/octet-stream"),
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @router.get("/gemeinde/bericht", response_class=HTMLResponse)
    async def report(page: Page = Depends(reader), gemeinde: str | None = None,
                     monat: str | None = None) -> Response:
        municipality = area_of(page, gemeinde)
        language = page.language
        context: dict[str, Any] = {"municipality": municipality, "choices": staff_choice(page), "month": monat or "",
                                   "links": area_query(page, municipality)}
        try:
            first = fig.report_month(monat, today_in_berlin())
            last = fig.month_end(first)
            context["month"] = f"{first:%Y-%m}"
            monthly, daily, district, catalogue = await asyncio.gather(
                figures(page, area_path(municipality), {
                    "period": "month", "from": fig.months_before(first, 1).isoformat(), "to": last.isoformat()}),
                figures(page, area_path(municipality), {
                    "period": "day", "from": first.isoformat(), "to": last.isoformat()}),
                figures(page, "/v1/insights/district", {
                    "period": "month", "from": first.isoformat(), "to": last.isoformat()}),
                catalogue_of(page))
        except (ApiError, fig.BadInput) as exc:
            return refusal(page, "municipality/report.html", exc, **context)
        threshold = int(catalogue.get("suppression_threshold", 5))
        kpis = fig.catalogue_by_id(catalogue)
        orders_unit = kpis.get("orders", {}).get("unit", "count")
        daily_orders = fig.series(daily, "orders", orders_unit, language, threshold=threshold)
        context.update(
            title=fig.month_title(first, language), threshold=threshold,
            groups=fig.report_groups(monthly, catalogue, language, threshold),
            logistics=fig.logistics_rows(district, catalogue, language, threshold),
            villages=fig.village_table(monthly, catalogue, VILLAGE_REPORT_KPIS, language, threshold),
            reach=fig.reach_rows(monthly, language, threshold),
            daily_chart=charts.bar_chart(daily_orders, page.t(
                f"Bestellungen je Tag im {fig.month_title(first, language)}",
                f"Orders per day in {fig.month_title(first, language)}")),
            daily_orders=daily_orders,
            definitions=[(fig.kpi_name(k, k["id"], language), k["formula"], fig.unit_text(k["unit"], language))
                         for k in catalogue.get("kpis", []) if k["id"] in fig.CARD_KPIS],
            co2=monthly.get("co2_factor"), region_name=monthly.get("region", ""))
        return page.render("municipality/report.html", **context)

    return router
