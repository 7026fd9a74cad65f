"""The assistant's pages: an operator at the counter or on the phone takes an order
for a resident who does not order online (digital werden UND analog bleiben).

| method | path | who | what |
|---|---|---|---|
| GET | /assistenz | operator, admin | whom for (resident id, phone or counter), then search, basket, point and day, order |
| POST | /assistenz/bewohner | operator, admin | name the resident (by id, or by the phone number or e-mail address they give: notify's GET /v1/contacts) and the channel (a new resident starts an empty basket) |
| POST | /assistenz/neu | operator, admin | forget the resident and the basket |
| POST | /assistenz/warenkorb/hinzufuegen | operator, admin | put a product into the assisted basket |
| POST | /assistenz/warenkorb/menge | operator, admin | change a line's quantity |
| POST | /assistenz/warenkorb/entfernen | operator, admin | take a line out |
| POST | /assistenz/bestellen | operator, admin | place the order for the resident (orders API: resident_id, channel; recorded as entered_by) |
| GET | /assistenz/bestellungen/{order_id}/beleg | operator, admin | the printable order slip |

The assisted basket is kept apart from anything else in the session (`data["assisted"]`).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from nahnetz.kit.roles import Role

from .domain import basket as baskets
from .handlers.backend import ApiError
from .handlers.pages import Page, PageRefused, csrf_checked, page_for
from .resident_routes import (add_to_basket, basket_context, change_basket, helpers, place_basket_order,
                              search_context, shown_status, with_shop_names)
from .routes import form_of

assistant_page = page_for(Role.OPERATOR, Role.ADMIN)
KEY = "assisted"
RESIDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,99}$")
URLS = {"search": "/assistenz", "basket": "/assistenz", "quantity": "/assistenz/warenkorb/menge",
        "remove": "/assistenz/warenkorb/entfernen", "order": "/assistenz/bestellen"}


def router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    async def show(page: Page, status: int = 200, q: str = "", category: str = "", place: str = "",
                   radius_km: str = "", day: str | None = None, **extra: Any) -> Response:
        holder = page.session.data.get(KEY) or {}
        context: dict[str, Any] = {"resident_id": holder.get("resident_id"), "channel": holder.get("channel"),
                                   "resident_name": holder.get("name"), "channels": baskets.ORDER_CHANNELS}
        problem = page.session.data.pop(f"{KEY}:problem", None)
        if problem:
            extra.setdefault("error", problem)
        if holder.get("resident_id"):
            search = await search_context(page, q, category, "" if day else place, radius_km)
            status = search.pop("search_status", status)
            # The basket's "near" comes with its day (the choose form); the search's place is the search's.
            chosen = await basket_context(page, KEY, day=day, place=place if day else None,
                                          chosen_point=extra.pop("chosen_point", None))
            if day is not None:
                holder = dict(page.session.data.get(KEY) or {})
                holder["place"] = place
                page.session.data[KEY] = holder
            back = "/assistenz" + (f"?{urlencode({'q': q, 'category': category, 'place': place, 'radius_km': radius_km})}"
                                   if search["searched"] else "")
            search.pop("place", None)
            context.update(search, search_place="" if day else place, **{k: v for k, v in chosen.items()
                                                                         if k not in search})
            context.update(back=back, action="/assistenz", add_url="/assistenz/warenkorb/hinzufuegen", urls=URLS)
        await page.save()
        return page.render("assistant/take_order.html", status=status, **context, **extra, **helpers(page))

    @router.get("/assistenz", response_class=HTMLResponse)
    async def take_order(q: str = "", category: str = "", place: str = "", radius_km: str = "",
                         day: str | None = None, pickup_point_id: str | None = None,
                         page: Page = Depends(assistant_page)) -> Response:
        return await show(page, q=q, category=category, place=place, radius_km=radius_km, day=day,
                          chosen_point=pickup_point_id)

    @router.post("/assistenz/bewohner", response_class=HTMLResponse, dependencies=[Depends(csrf_checked)])
    async def for_resident(request: Request, page: Page = Depends(assistant_page)) -> Response:
        form = await form_of(request)
        resident_id = (form.get("resident_id") or "").strip()
        address = (form.get("address") or "").strip()
        channel = (form.get("channel") or "PHONE").upper()
        name = None
        if not resident_id and address and channel in baskets.ORDER_CHANNELS:
            # Callers know their number, rarely their resident id.
            try:
                found = await page.backend.get("notify", "/v1/contacts", params={"address": address[:200]},
                                               user=page.user)
            except ApiError as refused:
                return await show(page, status=refused.status if refused.status in (404, 422) else 503,
                                  error=refused.message, address=address)
            resident_id, name = str(found.get("recipient_id") or ""), (found.get("postal_address") or [None])[0]
        if not RESIDENT_ID.match(resident_id) or channel not in baskets.ORDER_CHANNELS:
            return await show(page, status=422, address=address, error=page.t(
                "Bitte die Kundennummer (Bewohner-ID) oder die Telefonnummer bzw. E-Mail-Adresse der Person "
                "und den Weg (Telefon oder Theke) angeben.",
                "Please give the resident id, or the person's phone number or e-mail address, and the channel "
                "(phone or counter)."))
        holder = dict(page.session.data.get(KEY) or {})
        if holder.get("resident_id") != resident_id:
            holder = {}  # another person: another basket
        holder.update(resident_id=resident_id, channel=channel, name=name or holder.get("name"))
        page.session.data[KEY] = holder
        await page.save()
        return page.redirect("/assistenz")

    @router.post("/assistenz/neu", dependencies=[Depends(csrf_checked)])
    async def start_again(page: Page = Depends(assistant_page)) -> Response:
        page.session.data.pop(KEY, None)
        await page.save()
        return page.redirect("/assistenz")

    @router.post("/assistenz/warenkorb/hinzufuegen", dependencies=[Depends(csrf_checked)])
    async def add(request: Request, page: Page = Depends(assistant_page)) -> Response:
        if not (page.session.data.get(KEY) or {}).get("resident_id"):
            return page.redirect("/assistenz")
        target, problem = await add_to_basket(page, request, KEY)
        if problem:
            page.session.data[f"{KEY}:problem"] = problem
            await page.save()
        return page.redirect(target if target.startswith("/assistenz") else "/assistenz")

    @router.post("/assistenz/warenkorb/menge", dependencies=[Depends(csrf_checked)])
    async def quantity(request: Request, page: Page = Depends(assistant_page)) -> Response:
        if problem := await change_basket(page, request, KEY, remove=False):
            page.session.data[f"{KEY}:problem"] = problem
            await page.save()
        return page.redirect("/assistenz")

    @router.post("/assistenz/warenkorb/entfernen", dependencies=[Depends(csrf_checked)])
    async def remove(request: Request, page: Page = Depends(assistant_page)) -> Response:
        await change_basket(page, request, KEY, remove=True)
        return page.redirect("/assistenz")

    @router.post("/assistenz/bestellen", response_class=HTMLResponse, dependencies=[Depends(csrf_checked)])
    async def order(request: Request, page: Page = Depends(assistant_page)) -> Response:
        holder = page.session.data.get(KEY) or {}
        if not holder.get("resident_id"):
            return await show(page, status=422, error=page.t("Zuerst die Person nennen, für die bestellt wird.",
                                                             "First name the person the order is for."))
        placed, refused = await place_basket_order(page, request, KEY, resident_id=holder["resident_id"],
                                                   channel=holder.get("channel") or "PHONE")
        if placed is None:
            status = refused.pop("status")
            return await show(page, status=status, day=refused.get("delivery_day"),
                              chosen_point=refused.get("pickup_point_id"), error=refused.get("error"),
                              problems=refused.get("problems", []), form=refused)
        return page.redirect(f"/assistenz/bestellungen/{placed['order_id']}/beleg")

    @router.get("/assistenz/bestellungen/{order_id}/beleg", response_class=HTMLResponse)
    async def slip(order_id: str, page: Page = Depends(assistant_page)) -> Response:
        try:
            found = await page.backend.get("orders", f"/v1/orders/{order_id}", user=page.user)
        except ApiError as exc:
            if exc.status == 404:
                raise PageRefused(404, "Diese Bestellung gibt es nicht.", "There is no such order.") from None
            raise PageRefused(shown_status(exc), exc.message, exc.message) from None
        found = await with_shop_names(page, found)
        channel = (found.get("channel") or "").upper()
        return page.render("assistant/slip.html", order=found, groups=baskets.by_shop(found.get("lines", [])),
                           channel_words=page.t(*baskets.ORDER_CHANNELS.get(channel, (channel, channel))),
                           payment_words=page.t(*baskets.PAYMENT_METHODS.get(found.get("payment_method"), (
                               found.get("payment_method") or "", found.get("payment_method") or ""))),
                           **helpers(page))

    return router
