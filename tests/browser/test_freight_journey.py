"""The freight exchange in a real browser: participant A offers a trip through Kreis
Höxter on the trip page, participant B posts a load along the way on the load page;
the freight worker proposes the pair to both, B accepts on their own page, A phones
the order desk, which records A's acceptance, and B sees the hand-over code. Every
page passes the accessibility check."""

from __future__ import annotations

import random
import re
import time
import uuid
from datetime import date, timedelta

import pytest
from playwright.async_api import Page, expect

from web_support import Web, check_page

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

MATCHED_WITHIN_MS = 90_000


def a_day_of_its_own() -> date:
    """A day weeks ahead, drawn per run, so no trip or load of another run competes."""
    return date.today() + timedelta(days=random.randint(30, 330))


async def proposal_appears(page: Page, web: Web) -> None:
    """The overview is reloaded until the worker's proposal shows (the page has no push)."""
    card = page.locator("article.match")

    async def shown() -> bool:
        await page.goto(web.url("/fracht"))
        return await card.count() > 0

    for _ in range(MATCHED_WITHIN_MS // 1000):
        if await shown():
            return
        await page.wait_for_timeout(1000)
    raise AssertionError("no proposal appeared on /fracht: " + await page.locator("main").inner_text())


async def listed(page, text: str, timeout_s: float = 30.0) -> None:
    """The freight worker projects a new trip or load a moment after the API took it:
    reload the overview until its first table shows `text`."""
    deadline = time.monotonic() + timeout_s
    while True:
        table = page.locator("table").first
        if await table.count() and text in await table.inner_text():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} not listed on {page.url} within {timeout_s:.0f} s")
        await page.wait_for_timeout(500)
        await page.reload()


async def test_a_trip_and_a_load_are_matched_accepted_by_both_and_the_sender_gets_the_hand_over_code(
        web: Web, browser):
    run = uuid.uuid4().hex[:8]
    day = a_day_of_its_own().isoformat()
    driver, sender = f"fracht-a-{run}", f"fracht-b-{run}"
    web.add_account(driver, "freight_participant", subject=f"fp-a-{run}", name="Pendlerin A")
    web.add_account(sender, "freight_participant", subject=f"fp-b-{run}", name="Hofladen B")
    a_context = await browser.new_context(locale="de-DE")
    b_context = await browser.new_context(locale="de-DE")
    desk_context = None
    problems: list[str] = []
    try:
        a, b = await a_context.new_page(), await b_context.new_page()
        for tab in (a, b):
            # A refused form (422) is a document answer the test expects; anything else counts.
            tab.on("console", lambda m: m.type == "error" and not m.text.startswith("Failed to load resource")
                   and problems.append(m.text))
            tab.on("response", lambda r: r.status >= 400 and r.request.resource_type != "document"
                   and problems.append(f"{r.status} {r.url}"))
            tab.on("pageerror", lambda e: problems.append(str(e)))

        # -- A offers a trip Bad Driburg -> Höxter -------------------------------------------------
        await web.sign_in(a, driver)
        assert a.url.endswith("/fracht")
        await check_page(a, "freight-home-empty")
        await a.get_by_role("link", name="Fahrt anbieten").first.click()
        await check_page(a, "freight-trip-form")
        await a.get_by_label("von", exact=True).fill(f"{day}T08:00")
        await a.get_by_label("bis", exact=True).fill(f"{day}T09:00")
        await a.get_by_label("Gewicht (kg)").fill("80")
        # A form with problems (no places chosen) comes back with them named, what was typed kept.
        await a.get_by_role("button", name="Fahrt anbieten").click()
        await expect(a.get_by_role("alert")).to_contain_text("Start: bitte Ort wählen")
        await expect(a.get_by_label("Gewicht (kg)")).to_have_value("80")
        await check_page(a, "freight-trip-form-problems")
        await a.get_by_label("Ort in der Region").nth(0).select_option("Bad Driburg")
        await a.get_by_label("Ort in der Region").nth(1).select_option("Höxter")
        await a.get_by_label("Höchster Umweg (km)").fill("15")
        await a.get_by_label("Preisregel").select_option("FREE")
        await a.get_by_role("button", name="Fahrt anbieten").click()
        await expect(a.get_by_role("status")).to_contain_text("Ihre Fahrt ist angeboten")
        await listed(a, "Bad Driburg")

        # -- the order desk sees it on the week's board ----------------------------------------------
        web.add_account(f"betrieb-{run}", "operator")
        desk_context = await browser.new_context(locale="de-DE")
        try:
            desk = await desk_context.new_page()
            await web.sign_in(desk, f"betrieb-{run}")
            await desk.goto(web.url(f"/betrieb/fracht?tag={day}"))
            trips = desk.locator("section[aria-labelledby=offen] table").first
            await expect(trips.locator("tr", has_text="Bad Driburg").filter(has_text="Höxter")).not_to_have_count(0)
            await check_page(desk, "operator-freight-week")
        finally:
            await desk_context.close()

        # -- B posts a load Brakel -> Ottbergen, on A's way -----------------------------------------
        await web.sign_in(b, sender)
        await b.goto(web.url("/fracht/ladung"))
        await check_page(b, "freight-load-form")
        await b.get_by_label("Ort in der Region").nth(0).select_option("Brakel")
        await b.get_by_label("Ort in der Region").nth(1).select_option("Ottbergen")
        await b.get_by_label("von", exact=True).nth(0).fill(f"{day}T07:00")
        await b.get_by_label("bis", exact=True).nth(0).fill(f"{day}T12:00")
        await b.get_by_label("von", exact=True).nth(1).fill(f"{day}T07:00")
        await b.get_by_label("bis", exact=True).nth(1).fill(f"{day}T14:00")
        await b.get_by_label("Was wird transportiert?").fill(f"Kartoffeln {run}")
        await b.get_by_label("Gewicht (kg)").fill("12")
        await b.get_by_role("button", name="Ladung aufgeben").click()
        await expect(b.get_by_role("status")).to_contain_text("Ihre Ladung ist aufgegeben")
        await listed(b, f"Kartoffeln {run}")

        # -- the worker proposes the pair to both ----------------------------------------------------
        await proposal_appears(b, web)
        await expect(b.locator("article.match")).to_contain_text("Fahrt für Ihre Ladung")
        await check_page(b, "freight-home-proposal")
        await proposal_appears(a, web)
        await expect(a.locator("article.match")).to_contain_text("Ladung für Ihre Fahrt")

        # -- both accept; the sender sees the hand-over code -----------------------------------------
        await b.locator("article.match").get_by_role("button", name="Annehmen").click()
        await expect(b.get_by_role("status")).to_contain_text("Sie haben zugestimmt")
        # A is on the road and phones the order desk, which answers for A's side.
        desk_context = await browser.new_context(locale="de-DE")
        desk = await desk_context.new_page()
        await web.sign_in(desk, f"betrieb-{run}")
        board = web.url(f"/betrieb/fracht?tag={day}&teilnehmer=fp-a-{run}")
        await desk.goto(board)
        answer = desk.locator("article[data-answer-for]")
        await expect(answer).to_have_count(1)
        await expect(answer).to_contain_text(f"Antwort von fp-a-{run} (Fahrt)")
        match_id = await answer.get_attribute("data-answer-for")
        await check_page(desk, "operator-freight-answer")
        await answer.get_by_label("Antwort kam").first.select_option("PHONE")
        await answer.get_by_role("button", name="Zusage eintragen").click()
        await expect(desk.get_by_role("status")).to_contain_text(f"Zusage für fp-a-{run} ist eingetragen")
        code = b.locator(".handover-code")
        for _ in range(60):
            await b.goto(web.url("/fracht"))
            if await code.count():
                break
            await b.wait_for_timeout(1000)
        await expect(code).to_have_text(re.compile(r"^[0-9 ]{6,8}$"))
        await expect(b.locator("article.match")).to_contain_text("vereinbart")
        await check_page(b, "freight-home-agreed")
        await a.goto(web.url("/fracht"))
        await expect(a.locator("article.match")).to_contain_text("Den Übergabe-Code nennt Ihnen der Absender")
        assert await a.locator(".handover-code").count() == 0
        await check_page(a, "freight-home-driver-agreed")

        # The desk's answer to a match no longer open, or for no side, is refused with a reason.
        csrf = await desk.locator('meta[name="csrf-token"]').get_attribute("content")
        form = {"csrf": csrf, "side": "TRIP_PROVIDER", "teilnehmer": f"fp-a-{run}", "tag": day}
        late = await desk.request.post(web.url(f"/betrieb/fracht/vorschlaege/{match_id}/annehmen"), form=form)
        assert late.status == 409 and 'role="alert"' in await late.text()
        sideless = await desk.request.post(web.url(f"/betrieb/fracht/vorschlaege/{match_id}/annehmen"),
                                           form={**form, "side": "DRIVER"})
        assert sideless.status == 422 and "Diese Antwort gibt es nicht" in await sideless.text()
    finally:
        await a_context.close()
        await b_context.close()
        if desk_context is not None:
            await desk_context.close()
    assert problems == [], f"errors in the browser console: {problems}"


async def test_a_participant_withdraws_a_trip_and_the_page_refuses_a_stranger(web: Web, page):
    run = uuid.uuid4().hex[:8]
    day = a_day_of_its_own().isoformat()
    web.add_account(f"fracht-w-{run}", "freight_participant", subject=f"fp-w-{run}", name="Handwerker W")
    await web.sign_in(page, f"fracht-w-{run}")
    await page.goto(web.url("/fracht/fahrt"))
    await page.get_by_label("Ort in der Region").nth(0).select_option("__coordinates__")
    await page.get_by_text("Oder Name und Koordinaten angeben").nth(0).click()
    await page.get_by_label("Name des Ortes").nth(0).fill(f"Hof {run}")
    await page.get_by_label("Breite (z. B. 51.72)").nth(0).fill("51.70")
    await page.get_by_label("Länge (z. B. 9.18)").nth(0).fill("9.10")
    await page.get_by_label("Ort in der Region").nth(1).select_option("Beverungen")
    await page.get_by_label("von", exact=True).fill(f"{day}T16:00")
    await page.get_by_label("bis", exact=True).fill(f"{day}T17:00")
    await page.get_by_label("Gewicht (kg)").fill("30")
    await page.get_by_label("Jede Woche zur selben Zeit").check()
    await page.get_by_label("Wie viele Wochen (1–12)").fill("2")
    await page.get_by_role("button", name="Fahrt anbieten").click()
    await expect(page.get_by_role("status")).to_contain_text("Ihre Fahrt ist angeboten")
    rows = page.locator("section", has=page.get_by_role("heading", name="Meine Fahrten")).locator("tbody tr")
    # The weekly trip is two dated offers; the freight worker records them a moment later.
    for _ in range(30):
        if await rows.count() == 2:
            break
        await page.wait_for_timeout(500)
        await page.goto(web.url("/fracht"))
    await expect(rows).to_have_count(2)
    await expect(rows.first).to_contain_text(f"Hof {run}")
    await expect(rows.first).to_contain_text("wöchentlich")
    await rows.first.get_by_role("button", name="Fahrt zurückziehen").click()
    await expect(page.get_by_role("status")).to_contain_text("Zurückgezogen")
    for _ in range(30):
        if "zurückgezogen" in await rows.first.inner_text():
            break
        await page.wait_for_timeout(500)
        await page.goto(web.url("/fracht"))
    await expect(rows.first).to_contain_text("zurückgezogen")
    await check_page(page, "freight-home-withdrawn")
    # Another role's page is refused.
    answer = await page.goto(web.url("/betrieb"))
    assert answer is not None and answer.status == 403
