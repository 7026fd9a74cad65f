"""The shop's pages: its goods, opening hours, the CSV import and the packing list.
Everything goes through the catalog and orders APIs as the signed-in shop
(`page.user.shop_id`); catalog writes answer 202 and show up once the worker has
applied them, so a write redirects with a notice ("being applied").

| method | path | who | what |
|---|---|---|---|
| GET | /laden | shop | own goods with stock; forms to add, edit, count stock, delist |
| POST | /laden/waren | shop | list a new product (catalog POST /v1/shops/{shop}/products) |
| POST | /laden/waren/{product_id} | shop | change name, unit, price, description (PATCH /v1/products/{id}) |
| POST | /laden/waren/{product_id}/bestand | shop | set the counted stock or change it by units |
| POST | /laden/waren/{product_id}/auslisten | shop | delist a product |
| GET, POST | /laden/profil | shop | opening hours and contact (PATCH /v1/shops/{shop}) |
| GET, POST | /laden/import | shop | CSV upload; the report names every bad row with its line |
| GET | /laden/import/produkte.csv | shop | the current product list as CSV (download) |
| GET | /laden/packliste | shop | a day's packing list (orders API), printable; `?day=YYYY-MM-DD` |
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from nahnetz.clock import today_in_berlin
from nahnetz.kit.roles import Role

from .domain import packing
from .domain.shop_forms import (CATEGORIES, SLOTS, STOCK_REASONS, TEMPERATURES, VAT_RATES, WEEKDAY_NAMES, WEEKDAYS,
                                FormError, contact_body, euros, hours_body, hours_form, import_result,
                                product_body, product_changes, safe_filename, stock_body)
from .handlers.backend import ApiError, error_of
from .handlers.pages import Page, PageRefused, csrf_checked, page_for
from .routes import form_of

ShopPage = Depends(page_for(Role.SHOP))
# Notices after a redirect, by code (?hinweis=...).
NOTICES = {
    "angelegt": ("Wird übernommen: die neue Ware erscheint gleich in der Liste.",
                 "Being applied: the new product shows up in the list shortly."),
    "geaendert": ("Wird übernommen: die Änderung erscheint gleich in der Liste.",
                  "Being applied: the change shows up in the list shortly."),
    "unveraendert": ("Es gab nichts zu ändern.", "There was nothing to change."),
    "bestand": ("Wird übernommen: der neue Bestand erscheint gleich in der Liste.",
                "Being applied: the new stock shows up in the list shortly."),
    "ausgelistet": ("Wird übernommen: die Ware verschwindet gleich aus der Liste.",
                    "Being applied: the product leaves the list shortly."),
    "profil": ("Wird übernommen: die neuen Öffnungszeiten erscheinen gleich.",
               "Being applied: the new opening hours show up shortly."),
    "import": ("Wird übernommen: die übernommenen Zeilen erscheinen gleich in Ihrer Warenliste.",
               "Being applied: the rows taken show up in your list of goods shortly."),
}
IMPORT_REPORT = "shop_import_report"


def shop_of(page: Page) -> str:
    shop_id = page.user.shop_id
    if not shop_id:
        raise PageRefused(403, "Diesem Konto ist kein Laden zugeordnet.", "This account has no shop.")
    return shop_id


def notice_of(page: Page, code: str | None) -> str | None:
    found = NOTICES.get(code or "")
    return page.t(*found) if found else None


def status_of(exc: ApiError) -> int:
    return exc.status if exc.status < 500 else 503


def choices(page: Page) -> dict[str, Any]:
    """The select options of the product forms, in the page's language."""
    def named(table: dict) -> list[tuple[Any, str]]:
        return [(key, page.t(*names)) for key, names in table.items()]
    return {"categories": named(CATEGORIES), "temperatures": named(TEMPERATURES), "vat_rates": named(VAT_RATES),
            "stock_reasons": named(STOCK_REASONS)}


def router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    async def goods_page(page: Page, *, status: int = 200, error: str | None = None,
                         form: dict[str, str] | None = None, notice: str | None = None) -> HTMLResponse:
        shop_id = shop_of(page)
        try:
            shop = await page.backend.get("catalog", f"/v1/shops/{shop_id}", user=page.user)
        except ApiError as exc:
            if exc.status != 404:
                return page.render("shop/goods.html", status=status_of(exc), shop=None, products=[],
                                   error=exc.message, form=form or {}, **choices(page))
            shop, error = None, error or page.t(
                "Ihr Laden ist im Katalog (noch) nicht bekannt.", "Your shop is not (yet) known to the catalog.")
        products = sorted((shop or {}).get("products") or [], key=lambda p: str(p.get("name", "")).lower())
        return page.render("shop/goods.html", status=status, shop=shop, products=products, error=error,
                           notice=notice, form=form or {}, euros=euros, **choices(page))

    @router.get("/laden", response_class=HTMLResponse)
    async def goods(hinweis: str | None = None, page: Page = ShopPage) -> Response:
        return await goods_page(page, notice=notice_of(page, hinweis))

    @router.post("/laden/waren", response_class=HTMLResponse, dependencies=[Depends(csrf_checked)])
    async def add_product(request: Request, page: Page = ShopPage) -> Response:
        form = await form_of(request)
        try:
            body = product_body(form)
            await page.backend.post("catalog", f"/v1/shops/{shop_of(page)}/products", json=body, user=page.user,
                                    headers={"Idempotency-Key": form.get("key") or str(uuid.uuid4())})
        except FormError as exc:
            return await goods_page(page, status=422, error=page.t(exc.german, exc.english), form=form)
        except ApiError as exc:
            return await goods_page(page, status=status_of(exc), error=exc.message, form=form)
        return page.redirect("/laden?hinweis=angelegt")

    @router.post("/laden/waren/{product_id}", response_class=HTMLResponse, dependencies=[Depends(csrf_checked)])
    async def edit_product(product_id: str, request: Request, page: Page = ShopPage) -> Response:
        form = await form_of(request)
        try:
            changes = product_changes(form)
            if not changes:
                return page.redirect("/laden?hinweis=unveraendert")
            answer = await page.backend.call("catalog", "PATCH", f"/v1/products/{product_id}", json=changes,
                                             user=page.user)
            if answer.status_code >= 400:
                raise error_of(answer)
        except FormError as exc:
            return await goods_page(page, status=422, error=page.t(exc.german, exc.english))
        except ApiError as exc:
            return await goods_page(page, status=status_of(exc), error=exc.message)
        return page.redirect("/laden?hinweis=" + ("unveraendert" if answer.status_code == 200 else "geaendert"))

    @router.post("/laden/waren/{product_id}/bestand", response_class=HTMLResponse,
                 dependencies=[Depends(csrf_checked)])
    async def adjust_stock(product_id: str, request: Request, page: Page = ShopPage) -> Response:
        form = await form_of(request)
        try:
            await page.backend.post("catalog", f"/v1/products/{product_id}/stock", json=stock_body(form),
                                    user=page.user, headers={"Idempotency-Key": form.get("key") or str(uuid.uuid4())})
        except FormError as exc:
            return await goods_page(page, status=422, error=page.t(exc.german, exc.english))
        except ApiError as exc:
            return await goods_page(page, status=status_of(exc), error=exc.message)
        return page.redirect("/laden?hinweis=bestand")

    @router.post("/laden/waren/{product_id}/auslisten", response_class=HTMLResponse,
                 dependencies=[Depends(csrf_checked)])
    async def delist(product_id: str, page: Page = ShopPage) -> Response:
        try:
            await page.backend.json("catalog", "DELETE", f"/v1/products/{product_id}", user=page.user,
                                    json={"reason": "DISCONTINUED"})
        except ApiError as exc:
            return await goods_page(page, status=status_of(exc), error=exc.message)
        return page.redirect("/laden?hinweis=ausgelistet")

    # -- profile -----------------------------------------------------------------------------------
    async def profile_page(page: Page, *, status: int = 200, error: str | None = None,
                           fields: dict[str, str] | None = None, notice: str | None = None) -> HTMLResponse:
        shop_id = shop_of(page)
        try:
            shop = await page.backend.get("catalog", f"/v1/shops/{shop_id}", user=page.user)
        except ApiError as exc:
            return page.render("shop/profile.html", status=status_of(exc), shop=None, error=exc.message,
                               fields=fields or {}, weekdays=[], slots=SLOTS)
        if fields is None:
            fields = hours_form(shop.get("opening_hours"))
            for key in ("person", "phone", "email"):
                fields[f"contact_{key}"] = (shop.get("contact") or {}).get(key) or ""
        weekdays = [(day, page.t(*WEEKDAY_NAMES[day])) for day in WEEKDAYS]
        return page.render("shop/profile.html", status=status, shop=shop, error=error, notice=notice,
                           fields=fields, weekdays=weekdays, slots=SLOTS)

    @router.get("/laden/profil", response_class=HTMLResponse)
    async def profile(hinweis: str | None = None, page: Page = ShopPage) -> Response:
        return await profile_page(page, notice=notice_of(page, hinweis))

    @router.post("/laden/profil", response_class=HTMLResponse, dependencies=[Depends(csrf_checked)])
    async def save_profile(request: Request, page: Page = ShopPage) -> Response:
        form = await form_of(request)
        try:
            body = {"opening_hours": hours_body(form), "contact": contact_body(form)}
            answer = await page.backend.call("catalog", "PATCH", f"/v1/shops/{shop_of(page)}", json=body,
                                             user=page.user)
            if answer.status_code >= 400:
                raise error_of(answer)
        except FormError as exc:
            return await profile_page(page, status=422, error=page.t(exc.german, exc.english), fields=form)
        except ApiError as exc:
            return await profile_page(page, status=status_of(exc), error=exc.message, fields=form)
        return page.redirect("/laden/profil?hinweis=" + ("unveraendert" if answer.status_code == 200 else "profil"))

    # -- CSV import ----------------------------------------------------------------------------------
    @router.get("/laden/import", response_class=HTMLResponse)
    async def import_form(hinweis: str | None = None, page: Page = ShopPage) -> Response:
        shop_of(page)
        report = page.session.data.pop(IMPORT_REPORT, None)
        if report is not None:
            await page.save()
        return page.render("shop/import.html", notice=notice_of(page, hinweis),
                           result=import_result(report) if report is not None else None)

    @router.post("/laden/import", response_class=HTMLResponse, dependencies=[Depends(csrf_checked)])
    async def upload(request: Request, page: Page = ShopPage) -> Response:
        form = await request.form()
        upload = form.get("file")
        data = await upload.read() if upload is not None and hasattr(upload, "read") else b""
        if not data:
            return page.render("shop/import.html", status=422, result=None, error=page.t(
                "Bitte eine CSV-Datei auswählen.", "Please choose a CSV file."))
        filename = getattr(upload, "filename", None) or "produkte.csv"
        answer = await page.backend.call("catalog", "POST", f"/v1/shops/{shop_of(page)}/products/import",
                                         user=page.user, files={"file": (filename, data, "text/csv")},
                                         headers={"Idempotency-Key": str(uuid.uuid4())})
        if answer.status_code >= 400:
            exc = error_of(answer)
            detail = exc.detail if isinstance(exc.detail, dict) else None
            return page.render("shop/import.html", status=status_of(exc), error=exc.message,
                               result=import_result(detail) if detail and "rejected" in detail else None)
        page.session.data[IMPORT_REPORT] = answer.json()
        await page.save()
        return page.redirect("/laden/import?hinweis=import")

    @router.get("/laden/import/produkte.csv")
    async def download(page: Page = ShopPage) -> Response:
        shop_id = shop_of(page)
        answer = await page.backend.call("catalog", "GET", f"/v1/shops/{shop_id}/products.csv", user=page.user)
        if answer.status_code >= 400:
            exc = error_of(answer)
            return page.render("shop/import.html", status=status_of(exc), error=exc.message, result=None)
        return Response(answer.content, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{safe_filename(shop_id)}"'})

    # -- packing list ----------------------------------------------------------------------------------
    @router.get("/laden/packliste", response_class=HTMLResponse)
    async def packing_list(day: str | None = None, page: Page = ShopPage) -> Response:
        shop_id = shop_of(page)
        today = today_in_berlin()
        chosen = packing.chosen_day(day, today)
        english = page.language == "en"
        context: dict[str, Any] = {
            "day": chosen, "day_label": packing.day_label(chosen, english), "today": today,
            "days": [(d, packing.day_label(d, english)) for d in sorted({*packing.days_around(today), chosen})],
            "kilograms": packing.kilograms,
        }
        try:
            found = await page.backend.get("orders", f"/v1/shops/{shop_id}/packing-list", user=page.user,
                                           params={"day": chosen.isoformat()})
        except ApiError as exc:
            return page.render("shop/packing.html", status=status_of(exc), error=exc.message, groups=[],
                               totals=[], orders=0, units=0, **context)
        return page.render("shop/packing.html", groups=packing.by_pickup_point(found.get("orders") or []),
                           totals=found.get("totals") or [], orders=len(found.get("orders") or []),
                           units=packing.units_total(found.get("totals") or []), **context)

    return router
