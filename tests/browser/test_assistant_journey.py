"""An assistant takes an order by phone for a resident who does not order online:
names the resident, finds goods, chooses point and day, orders on their behalf; the
order is recorded as taken by phone and entered by the assistant, and the slip is
ready to print. A caller who knows only their phone number is found by it."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.async_api import expect

from test_shop_journey import eventually
from web_support import Web, check_page

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


def cents(euros: str) -> int:
    """1.234,50 € → 123450"""
    return int(re.sub(r"[^\d]", "", euros))


async def add_first(page, words: str) -> str:
    await page.get_by_label("Was suchen Sie?").fill(words)
    await page.get_by_role("button", name="Suchen").click()
    row = page.locator("tbody tr[data-product]").filter(has=page.get_by_role("button", name="In den Warenkorb")).first
    name = (await row.locator("th").evaluate("cell => cell.firstChild.textContent")).strip()
    await row.get_by_label(re.compile("^Menge")).fill("2")
    await row.get_by_role("button", name="In den Warenkorb").click()
    await expect(page.get_by_role("status")).to_contain_text("liegt im Warenkorb")
    return name


async def test_an_operator_takes_an_order_by_phone_for_a_resident_and_prints_the_slip(web: Web, page):
    run = uuid.uuid4().hex[:8]
    web.add_account(f"assistenz-{run}", "operator", subject=f"op-assist-{run}", name="Anna Assistenz")
    resident_id = f"res-phone-{run}"
    # Straight to the order desk: the sign-in brings the assistant back to it.
    await page.goto(web.url("/assistenz"))
    await page.wait_for_url(re.compile(r"/anmelden\?next=/assistenz$"))
    await page.get_by_label("Benutzername").fill(f"assistenz-{run}")
    await page.get_by_label("Passwort").fill(web.accounts[f"assistenz-{run}"])
    await page.get_by_role("button", name="Anmelden").click()
    await page.wait_for_url(web.url("/assistenz"))
    await expect(page.get_by_role("link", name="Bestellung aufnehmen")).to_have_attribute("aria-current", "page")
    await check_page(page, "assistant-start")

    await page.get_by_label("Kundennummer (Bewohner-ID)").fill(resident_id)
    await page.get_by_label("Telefon", exact=True).check()
    await page.get_by_role("button", name="Weiter").click()
    await expect(page.locator("[data-resident]")).to_have_text(resident_id)

    bread = await add_first(page, "Brot")
    milk = await add_first(page, "Milch")
    await expect(page.locator("table.basket tbody tr")).to_have_count(2)
    line_sums = await page.locator("table.basket tbody tr td:nth-of-type(3)").all_inner_texts()
    assert sum(cents(text) for text in line_sums) == cents(await page.locator("[data-total]").inner_text())
    await check_page(page, "assistant-basket")
    await page.get_by_role("button", name=re.compile("Jetzt bestellen")).click()
    await page.wait_for_url(re.compile(r"/assistenz/bestellungen/[0-9a-f-]+/beleg$"))
    order_id = await page.locator("[data-order-id]").inner_text()

    slip = page.locator("article.slip")
    for name in (bread, milk):
        await expect(slip.get_by_role("rowheader", name=re.compile(re.escape(name)))).to_be_visible()
    await expect(slip.locator("[data-resident]")).to_have_text(resident_id)
    await expect(page.locator("button[data-print]")).to_be_visible()
    await check_page(page, "assistant-slip")
    await page.get_by_role("link", name="English").click()
    await expect(page.get_by_role("button", name="Print the slip")).to_be_visible()
    await check_page(page, "assistant-slip-en")
    await page.get_by_role("link", name="Deutsch").click()

    operator = web.platform.token("op-checker", "operator")
    answer = await web.platform.call("orders", "GET", f"/v1/orders/{order_id}", who=operator)
    order = answer.json()
    assert answer.status_code == 200 and order["resident_id"] == resident_id, answer.text
    assert order["channel"] == "phone" and order["entered_by"] == f"op-assist-{run}"
    assert len(order["lines"]) == 2 and all(line["quantity"] == 2 for line in order["lines"])
    assert cents(await page.locator("[data-total]").inner_text()) == order["total"]["amount_cents"]

    # The assistant's basket is emptied by the order; their next caller starts afresh.
    await page.get_by_role("link", name="Nächste Bestellung aufnehmen").click()
    await expect(page.get_by_text("Der Warenkorb ist leer.")).to_be_visible()


async def test_an_operator_finds_a_caller_by_the_phone_number_they_give(web: Web, page):
    run = uuid.uuid4().hex[:8]
    web.add_account(f"assistenz-{run}", "operator", subject=f"op-find-{run}", name="Anna Assistenz")
    resident_id = f"res-caller-{run}"
    digits = f"{int(run, 16) % 10**8:08d}"  # a mobile number of this run's own
    # Recorded once, say at the counter, with the caller's consent.
    operator = web.platform.token("op-recorder", "operator")
    await web.platform.call("notify", "PUT", f"/v1/contacts/{resident_id}", who=operator, json={
        "preferred_channel": "PHONE_CALL", "phone": f"0151 {digits}", "consent": True,
        "postal_address": ["Erna Beispiel", "Marktstr. 1", "37688 Beverungen"]})

    async def indexed():
        found = await web.platform.call("notify", "GET", "/v1/contacts", who=operator, ok=(200, 404),
                                        params={"address": f"+49151{digits}"})
        return found.status_code == 200
    await eventually(indexed, "the caller's number indexed")

    await web.sign_in(page, f"assistenz-{run}")
    await page.goto(web.url("/assistenz"))
    someone_else = f"{(int(digits) + 1) % 10**8:08d}"
    await page.get_by_label("Telefonnummer oder E-Mail-Adresse").fill(f"0151-{someone_else}")
    await page.get_by_role("button", name="Weiter").click()
    await expect(page.get_by_role("alert")).to_contain_text("Niemand hat diese Telefonnummer")
    await expect(page.get_by_label("Telefonnummer oder E-Mail-Adresse")).to_have_value(f"0151-{someone_else}")

    # The caller says it the way people do.
    await page.get_by_label("Telefonnummer oder E-Mail-Adresse").fill(f"0151 / {digits[:4]} {digits[4:]}")
    await page.get_by_label("Telefon", exact=True).check()
    await page.get_by_role("button", name="Weiter").click()
    await expect(page.locator("[data-resident]")).to_have_text(resident_id)
    await expect(page.locator("[data-resident-name]")).to_have_text("Erna Beispiel")
    await check_page(page, "assistant-found-by-phone")
