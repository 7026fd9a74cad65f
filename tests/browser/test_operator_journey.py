"""The operator's day in a real browser. Residents' orders are placed through the
APIs (as the demo's residents do: a seeded shop's goods to a pick-up point near
them) until the hub lists their shipments; then the operator, on the pages, plans
the day's tours, dispatches one to a driver, sees it in the table and on the map,
opens its printable tour sheet and asks for a re-plan. The hub's shipments and
the freight board pass the accessibility check as well."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import date, timedelta

import pytest
from playwright.async_api import expect

from nahnetz.regions import load_region
from web_support import Web, check_page

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

OPERATOR = "operator-hx-1"
SHIPMENTS_WITHIN_S = 60.0
PLANNED_WITHIN_MS = 120_000


async def an_order_with_a_shipment(web: Web, run: str) -> tuple[date, dict]:
    """An ambient product of a seeded shop near Brakel, ordered by a resident for the
    first bookable day its shop accepts, confirmed; the hub's shipment for it."""
    platform = web.platform
    operator = platform.token(OPERATOR, "operator")
    resident = f"resident-web-op-{run}"
    me = platform.token(resident, "resident")
    region = load_region("kreis_hoexter")
    brakel = next(p for p in region.places if p.name == "Brakel")
    found = (await platform.call("catalog", "GET", "/v1/products/search", who=me, params={
        "lat": brakel.lat, "lon": brakel.lon, "radius_km": 25, "limit": 40})).json()["results"]
    goods = [p for p in found if p.get("temperature_class") == "AMBIENT" and p["availability"]["available"] > 2]
    assert goods, "no ambient goods near Brakel: is the region seeded?"
    days = [date.fromisoformat(d) for d in (await platform.call(
        "orders", "GET", "/v1/delivery-days", who=operator)).json()["days"]]
    refusals = []
    for day in days:
        points = (await platform.call("pickup", "GET", "/v1/pickup-points/near", who=me, params={
            "lat": brakel.lat, "lon": brakel.lon, "day": day.isoformat(), "radius_km": 20,
            "limit": 1})).json()["pickup_points"]
        if not points:
            continue
        for product in goods[:6]:
            answer = await platform.call("orders", "POST", "/v1/orders", who=me, ok=(202, 409, 422), json={
                "lines": [{"product_id": product["product_id"], "quantity": 1}],
                "pickup_point_id": points[0]["pickup_point_id"], "delivery_day": day.isoformat(),
                "payment_method": "ONLINE", "channel": "web"}, headers={"Idempotency-Key": str(uuid.uuid4())})
            if answer.status_code != 202:
                refusals.append(answer.text[:200])
                continue
            order_id = answer.json()["order_id"]
            final, pending = await platform.orders_until(
                [order_id], lambda o: o["status"] in ("CONFIRMED", "REJECTED"), timeout=60, interval=0.3)
            assert not pending, f"order {order_id} not decided"
            if final[order_id]["status"] != "CONFIRMED":
                refusals.append(str(final[order_id].get("reasons") or final[order_id]["status"]))
                continue
            return await shipment_of(web, order_id, day)
    raise AssertionError(f"no order could be placed: {refusals[:5]}")


async def shipment_of(web: Web, order_id: str, day: date) -> tuple[date, dict]:
    """The hub's shipment of the order and its day (the hub may move it to a later
    day when the shop is closed on the delivery day)."""
    operator = web.platform.token(OPERATOR, "operator")
    deadline = time.monotonic() + SHIPMENTS_WITHIN_S
    while time.monotonic() < deadline:
        for n in range(7):
            when = day + timedelta(days=n)
            answer = (await web.platform.call("hub", "GET", "/v1/shipments", who=operator,
                                              params={"day": when.isoformat()})).json()
            mine = [s for s in answer["shipments"] if s["order_id"] == order_id]
            if mine:
                return when, mine[0]
        await asyncio.sleep(0.5)
    raise AssertionError(f"the hub lists no shipment of order {order_id} within {SHIPMENTS_WITHIN_S:.0f} s")


async def test_the_operator_plans_dispatches_and_prints_the_tour_of_a_day_with_shipments(web: Web, page):
    run = uuid.uuid4().hex[:8]
    day, shipment = await an_order_with_a_shipment(web, run)
    web.add_account(f"betrieb-{run}", "operator", subject=f"op-web-{run}", name="Disponentin")
    await web.sign_in(page, f"betrieb-{run}")
    assert page.url.endswith("/betrieb")
    await check_page(page, "operator-tours-today")

    # -- the hub's shipments of the day, ours among them -----------------------------------------
    await page.goto(web.url(f"/betrieb/sendungen?tag={day.isoformat()}"))
    await expect(page.get_by_role("cell", name=shipment["shipment_id"], exact=True)).to_be_visible()
    await check_page(page, "operator-shipments")

    # -- plan the day: the plan is computed, then shown with its tours ------------------------------
    await page.goto(web.url(f"/betrieb?tag={day.isoformat()}"))
    await page.get_by_label("Rechenzeit (Sekunden)").fill("3")
    await page.get_by_role("button", name=f"Touren planen für {day.strftime('%d.%m.%Y')}").click()
    await expect(page.get_by_role("status")).to_contain_text("Die Touren werden geplant")
    planned = page.locator("table.plan-tours")
    # htmx asks for the plan every two seconds while it is computed; no reload needed.
    await expect(planned).to_be_visible(timeout=PLANNED_WITHIN_MS)
    await check_page(page, "operator-plan")

    # -- dispatch the first planned tour to a driver of this run ------------------------------------
    first = planned.locator("tbody tr").first
    vehicle = (await first.locator("td").first.inner_text()).strip()
    await first.get_by_label(f"Fahrer für {vehicle}").fill(f"driver-web-{run}")
    await first.get_by_role("button", name="Tour freigeben").click()
    await expect(page.get_by_role("status")).to_contain_text(f"ist an driver-web-{run} freigegeben")
    row = page.locator("table.tours tbody tr", has_text=f"driver-web-{run}")
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text("freigegeben")
    # The map draws the tour as a line (Leaflet's SVG path) and its stops.
    await expect(page.locator("#map-tours path.leaflet-interactive").first).to_be_attached()
    features = await page.locator("#map-data-tours").text_content()
    assert '"LineString"' in features and '"hub"' in features
    await check_page(page, "operator-tours-dispatched")

    # -- the tour sheet, for print ----------------------------------------------------------------------
    await row.get_by_role("link", name="Tourenblatt").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Tourenblatt")
    await expect(page.get_by_role("button", name="Drucken")).to_have_attribute("data-print", "")
    await expect(page.locator("table.sheet")).to_contain_text("Hub")
    await expect(page.locator("main")).to_contain_text(f"driver-web-{run}")
    assert await page.locator("table.sheet tbody tr").count() >= 2
    await check_page(page, "operator-tour-sheet")
    await page.emulate_media(media="print")
    assert not await page.get_by_role("button", name="Drucken").is_visible()
    await page.emulate_media(media="screen")

    # -- re-plan the tour: a new plan of the day is asked for ------------------------------------------
    await page.goto(web.url(f"/betrieb?tag={day.isoformat()}"))
    await row.get_by_role("button", name="Neu planen").click()
    await expect(page.get_by_role("status")).to_contain_text("Die Tour wird neu geplant")
    await expect(page.locator("section.plan")).to_be_visible()

    # -- the freight board -------------------------------------------------------------------------------
    await page.get_by_role("link", name="Frachtbörse").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Frachtbörse")
    await check_page(page, "operator-freight")


async def test_an_unknown_tour_or_day_is_answered_with_a_page_not_an_error(web: Web, page):
    run = uuid.uuid4().hex[:8]
    web.add_account(f"betrieb-x-{run}", "operator", subject=f"op-x-{run}")
    await web.sign_in(page, f"betrieb-x-{run}")
    answer = await page.goto(web.url("/betrieb/touren/keine-tour/blatt"))
    assert answer is not None and answer.status == 404
    await expect(page.get_by_role("alert")).to_be_visible()
    answer = await page.goto(web.url("/betrieb?tag=kein-tag"))
    assert answer is not None and answer.status == 200
