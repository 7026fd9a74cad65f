"""The municipality's journey: the town hall of Höxter signs in, reads its KPIs (cards,
SVG charts with their table, villages, the reach map), switches the period, downloads
the CSV and opens the monthly report; every page passes the accessibility check."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date
from pathlib import Path

import pytest
from playwright.async_api import expect

from nahnetz.clock import today_in_berlin
from nahnetz.demo.residents import Resident, _order, delivery_day
from nahnetz.regions import load_region
from nahnetz.testing import eventually

from web_support import Web, check_page

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

TOWN = "Höxter"
ORDERS = 6


def week_orders(answer: dict) -> float | None:
    """Höxter's order count in the answer's last period; None while suppressed."""
    for row in answer["periods"][-1]["areas"] if answer["periods"] else []:
        if row["level"] == "municipality":
            return row["values"]["orders"]["value"]
    return None


async def test_the_town_hall_reads_its_figures_downloads_them_and_opens_the_report(web: Web, page, tmp_path: Path):
    region = load_region("kreis_hoexter")
    assert TOWN in {p.municipality for p in region.places}
    run = uuid.uuid4().hex[:8]
    # Residents of Höxter order this week, so the week's cells are not suppressed (< 5).
    day = await delivery_day(web.platform)
    homes = [p for p in region.places if p.municipality == TOWN and p.name == TOWN]
    placed = [await _order(web.platform, day, Resident(f"resident-{run}-{i}", homes[0]), "WEB", "ONLINE", 2, i / 10)
              for i in range(ORDERS)]
    assert sum(1 for p in placed if p.order_id) >= 5, [p.refused for p in placed]
    town_hall = web.platform.token(f"town-hall-{run}", "municipality", municipality=TOWN)
    today = today_in_berlin()
    monday = date.fromordinal(today.toordinal() - today.weekday())

    async def counted() -> bool:
        answer = (await web.platform.call("insights", "GET", "/v1/insights/municipalities/Höxter", who=town_hall,
                                          params={"period": "week", "from": monday.isoformat(),
                                                  "to": today.isoformat()})).json()
        return (week_orders(answer) or 0) >= 5

    await eventually(counted, timeout=60, what="Höxter's orders of this week counted by insights")

    web.add_account(f"gemeinde-hx-{run}", "municipality", municipality=TOWN, name="Stadt Höxter")
    await web.sign_in(page, f"gemeinde-hx-{run}")
    assert page.url.endswith("/gemeinde")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Kennzahlen: Höxter")
    orders_card = page.locator('.kpi-card[data-kpi="orders"]')
    await expect(orders_card.get_by_role("heading")).to_have_text("Bestellungen")
    value = await orders_card.locator(".kpi-value").inner_text()
    assert "unterdrückt" not in value and int(value.replace(".", "")) >= 5, value
    # Somewhere a cell is suppressed, and it reads so, never 0.
    assert await page.get_by_text("unterdrückt (< 5)").count() > 0
    charts = page.locator("svg.chart[role=img]")
    assert await charts.count() >= 8
    assert await charts.first.get_attribute("aria-label")
    assert await page.locator("svg.chart rect.chart-bar title").count() > 0
    assert await page.locator("table.trend-table tbody tr").count() >= 10  # twelve weeks by default
    await expect(page.locator("#map-reach .leaflet-interactive").first).to_be_visible()
    await check_page(page, "municipality-dashboard")

    # Another period: by month.
    await page.get_by_label("Zeitraster").select_option("month")
    await page.get_by_role("button", name="Anzeigen").click()
    await page.wait_for_url("**/gemeinde?period=month*")
    first_row = await page.locator("table.trend-table tbody tr th").first.inner_text()
    assert first_row.startswith("01."), first_row
    await check_page(page, "municipality-dashboard-month")

    # English names of the KPIs.
    await page.get_by_role("link", name="English").click()
    await expect(page.locator('.kpi-card[data-kpi="orders"] h3')).to_have_text("Orders")
    await page.get_by_role("link", name="Deutsch").click()

    # The CSV, through the web front (the browser holds no token).
    await page.get_by_role("link", name="Downloads").first.click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Downloads: Höxter")
    await check_page(page, "municipality-downloads")
    async with page.expect_download() as waiting:
        await page.get_by_role("link", name="Kennzahlen als CSV").click()
    download = await waiting.value
    assert download.suggested_filename.startswith("kennzahlen-Hoexter-") and download.suggested_filename.endswith(".csv")
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Beginn", "Ende", "Ebene", "Gebiet", "Gemeinde", "KPI", "Bezeichnung", "Wert", "Einheit",
                       "Unterdrückt"]
    assert any(r[3] == TOWN and r[5] == "orders" for r in rows[1:])

    # The monthly report of this month, drawn by the web front for print.
    await page.goto(web.url(f"/gemeinde/bericht?monat={today:%Y-%m}"))
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Monatsbericht Höxter")
    assert await page.locator("table.report-table").count() >= 4
    assert await page.locator("svg.chart[role=img]").count() == 1
    await expect(page.get_by_role("button", name="Drucken")).to_be_visible()
    await check_page(page, "municipality-report")
    # On paper: no menu, no forms, no buttons; the tables and the chart stay.
    await page.emulate_media(media="print")
    await expect(page.locator("header.site")).to_be_hidden()
    await expect(page.get_by_role("button", name="Drucken")).to_be_hidden()
    await expect(page.locator("svg.chart")).to_be_visible()
    await page.emulate_media(media="screen")
    # Another municipality's figures are not for this town hall.
    answer = await page.goto(web.url("/gemeinde?gemeinde=Brakel"))
    assert answer.status == 403


async def test_the_operator_chooses_any_municipality(web: Web, page):
    run = uuid.uuid4().hex[:8]
    web.add_account(f"betrieb-gemeinden-{run}", "operator", name="Betrieb")
    await web.sign_in(page, f"betrieb-gemeinden-{run}")
    await page.goto(web.url("/gemeinde?gemeinde=Brakel"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Kennzahlen: Brakel")
    await page.get_by_label("Gemeinde", exact=True).select_option("Beverungen")
    await page.get_by_role("button", name="Gemeinde zeigen").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Kennzahlen: Beverungen")
    await check_page(page, "municipality-operator")
    answer = await page.goto(web.url("/gemeinde/bericht?gemeinde=Nirgendwo"))
    assert answer.status == 404
    answer = await page.goto(web.url("/gemeinde?gemeinde=Brakel&period=day&from=2026-12-10&to=2026-12-01"))
    assert answer.status == 422
    await expect(page.get_by_role("alert")).to_have_text("Der Beginn liegt nach dem Ende.")
