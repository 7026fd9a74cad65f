"""A driver's tour on the phone: the stops in order with links to navigate, a
collection confirmed online, a delivery confirmed without network (kept on the
phone, marked "Wartet auf Netz", sent when the network is back) and recorded once.

The tour is built the way the platform builds one: a shop and a locker of the
test's own, a resident's confirmed order, the hub's shipment, a plan from the
routing service for that day, the tour with the shipment dispatched to this
test's driver. The stack lets a coming day's tour be driven now
(DISPATCH_EARLY_REPORTS=allow)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from playwright.async_api import Page, expect

from test_shop_journey import confirmed_order, eventually, seed_point, seed_shop
from web_support import Web, check_page

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


async def list_product(web: Web, shop_id: str, name: str) -> str:
    answer = await web.platform.call("catalog", "POST", f"/v1/shops/{shop_id}/products", json={
        "name": name, "category": "OTHER", "unit": "Stück", "price_cents": 299, "vat_rate_bp": 700, "stock": 20,
        "temperature_class": "AMBIENT", "weight_g": 500, "volume_ml": 800, "channel": "PHONE"},
        headers={"Idempotency-Key": str(uuid.uuid4())})
    return answer.json()["product_id"]


async def shipment_of(web: Web, order_id: str, day: date) -> str:
    async def found() -> str | None:
        shipments = (await web.platform.call("hub", "GET", "/v1/shipments",
                                             params={"day": day.isoformat()})).json()["shipments"]
        return next((s["shipment_id"] for s in shipments if s["order_id"] == order_id), None)
    return await eventually(found, f"the hub's shipment of order {order_id}", timeout=60)


async def planned_tour(web: Web, day: date, shipment_id: str) -> tuple[str, str]:
    """A plan of the day from the routing service; (plan id, vehicle) of the tour with the shipment."""
    requested = (await web.platform.call("routing", "POST", "/v1/plans", ok=(202,), json={
        "day": day.isoformat(), "time_budget_s": 3}, headers={"Idempotency-Key": str(uuid.uuid4())})).json()

    async def planned() -> dict | None:
        plan = (await web.platform.call("routing", "GET", f"/v1/plans/{requested['plan_id']}")).json()
        assert plan["status"] != "FAILED", plan
        return plan if plan["status"] == "PLANNED" else None
    plan = await eventually(planned, f"plan {requested['plan_id']} planned", timeout=120, interval=0.5)
    tour = next((t for t in plan["tours"] if any(shipment_id in s["shipment_ids"] for s in t["stops"])), None)
    assert tour is not None, f"shipment {shipment_id} is on no tour: {plan.get('dropped')}"
    return plan["plan_id"], tour["vehicle_id"]


async def dispatched(web: Web, plan_id: str, vehicle_id: str, driver: str) -> str:
    async def dispatch() -> str | None:
        answer = await web.platform.call("dispatch", "POST", "/v1/tours", ok=(201, 404, 409), json={
            "plan_id": plan_id, "vehicle_id": vehicle_id, "driver_id": driver},
            headers={"Idempotency-Key": f"{plan_id}-{vehicle_id}"})
        if answer.status_code == 409:
            assert "try again" in answer.text or "retry-after" in answer.headers, answer.text
        return answer.json()["tour_id"] if answer.status_code == 201 else None
    return await eventually(dispatch, f"the tour of {vehicle_id} dispatched", timeout=60, interval=0.5)


async def tour_view(web: Web, tour_id: str) -> dict:
    return (await web.platform.call("dispatch", "GET", f"/v1/tours/{tour_id}")).json()


async def test_a_driver_drives_the_tour_on_the_phone_and_a_report_made_offline_is_sent_once_back_online(
        web: Web, phone: Page):
    unique = uuid.uuid4().hex[:8]
    shop_id = await seed_shop(web, unique)
    point_id = await seed_point(web, unique)
    product_id = await list_product(web, shop_id, f"Landbrot {unique}")
    days = (await web.platform.call("orders", "GET", "/v1/delivery-days")).json()["days"]
    day = date.fromisoformat(days[-1])
    order = await confirmed_order(web, f"resident-drv-{unique}", point_id, day, {product_id: 1})
    shipment_id = await shipment_of(web, order["order_id"], day)
    plan_id, vehicle_id = await planned_tour(web, day, shipment_id)
    driver = f"drv-web-{unique}"
    tour_id = await dispatched(web, plan_id, vehicle_id, driver)
    tour = await tour_view(web, tour_id)
    collect = next(s for s in tour["stops"] if any(c["shipment_id"] == shipment_id for c in s["load"]))
    deliver = next(s for s in tour["stops"] if any(c["shipment_id"] == shipment_id for c in s["unload"]))
    assert collect["seq"] < deliver["seq"]

    # -- the driver signs in on the phone: the stops in order, each with its navigation links --------------
    web.add_account(f"fahrer-{unique}", "driver", subject=driver, name=f"Fahrer {unique}")
    await web.sign_in(phone, f"fahrer-{unique}")
    assert phone.url.endswith("/fahrer")
    stops = phone.locator("li.driver-stop")
    await expect(stops).to_have_count(len(tour["stops"]))
    for stop in tour["stops"]:
        item = phone.locator(f'[data-stop="{tour_id}:{stop["seq"]}"]')
        await expect(item.get_by_role("heading")).to_have_text(f"{stop['seq'] + 1}. {stop['name'] or stop['place_id']}")
        await expect(item).to_contain_text(stop["eta_local"])
        lat, lon = round(stop["location"]["lat"], 6), round(stop["location"]["lon"], 6)
        osm = item.get_by_role("link", name="Route (OpenStreetMap)")
        assert await osm.get_attribute("href") == f"https://www.openstreetmap.org/directions?to={lat}%2C{lon}"
        assert await item.get_by_role("link", name="In Karten-App öffnen").get_attribute("href") == f"geo:{lat},{lon}"
    await check_page(phone, "driver-tour")
    first = phone.locator(f'[data-stop="{tour_id}:0"]')
    await expect(first.get_by_role("button", name="Angekommen")).to_be_visible()

    # -- online: the collection at the shop ------------------------------------------------------------
    at_shop = phone.locator(f'[data-stop="{tour_id}:{collect["seq"]}"]')
    await at_shop.get_by_role("button", name="Abgeholt").click()
    await expect(at_shop.locator("[data-sync]")).to_have_text("gesendet")
    await expect(at_shop).to_have_attribute("data-status", "DONE")
    await expect(at_shop.get_by_role("button", name="Abgeholt")).to_be_hidden()

    async def collected() -> bool:
        stop = (await tour_view(web, tour_id))["stops"][collect["seq"]]
        return shipment_id in stop["progress"].get("collected", [])
    await eventually(collected, "dispatch recorded the collection")

    # -- offline: the delivery waits on the phone, then goes when the network is back ------------------
    at_point = phone.locator(f'[data-stop="{tour_id}:{deliver["seq"]}"]')
    await phone.context.set_offline(True)
    await at_point.get_by_role("button", name="Abgeliefert").click()
    await expect(at_point.locator("[data-sync]")).to_have_text("Wartet auf Netz")
    assert "delivered_at" not in (await tour_view(web, tour_id))["stops"][deliver["seq"]]["progress"]
    await check_page(phone, "driver-tour-offline")
    await phone.context.set_offline(False)
    await expect(at_point.locator("[data-sync]")).to_have_text("gesendet", timeout=30_000)
    stop = (await tour_view(web, tour_id))["stops"][deliver["seq"]]
    assert stop["progress"]["delivered"].count(shipment_id) == 1, stop
    delivered_at = stop["progress"]["delivered_at"]

    # -- sent twice, recorded once: the phone's retry (same key) and a plain form (409 "already") -------
    replay = await phone.evaluate("""async () => {
        const entry = JSON.parse(localStorage.getItem("nahnetz.driver.reports"))
            .find(e => e.step === "delivered");
        const answer = await fetch(entry.url, {method: "POST", body: entry.body, headers: {
            "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
            "HX-Request": "true", "Idempotency-Key": entry.id,
            "X-CSRF-Token": document.querySelector('meta[name="csrf-token"]').content}});
        return [answer.status, await answer.json()];
    }""")
    assert replay[0] == 200 and replay[1]["outcome"] == "done", replay
    token = await phone.locator('meta[name="csrf-token"]').get_attribute("content")
    again = await phone.request.post(web.url(f"/fahrer/touren/{tour_id}/stopps/{deliver['seq']}/delivered"),
                                     form={"csrf": token, "key": str(uuid.uuid4())})
    assert again.status == 200 and "War schon gemeldet" in await again.text()
    stop = (await tour_view(web, tour_id))["stops"][deliver["seq"]]
    assert stop["progress"]["delivered"].count(shipment_id) == 1 and stop["progress"]["delivered_at"] == delivered_at

    # After a reload the page shows the stop done from the API.
    await phone.reload()
    await expect(at_point).to_have_attribute("data-status", "DONE")
    await expect(at_point.get_by_role("button", name="Abgeliefert")).to_have_count(0)


async def test_without_a_tour_the_driver_sees_so_and_a_problem_needs_a_reason(web: Web, phone: Page):
    unique = uuid.uuid4().hex[:8]
    web.add_account(f"fahrer-leer-{unique}", "driver", subject=f"drv-none-{unique}")
    await web.sign_in(phone, f"fahrer-leer-{unique}")
    await expect(phone.get_by_text("Für Sie ist keine Tour geplant.")).to_be_visible()
    await check_page(phone, "driver-no-tour")
    token = await phone.locator('meta[name="csrf-token"]').get_attribute("content")
    refused = await phone.request.post(web.url("/fahrer/touren/tour-x/stopps/1/failed"), form={"csrf": token})
    assert refused.status == 422 and "Bitte einen Grund wählen." in await refused.text()
    unknown = await phone.request.post(web.url("/fahrer/touren/tour-x/stopps/1/collected"), form={"csrf": token})
    assert unknown.status == 404 and 'role="alert"' in await unknown.text()
