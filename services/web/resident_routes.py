"""The resident's pages: find goods across the region's shops, one basket for all of
them, a pick-up point and a delivery day, the order, and what became of it.

| method | path | who | what |
|---|---|---|---|
| GET | /einkaufen | resident | search goods (text, category, near a place) with shop, price, unit, availability |
| POST | /warenkorb/hinzufuegen | resident | put a product into the basket (quantity) |
| GET | /warenkorb | resident | the basket by shop; pick-up point (list and map, free room that day) and delivery day |
| POST | /warenkorb/menge | resident | change a line's quantity |
| POST | /warenkorb/entfernen | resident | take a line out |
| POST | /warenkorb/bestellen | resident | place the order (orders API); a refusal keeps the basket and says why |
| GET | /bestellungen | resident | my orders |
| GET | /bestellungen/{order_id} | resident | one order: status (refreshed while it waits), pick-up details and, once ready, the pick-up code (PIN and QR, from the resident's messages in notify), alternatives |
| GET | /bestellungen/{order_id}/status | resident | the order's status part alone (htmx polls it) |
| POST | /bestellungen/{order_id}/stornieren | resident | cancel while the order allows it |
| POST | /bestellungen/{order_id}/alternative | resident | take an alternative a rejected order offers |
| POST | /bestellungen/{order_id}/neuer-code | resident | a new pick-up code to their phone or letter |

The basket lives in the session (`data["basket"]`); the assistant's pages
(`assistant_routes.py`) use the same steps with a basket of their own.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from nahnetz.kit.roles import Role

from .domain import basket as baskets
from .domain.geo import collection, point
from .domain.pickup_code import code_for
from .domain.qr import qr_svg
from .handlers.backend import ApiError
from .handlers.pages import Page, PageRefused, csrf_checked, page_for, safe_next
from .handlers.region import region_named
from .routes import form_of

resident_page = page_for(Role.RESIDENT)
SEARCH_LIMIT = 30
RADII_KM = (5, 10, 20, 50)
POINTS_RADIUS_KM = 25.0
POINTS_SHOWN = 12
INBOX_READ = 50  # the resident's latest messages searched for a ready order's code


def shown_status(error: ApiError) -> int:
    """An API's refusal stays a refusal (4xx); an API that is down is a 503."""
    return error.status if 400 <= error.status < 500 else 503


def places(page: Page) -> list[Any]:
    """The region's towns and villages, by name (for 'near me')."""
    region = region_named(page.web.region)
    return sorted((*region.towns, *region.villages), key=lambda p: p.name)


def place_named(page: Page, name: str | None) -> Any | None:
    return next((p for p in places(page) if p.name == name), None) if name else None


# -- search -----------------------------------------------------------------------------------
async def search_context(page: Page, q: str, category: str, place: str, radius_km: str) -> dict[str, Any]:
    """What the search form and its results show."""
    params: dict[str, Any] = {"limit": SEARCH_LIMIT}
    if q.strip():
        params["q"] = q.strip()[:200]
    if category in baskets.CATEGORIES:
        params["category"] = category
    where = place_named(page, place)
    if where is not None and radius_km.isdigit() and int(radius_km) in RADII_KM:
        params.update(lat=where.lat, lon=where.lon, radius_km=int(radius_km))
    searched = len(params) > 1
    context: dict[str, Any] = {"q": q, "category": category, "place": place, "radius_km": radius_km,
                               "categories": baskets.CATEGORIES, "radii": RADII_KM, "places": places(page),
                               "searched": searched, "results": [], "hits": 0}
    if searched:
        try:
            found = await page.backend.get("catalog", "/v1/products/search", params=params)
        except ApiError as exc:
            context["search_error"] = exc.message
            context["search_status"] = shown_status(exc)
            return context
        context.update(results=found.get("results", []), hits=found.get("total", 0))
    return context


async def add_to_basket(page: Page, request: Request, key: str) -> tuple[str, str | None]:
    """Put the form's product into the basket kept at session data `key`; where to go
    next and a problem (German/English already picked) if it failed."""
    form = await form_of(request)
    target = safe_back(form.get("next"), "/warenkorb")
    try:
        quantity = baskets.quantity_of(form.get("quantity", "1"))
        product_id = (form.get("product_id") or "").strip()
        if not product_id or len(product_id) > 100:
            raise baskets.BasketError("Keine Ware gewählt.", "No product chosen.")
        try:
            product = await page.backend.get("catalog", f"/v1/products/{product_id}")
        except ApiError as exc:
            raise baskets.BasketError(exc.message, exc.message) from None
        if product.get("status") not in (None, "LISTED"):
            raise baskets.BasketError("Diese Ware wird nicht mehr angeboten.", "This product is no longer offered.")
        holder = dict(page.session.data.get(key) or {})
        holder["basket"] = baskets.add(holder.get("basket") or {}, baskets.line_from_product(product, quantity))
        page.session.data[key] = holder
        page.session.data[f"{key}:notice"] = page.t(f"„{product.get('name')}“ liegt im Warenkorb.",
                                                    f"“{product.get('name')}” is in the basket.")
        await page.save()
    except baskets.BasketError as exc:
        return target, page.t(exc.german, exc.english)
    return target, None


def safe_back(target: str | None, default: str) -> str:
    """A page of this site to go back to (`default` for none)."""
    found = safe_next(target)
    return found if found != "/" else default


async def change_basket(page: Page, request: Request, key: str, remove: bool) -> str | None:
    form = await form_of(request)
    holder = dict(page.session.data.get(key) or {})
    product_id = form.get("product_id") or ""
    try:
        if remove:
            holder["basket"] = baskets.remove(holder.get("basket") or {}, product_id)
        else:
            holder["basket"] = baskets.set_quantity(holder.get("basket") or {}, product_id,
                                                    baskets.quantity_of(form.get("quantity")))
    except baskets.BasketError as exc:
        return page.t(exc.german, exc.english)
    page.session.data[key] = holder
    await page.save()
    return None


# -- basket, point, day -----------------------------------------------------------------------
async def basket_context(page: Page, key: str, day: str | None = None, place: str | None = None,
                         chosen_point: str | None = None) -> dict[str, Any]:
    """The basket by shop, the bookable days, and the pick-up points near with their
    free room on the chosen day (a map feature and a list entry each)."""
    holder = page.session.data.get(key) or {}
    basket = baskets.of(holder.get("basket"))
    place = place if place is not None else holder.get("place")
    context: dict[str, Any] = {
        "basket": basket, "groups": baskets.by_shop(basket["lines"]), "total": baskets.total_cents(basket),
        "days": [], "day": None, "points": [], "features": None, "place": place or "", "places": places(page),
        "chosen_point": chosen_point or holder.get("pickup_point_id") or "", "attempt": uuid.uuid4().hex,
        "payment_methods": baskets.PAYMENT_METHODS, "notice": page.session.data.pop(f"{key}:notice", None),
    }
    if not basket["lines"]:
        return context
    try:
        window = await page.backend.get("orders", "/v1/delivery-days",
                                        params=[("shop_id", s) for s in baskets.shop_ids(basket)], user=page.user)
    except ApiError as exc:
        context["choose_error"] = exc.message
        return context
    days = list(window.get("days") or [])
    context["days"] = days
    context["cutoff"] = window.get("cutoff")
    chosen_day = day if day in days else (holder.get("delivery_day") if holder.get("delivery_day") in days else None)
    chosen_day = chosen_day or (days[0] if days else None)
    context["day"] = chosen_day
    if chosen_day is None:
        return context
    where = place_named(page, place)
    if where is not None:
        lat, lon = where.lat, where.lon
    else:
        middle = baskets.centre(basket)
        region = region_named(page.web.region)
        lat, lon = middle if middle else (region.hub.lat, region.hub.lon)
    try:
        near = await page.backend.get("pickup", "/v1/pickup-points/near", user=page.user, params={
            "lat": lat, "lon": lon, "day": chosen_day, "radius_km": POINTS_RADIUS_KM, "limit": POINTS_SHOWN})
    except ApiError as exc:
        context["choose_error"] = exc.message
        return context
    needed = baskets.needed_classes(basket)
    points = []
    for found in near.get("pickup_points", []):
        points.append({**found, "room": baskets.free_room(found.get("free")),
                       "fits": baskets.has_room(found.get("free"), needed)})
    context["points"] = points
    features = []
    for p in points:
        location = p.get("location") or {}
        if location.get("lat") is None:
            continue
        room = ", ".join(f"{free}/{total} {page.t(*baskets.TEMPERATURE_WORDS[kind])}" for kind, free, total in p["room"])
        features.append(point(location["lat"], location["lon"], p["name"], "pickup",
                              note=f"{p.get('address') or ''} · {page.t('frei', 'free')}: {room}",
                              choose=p["pickup_point_id"], choose_field="pickup_point_id",
                              choose_label=page.t("Diese Abholstelle wählen", "Choose this pick-up point"),
                              full=not p["fits"]))
    context["features"] = collection(features)
    if not context["chosen_point"] and points:
        context["chosen_point"] = next((p["pickup_point_id"] for p in points if p["fits"]), "")
    return context


async def place_basket_order(page: Page, request: Request, key: str, *, resident_id: str | None = None,
                             channel: str | None = None) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """Place the basket at `key` as an order: (the order, {}) or (None, the form with the error)."""
    form = await form_of(request)
    holder = dict(page.session.data.get(key) or {})
    basket = baskets.of(holder.get("basket"))
    chosen = {"pickup_point_id": (form.get("pickup_point_id") or "").strip(),
              "delivery_day": (form.get("delivery_day") or "").strip(),
              "payment_method": form.get("payment_method") or "AT_PICKUP", "note": (form.get("note") or "").strip()}
    problem = None
    if not basket["lines"]:
        problem = page.t("Der Warenkorb ist leer.", "The basket is empty.")
    elif not chosen["pickup_point_id"] or not chosen["delivery_day"]:
        problem = page.t("Bitte Abholstelle und Liefertag wählen.", "Please choose a pick-up point and a delivery day.")
    elif chosen["payment_method"] not in baskets.PAYMENT_METHODS:
        problem = page.t("Bitte eine Zahlungsart wählen.", "Please choose a payment method.")
    # Remember the choice: a refused order keeps the basket and what was chosen.
    holder.update(pickup_point_id=chosen["pickup_point_id"], delivery_day=chosen["delivery_day"])
    page.session.data[key] = holder
    if problem:
        await page.save()
        return None, {"error": problem, "status": 422, **chosen}
    body = baskets.order_body(basket, pickup_point_id=chosen["pickup_point_id"], delivery_day=chosen["delivery_day"],
                              payment_method=chosen["payment_method"], resident_id=resident_id, channel=channel,
                              note=chosen["note"] or None)
    attempt = (form.get("attempt") or "")[:64]
    headers = {"Idempotency-Key": f"web-{attempt}"} if attempt else {}
    try:
        order = await page.backend.post("orders", "/v1/orders", json=body, user=page.user, headers=headers)
    except ApiError as exc:
        await page.save()
        return None, {"error": exc.message, "problems": baskets.problems_of(exc.detail), "status": shown_status(exc),
                      **chosen}
    holder = {k: v for k, v in holder.items() if k in ("place", "resident_id", "channel")}
    page.session.data[key] = holder
    await page.save()
    return order, {}


# -- orders -----------------------------------------------------------------------------------
async def with_shop_names(page: Page, order: dict[str, Any]) -> dict[str, Any]:
    """The order with each line's shop name (the catalog's public shop page), for people."""
    names: dict[str, str] = {}
    for shop_id in {str(line.get("shop_id")) for line in order.get("lines", []) if line.get("shop_id")}:
        try:
            names[shop_id] = (await page.backend.get("catalog", f"/v1/shops/{shop_id}")).get("name") or shop_id
        except ApiError:
            names[shop_id] = shop_id
    return {**order, "lines": [{**line, "shop_name": names.get(str(line.get("shop_id")), line.get("shop_id"))}
                               for line in order.get("lines", [])]}


def order_context(page: Page, order: dict[str, Any]) -> dict[str, Any]:
    status = order.get("status")
    names = {line.get("product_id"): line.get("product_name") for line in order.get("lines", [])}
    rejection = order.get("rejection") or {}
    rejected = [{"name": names.get(line.get("product_id")) or line.get("product_id"), "reason": line.get("reason"),
                 "available": line.get("available")} for line in rejection.get("lines") or []]
    return {"order": order, "groups": baskets.by_shop(order.get("lines", [])),
            "rejected_lines": rejected,
            "waiting": status in baskets.WAITING_STATUSES, "status_now": page.t(*baskets.status_words(status)),
            "ready": status == "READY_FOR_PICKUP"}


async def pickup_code(page: Page, order_id: str) -> dict[str, Any] | None:
    """The PIN and QR code of a ready order, from the message notify sent the resident
    (their own inbox); None when none is found or notify does not answer: the page
    then says the code was sent and offers a new one."""
    try:
        found = await page.backend.get("notify", "/v1/me/messages", params={"limit": INBOX_READ}, user=page.user)
    except ApiError:
        return None
    code = code_for((found.get("messages") or []) if isinstance(found, dict) else [], order_id)
    if code is None:
        return None
    label = page.t(f"QR-Code zum Abholen der Bestellung {order_id}", f"QR code to collect order {order_id}")
    return {"pin": code["pin"], "qr": qr_svg(code["qr_payload"], label) if code["qr_payload"] else None}


async def with_code(page: Page, context: dict[str, Any]) -> dict[str, Any]:
    """The order's context with its pick-up code (`code`) once it is ready."""
    code = await pickup_code(page, str(context["order"].get("order_id"))) if context["ready"] else None
    return {**context, "code": code}


async def my_order(page: Page, order_id: str) -> dict[str, Any]:
    try:
        return await page.backend.get("orders", f"/v1/orders/{order_id}", user=page.user)
    except ApiError as exc:
        if exc.status == 404:
            raise PageRefused(404, "Diese Bestellung gibt es nicht.", "There is no such order.") from None
        raise PageRefused(shown_status(exc), exc.message, exc.message) from None


def helpers(page: Page) -> dict[str, Any]:
    english = page.language == "en"
    return {"euro": baskets.euro, "day_label": lambda d: baskets.day_label(d, english),
            "local_time": baskets.local_time, "status_text": lambda s: page.t(*baskets.status_words(s)),
            "temperature": lambda k: page.t(*baskets.TEMPERATURE_WORDS.get(k, (k, k))),
            "line_total": baskets.line_total}


def router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/einkaufen", response_class=HTMLResponse)
    async def shop(q: str = "", category: str = "", place: str = "", radius_km: str = "",
                   page: Page = Depends(resident_page)) -> Response:
        context = await search_context(page, q, category, place, radius_km)
        here = "/einkaufen" + (f"?{urlencode({'q': q, 'category': category, 'place': place, 'radius_km': radius_km})}"
                               if context["searched"] else "")
        notice = page.session.data.pop("resident:notice", None)
        problem = page.session.data.pop("resident:problem", None)
        if notice or problem:
            await page.save()
        return page.render("resident/search.html", status=context.pop("search_status", 200), back=here,
                           notice=notice, error=problem, action="/einkaufen", add_url="/warenkorb/hinzufuegen",
                           count=len((page.session.data.get("resident") or {}).get("basket", {}).get("lines", [])),
                           **context, **helpers(page))

    @router.post("/warenkorb/hinzufuegen", dependencies=[Depends(csrf_checked)])
    async def add(request: Request, page: Page = Depends(resident_page)) -> Response:
        target, problem = await add_to_basket(page, request, "resident")
        if problem:
            page.session.data.pop("resident:notice", None)
            page.session.data["resident:problem"] = problem
            await page.save()
        return page.redirect(target)

    @router.get("/warenkorb", response_class=HTMLResponse)
    async def basket(day: str | None = None, place: str | None = None, pickup_point_id: str | None = None,
                     page: Page = Depends(resident_page)) -> Response:
        return await show_basket(page, day=day, place=place, chosen_point=pickup_point_id)

    async def show_basket(page: Page, status: int = 200, day: str | None = None, place: str | None = None,
                          chosen_point: str | None = None, **extra: Any) -> Response:
        if place is not None:
            holder = dict(page.session.data.get("resident") or {})
            holder["place"] = place
            page.session.data["resident"] = holder
        context = await basket_context(page, "resident", day=day, place=place, chosen_point=chosen_point)
        await page.save()
        problem = page.session.data.pop("resident:problem", None)
        if problem:
            extra.setdefault("error", problem)
            await page.save()
        return page.render("resident/basket.html", status=status, urls=RESIDENT_URLS, **context, **extra,
                           **helpers(page))

    @router.post("/warenkorb/menge", dependencies=[Depends(csrf_checked)])
    async def quantity(request: Request, page: Page = Depends(resident_page)) -> Response:
        problem = await change_basket(page, request, "resident", remove=False)
        if problem:
            page.session.data["resident:problem"] = problem
            await page.save()
        return page.redirect("/warenkorb")

    @router.post("/warenkorb/entfernen", dependencies=[Depends(csrf_checked)])
    async def remove(request: Request, page: Page = Depends(resident_page)) -> Response:
        await change_basket(page, request, "resident", remove=True)
        return page.redirect("/warenkorb")

    @router.post("/warenkorb/bestellen", response_class=HTMLResponse, dependencies=[Depends(csrf_checked)])
    async def order(request: Request, page: Page = Depends(resident_page)) -> Response:
        placed, refused = await place_basket_order(page, request, "resident")
        if placed is None:
            status = refused.pop("status")
            return await show_basket(page, status=status, day=refused.get("delivery_day"),
                                     chosen_point=refused.get("pickup_point_id"), error=refused.get("error"),
                                     problems=refused.get("problems", []), form=refused)
        return page.redirect(f"/bestellungen/{placed['order_id']}")

    @router.get("/bestellungen", response_class=HTMLResponse)
    async def orders(page: Page = Depends(resident_page)) -> Response:
        try:
            found = await page.backend.get("orders", "/v1/me/orders", user=page.user)
        except ApiError as exc:
            return page.render("resident/orders.html", status=shown_status(exc), orders=[], error=exc.message,
                               **helpers(page))
        return page.render("resident/orders.html", orders=found.get("orders", []), **helpers(page))

    @router.get("/bestellungen/{order_id}", response_class=HTMLResponse)
    async def order_page(order_id: str, page: Page = Depends(resident_page)) -> Response:
        found = await with_shop_names(page, await my_order(page, order_id))
        notice = page.session.data.pop("resident:order-notice", None)
        problem = page.session.data.pop("resident:problem", None)
        if notice or problem:
            await page.save()
        return page.render("resident/order.html", notice=notice, error=problem,
                           **await with_code(page, order_context(page, found)), **helpers(page))

    @router.get("/bestellungen/{order_id}/status", response_class=HTMLResponse)
    async def order_status(order_id: str, page: Page = Depends(resident_page)) -> Response:
        found = await my_order(page, order_id)
        return page.render("resident/_order_status.html", **await with_code(page, order_context(page, found)),
                           **helpers(page))

    @router.post("/bestellungen/{order_id}/stornieren", dependencies=[Depends(csrf_checked)])
    async def cancel(order_id: str, page: Page = Depends(resident_page)) -> Response:
        try:
            await page.backend.post("orders", f"/v1/orders/{order_id}/cancel", json={}, user=page.user)
            page.session.data["resident:order-notice"] = page.t("Die Stornierung ist angefragt.",
                                                                "The cancellation has been requested.")
        except ApiError as exc:
            page.session.data["resident:problem"] = exc.message
        await page.save()
        return page.redirect(f"/bestellungen/{order_id}")

    @router.post("/bestellungen/{order_id}/alternative", dependencies=[Depends(csrf_checked)])
    async def alternative(order_id: str, request: Request, page: Page = Depends(resident_page)) -> Response:
        form = await form_of(request)
        body: dict[str, Any] = {}
        if form.get("take_available") == "1":
            body["take_available"] = True
        else:
            body.update({k: form[k] for k in ("pickup_point_id", "delivery_day") if form.get(k)})
        try:
            placed = await page.backend.post("orders", f"/v1/orders/{order_id}/alternative", json=body,
                                             user=page.user)
        except ApiError as exc:
            page.session.data["resident:problem"] = exc.message
            await page.save()
            return page.redirect(f"/bestellungen/{order_id}")
        return page.redirect(f"/bestellungen/{placed['order_id']}")

    @router.post("/bestellungen/{order_id}/neuer-code", dependencies=[Depends(csrf_checked)])
    async def new_code(order_id: str, page: Page = Depends(resident_page)) -> Response:
        try:
            sent = await page.backend.post("pickup", f"/v1/parcels/{order_id}/code", json={}, user=page.user)
            page.session.data["resident:order-notice"] = page.t(
                f"Ein neuer Abholcode ist unterwegs ({sent.get('sent_to') or 'Telefon/Brief'}).",
                f"A new pick-up code is on its way ({sent.get('sent_to') or 'phone/letter'}).")
        except ApiError as exc:
            page.session.data["resident:problem"] = exc.message
        await page.save()
        return page.redirect(f"/bestellungen/{order_id}")

    return router


RESIDENT_URLS = {"search": "/einkaufen", "basket": "/warenkorb", "quantity": "/warenkorb/menge",
                 "remove": "/warenkorb/entfernen", "order": "/warenkorb/bestellen"}
