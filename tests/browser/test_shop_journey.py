"""A shop's day in the browser: its goods (add, stock), the CSV import with a bad
row, opening hours, and the printable packing list with a real order on it.

The test registers a shop of its own (the operator, through the catalog API), so
its goods and packing list are this test's alone; a resident's order for it goes
through the orders API and is confirmed by the real saga (stock and locker)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import date

import pytest
from playwright.async_api import Locator, Page, expect

from web_support import Web, check_page

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
SHOWS_UP_S = 45.0


async def eventually(check, what: str, timeout: float = SHOWS_UP_S, interval: float = 0.3):
    """`check()`'s first truthy answer; fails naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        found = await check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what}")
        await asyncio.sleep(interval)


async def reload_until_visible(page: Page, locator: Locator, timeout: float = SHOWS_UP_S) -> None:
    """The catalog applies a write a moment after it answered: reload until it shows."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            await expect(locator).to_be_visible(timeout=1500)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            await page.reload()


async def seed_shop(web: Web, unique: str) -> str:
    """A shop of this test's own, open every day, registered by the operator."""
    shop_id = f"shop-web-{unique}"
    await web.platform.call("catalog", "POST", "/v1/shops", json={
        "shop_id": shop_id, "name": f"Hofladen Web {unique}", "kind": "FARM",
        "address": {"street": "Dorfstraße 1", "postal_code": "37671", "locality": "Höxter"},
        "location": {"lat": 51.77, "lon": 9.38}, "municipality": "Höxter",
        "opening_hours": {"intervals": [{"weekday": d, "opens": "07:00", "closes": "19:00"} for d in WEEKDAYS]},
        "contact": {"person": "Test", "phone": "+49 5271 1234"}, "accepts_phone_listing": True, "channel": "PHONE"})

    async def shown() -> bool:
        return (await web.platform.send("catalog", "GET", f"/v1/shops/{shop_id}")).status_code == 200
    await eventually(shown, f"the catalog shows shop {shop_id}")
    return shop_id


async def seed_point(web: Web, unique: str, location: tuple[float, float] = (51.717, 9.183)) -> str:
    """A locker of this test's own (so no other order fills it)."""
    point_id = f"pp-web-{unique}"
    await web.platform.call("pickup", "POST", "/v1/pickup-points", json={
        "pickup_point_id": point_id, "kind": "LOCKER", "name": f"Packstation Web {unique}",
        "address": {"street": "Am Bahnhof 2", "postal_code": "33034", "locality": "Brakel"},
        "location": {"lat": location[0], "lon": location[1]}, "municipality": "Brakel",
        "compartments": [{"compartment_id": f"A{i:03d}", "size": "M", "temperature_class": "AMBIENT",
                          "volume_ml": 40000} for i in range(4)]})

    async def shown() -> bool:
        return (await web.platform.send("pickup", "GET", f"/v1/pickup-points/{point_id}",
                                        headers=web.platform.operator)).status_code == 200
    await eventually(shown, f"the pick-up service shows point {point_id}")
    return point_id


async def product_id_named(web: Web, shop_id: str, name: str) -> str:
    async def found() -> str | None:
        shop = (await web.platform.call("catalog", "GET", f"/v1/shops/{shop_id}")).json()
        return next((p["product_id"] for p in shop.get("products") or () if p["name"] == name), None)
    return await eventually(found, f"the catalog lists {name}")


async def delivery_day(web: Web) -> date:
    days = (await web.platform.call("orders", "GET", "/v1/delivery-days")).json()["days"]
    return date.fromisoformat(days[min(2, len(days) - 1)])


async def confirmed_order(web: Web, resident: str, point_id: str, day: date, lines: dict[str, int]) -> dict:
    """A resident's order, placed once the orders service knows the goods and the point
    (it answers 422 until its projections have them), and confirmed by the saga."""
    who = web.platform.token(resident, "resident")
    body = {"lines": [{"product_id": p, "quantity": q} for p, q in lines.items()], "pickup_point_id": point_id,
            "delivery_day": day.isoformat(), "payment_method": "ONLINE", "channel": "web"}

    async def placed() -> str | None:
        answer = await web.platform.call("orders", "POST", "/v1/orders", who=who, json=body, ok=(202, 409, 422),
                                         headers={"Idempotency-Key": str(uuid.uuid4())})
        return answer.json()["order_id"] if answer.status_code == 202 else None
    order_id = await eventually(placed, "the orders service takes the order", interval=0.5)

    async def decided() -> dict | None:
        order = (await web.platform.call("orders", "GET", f"/v1/orders/{order_id}")).json()
        return order if order["status"] in ("CONFIRMED", "REJECTED") else None
    order = await eventually(decided, f"order {order_id} decided", timeout=60)
    assert order["status"] == "CONFIRMED", order
    return order


async def test_a_shop_lists_goods_counts_stock_imports_a_csv_sets_hours_and_prints_its_packing_list(
        web: Web, page: Page, tmp_path):
    unique = uuid.uuid4().hex[:8]
    shop_id = await seed_shop(web, unique)
    web.add_account(f"laden-{unique}", "shop", shop_id=shop_id, name=f"Hofladen Web {unique}")
    await web.sign_in(page, f"laden-{unique}")
    assert page.url.endswith("/laden")
    await check_page(page, "shop-goods-empty")

    # -- a new product: "being applied", then in the list ---------------------------------------------
    bread = f"Bauernbrot {unique}"
    await page.get_by_label("Name", exact=True).fill(bread)
    await page.get_by_label("Einheit (z. B. Stück, 500 g)").fill("1 kg")
    await page.get_by_label("Preis in € (brutto)").fill("3,49")
    await page.get_by_label("Bestand").fill("5")
    await page.get_by_label("Gewicht in g (je Einheit)").fill("1000")
    await page.get_by_label("Volumen in ml (je Einheit, verpackt)").fill("2000")
    await page.get_by_role("button", name="Ware anlegen").click()
    await expect(page.get_by_role("status")).to_contain_text("Wird übernommen")
    row = page.locator("tr", has=page.get_by_role("rowheader", name=bread))
    await reload_until_visible(page, row)
    await expect(row).to_contain_text("3,49")
    await expect(row.locator("[data-stock]")).to_have_text("5")
    await check_page(page, "shop-goods")

    # -- the counted stock ---------------------------------------------------------------------------------
    await row.get_by_text("Ändern").click()
    await row.get_by_label("Anzahl").fill("12")
    await row.get_by_role("button", name="Bestand speichern").click()
    await expect(page.get_by_role("status")).to_contain_text("Wird übernommen")

    async def stock_is_12() -> bool:
        await page.reload()
        return (await row.locator("[data-stock]").inner_text()).strip() == "12"
    await eventually(stock_is_12, "the list shows the counted stock 12")

    # -- a new price ---------------------------------------------------------------------------------------
    await row.get_by_text("Ändern").click()
    await row.get_by_label("Preis (€)").fill("3,99")
    await row.get_by_role("button", name="Angaben speichern").click()
    await expect(page.get_by_role("status")).to_contain_text("Wird übernommen")

    async def new_price() -> bool:
        await page.reload()
        return "3,99" in await row.inner_text()
    await eventually(new_price, "the list shows the new price")

    # -- CSV import: two good rows and a bad one (line 4) ------------------------------------------------
    apple, pear = f"Apfel {unique}", f"Birne {unique}"
    csv = (f"Name;Einheit;Preis;MwSt;Gewicht;Volumen;Bestand\n"
           f"{apple};1 kg;2,99;7;1000;1500;10\n{pear};1 kg;3,49;7;1000;1500;8\n"
           f"Kaputt {unique};1 kg;abc;7;1000;1500;3\n")
    await page.get_by_role("link", name="CSV-Import").click()
    await check_page(page, "shop-import")
    await page.get_by_label("CSV-Datei").set_input_files(
        files=[{"name": "waren.csv", "mimeType": "text/csv", "buffer": csv.encode("utf-8")}])
    await page.get_by_role("button", name="Hochladen").click()
    await expect(page.locator("[data-taken]")).to_have_text("Übernommen: 2 Zeilen")
    bad = page.locator("tr[data-line]")
    await expect(bad).to_have_count(1)
    await expect(bad.locator("td").first).to_have_text("4")
    assert "Preis" in await bad.locator("td").nth(1).inner_text()
    await check_page(page, "shop-import-report")
    # The report is shown once.
    await page.reload()
    await expect(page.locator("[data-taken]")).to_have_count(0)

    await page.get_by_role("link", name="Meine Waren").click()
    await reload_until_visible(page, page.get_by_role("rowheader", name=apple))
    await reload_until_visible(page, page.get_by_role("rowheader", name=pear))
    await expect(page.get_by_role("rowheader", name=f"Kaputt {unique}")).to_have_count(0)

    # -- the list as CSV, downloaded through the web front -------------------------------------------------
    await page.get_by_role("link", name="CSV-Import").click()
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Warenliste als CSV herunterladen").click()
    download = await download_info.value
    assert download.suggested_filename == f"produkte-{shop_id}.csv"
    saved = tmp_path / "list.csv"
    await download.save_as(saved)
    text = saved.read_text(encoding="utf-8-sig")
    assert bread in text and apple in text and pear in text

    # -- a product delisted leaves the list ------------------------------------------------------------
    await page.get_by_role("link", name="Meine Waren").click()
    pear_row = page.locator("tr", has=page.get_by_role("rowheader", name=pear))
    await pear_row.get_by_text("Ändern").click()
    await pear_row.get_by_role("button", name="Auslisten").click()
    await expect(page.get_by_role("status")).to_contain_text("Wird übernommen")

    async def pear_gone() -> bool:
        await page.reload()
        return await pear_row.count() == 0
    await eventually(pear_gone, "the delisted pear leaves the list")
    await expect(page.get_by_role("rowheader", name=apple)).to_be_visible()

    # -- opening hours: Monday with a lunch break ------------------------------------------------------
    await page.get_by_role("link", name="Öffnungszeiten").click()
    await check_page(page, "shop-profile")
    await page.locator("#MONDAY_1_opens").fill("08:00")
    await page.locator("#MONDAY_1_closes").fill("12:30")
    await page.locator("#MONDAY_2_opens").fill("14:00")
    await page.locator("#MONDAY_2_closes").fill("18:00")
    await page.locator("#SUNDAY_1_opens").fill("")
    await page.locator("#SUNDAY_1_closes").fill("")
    await page.get_by_role("button", name="Speichern").click()
    await expect(page.get_by_role("status")).to_contain_text("Wird übernommen")

    async def hours_applied() -> bool:
        shop = (await web.platform.call("catalog", "GET", f"/v1/shops/{shop_id}")).json()
        monday = [(i["opens"][:5], i["closes"][:5]) for i in shop["opening_hours"]["intervals"]
                  if i["weekday"] == "MONDAY"]
        sunday = [i for i in shop["opening_hours"]["intervals"] if i["weekday"] == "SUNDAY"]
        return monday == [("08:00", "12:30"), ("14:00", "18:00")] and not sunday
    await eventually(hours_applied, "the catalog shows the new opening hours")
    await page.reload()
    await expect(page.locator("#MONDAY_2_closes")).to_have_value("18:00")

    # -- a wrong interval is refused on the page, not sent -----------------------------------------------
    await page.locator("#TUESDAY_1_opens").fill("18:00")
    await page.locator("#TUESDAY_1_closes").fill("09:00")
    async with page.expect_response(lambda r: r.url.endswith("/laden/profil") and r.request.method == "POST") as a:
        await page.get_by_role("button", name="Speichern").click()
    assert (await a.value).status == 422
    await expect(page.get_by_role("alert")).to_contain_text("Dienstag")

    # -- the packing list: a resident's confirmed order for the shop's bread ---------------------------
    point_id = await seed_point(web, unique)
    bread_id = await product_id_named(web, shop_id, bread)
    day = await delivery_day(web)
    await page.goto(web.url(f"/laden/packliste?day={day.isoformat()}"))
    await expect(page.locator(".shop-empty")).to_be_visible()
    order = await confirmed_order(web, f"resident-web-{unique}", point_id, day, {bread_id: 2})

    async def on_the_list() -> bool:
        await page.reload()
        return await page.get_by_role("rowheader", name=bread).count() > 0
    await eventually(on_the_list, f"the packing list of {day} shows order {order['order_id']}")
    totals = page.locator(".shop-totals tr", has=page.get_by_role("rowheader", name=bread))
    await expect(totals.locator("td.num").first).to_have_text("2")
    await expect(page.get_by_role("heading", name=f"Abholstelle: Packstation Web {unique}")).to_be_visible()
    print_button = page.get_by_role("button", name="Drucken")
    await expect(print_button).to_be_visible()
    assert await print_button.get_attribute("data-print") is not None
    await check_page(page, "shop-packing")
    # Printed, the day chooser and the menu are left out.
    await page.emulate_media(media="print")
    await expect(page.locator("form.shop-day")).to_be_hidden()
    await expect(page.get_by_role("rowheader", name=bread).first).to_be_visible()
    await page.emulate_media(media="screen")


async def test_another_role_cannot_open_the_shop_pages_and_a_foreign_product_is_refused(web: Web, page: Page):
    unique = uuid.uuid4().hex[:8]
    web.add_account(f"fahrer-{unique}", "driver", subject=f"drv-{unique}")
    await web.sign_in(page, f"fahrer-{unique}")
    answer = await page.goto(web.url("/laden"))
    assert answer is not None and answer.status == 403
    # A shop cannot change another shop's goods: the catalog refuses, the page says so.
    seeded = (await web.platform.call("catalog", "GET", "/v1/shops")).json()["shops"][0]["shop_id"]
    foreign = (await web.platform.call("catalog", "GET", f"/v1/shops/{seeded}")).json()["products"][0]
    web.add_account(f"laden-x-{unique}", "shop", shop_id=f"shop-web-none-{unique}")
    await web.sign_in(page, f"laden-x-{unique}")
    await check_page(page, "shop-goods-unknown")
    token = await page.locator('meta[name="csrf-token"]').get_attribute("content")
    refused = await page.request.post(web.url(f"/laden/waren/{foreign['product_id']}/bestand"),
                                      form={"csrf": token, "amount": "1", "mode": "level"})
    assert refused.status == 403
    assert "role=\"alert\"" in await refused.text()
