"""The monthly report page from hand-made figures, shaped as `routes.municipality_figures`
answers them (the month's rows through `queries.detail_rows`, so suppression is the
API's): A4 print rules, the tables, the chart's bars, suppressed cells, German
numbers, escaping. The page is parsed (stdlib `html.parser`), not grepped, where
its structure matters."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import httpx
import pytest
from html_tree import Node, Tree, first_text

from nahnetz.kit.auth import issue_token
from nahnetz.testing import settings_for
from services.insights import queries
from services.insights.api import create_app
from services.insights.domain.coverage import NATIONAL_REFERENCE
from services.insights.domain.tally import Tally
from services.insights.handlers.report import (build_report, compared_from, german_number, render_report,
                                               report_month)
from services.insights.settings import InsightsSettings

INSIGHTS = InsightsSettings()
TOWN = "Musterstadt <script>alert('m')</script>"
OBER, MITTEL, UNTER = "Oberdorf", "Mitteldorf & Co", "<script>alert('v')</script>Unterdorf"
MARCH = date(2026, 3, 1)
NOW = datetime(2026, 4, 2, 7, 30, tzinfo=timezone.utc)


# -- hand-made figures ---------------------------------------------------------------------------
def orders_tally(orders: int, value_cents: int, phone: int = 0) -> Tally:
    tally = Tally()
    tally.counts.update({"orders": orders, "items": 2 * orders, "value_cents": value_cents,
                         "channel:WEB": orders - phone, "channel:PHONE": phone, "active_shops": 1 if orders else 0})
    return tally


def month_period(start: date, villages: dict[str, Tally]) -> dict:
    """A month as `municipality_figures` gives it: the municipality's row, then its villages'."""
    end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    figures = queries.PeriodFigures(start, end)
    for village, tally in villages.items():
        figures.add([queries.village_key(TOWN, village), queries.municipality_key(TOWN)], tally)
    return {"start": start, "end": end,
            "areas": queries.detail_rows(figures, TOWN, sorted(villages), INSIGHTS)}


def cell(value: float | None, suppressed: bool = False) -> dict:
    return {"value": None if suppressed else value, "suppressed": suppressed}


DAILY_ORDERS = {day: (day * 10 if day % 7 else 0) for day in range(1, 32)}   # Sundays... none
SUPPRESSED_DAYS = {3, 17}


def daily_answer() -> dict:
    periods = []
    for day, orders in DAILY_ORDERS.items():
        when = MARCH.replace(day=day)
        values = {"orders": cell(orders, suppressed=day in SUPPRESSED_DAYS)}
        periods.append({"start": when, "end": when, "areas": [{"level": "municipality", "name": TOWN,
                                                               "values": values}]})
    return {"region": "Kreis Höxter", "municipality": TOWN, "period": "day", "periods": periods}


def monthly_answer() -> dict:
    march = {OBER: orders_tally(1219, 1_234_550, phone=300), MITTEL: orders_tally(12, 12_000),
             UNTER: orders_tally(3, 3_000)}
    february = {OBER: orders_tally(990, 990_000), MITTEL: orders_tally(10, 10_000)}
    periods = [month_period(date(2025, 10, 1), {}), month_period(date(2025, 11, 1), {}),
               month_period(date(2025, 12, 1), {}), month_period(date(2026, 1, 1), {OBER: orders_tally(800, 1)}),
               month_period(date(2026, 2, 1), february), month_period(MARCH, march)]
    reach = {"areas": [
        {"level": "municipality", "name": TOWN, "values": {"reach_1000m": cell(62.5), "reach_2000m": cell(80.0),
                                                           "reach_5000m": cell(100.0)}},
        {"level": "village", "name": OBER, "municipality": TOWN, "nearest_site_m": 1234.0,
         "values": {"reach_1000m": cell(0.0), "reach_2000m": cell(100.0), "reach_5000m": cell(100.0)}},
        {"level": "village", "name": UNTER, "municipality": TOWN, "nearest_site_m": None,
         "values": {k: cell(None, suppressed=True) for k in ("reach_1000m", "reach_2000m", "reach_5000m")}},
    ], "reference": NATIONAL_REFERENCE, "method": "straight line from each village's centre"}
    return {"region": "Kreis Höxter", "municipality": TOWN, "period": "month", "from": date(2025, 10, 1),
            "to": date(2026, 3, 31), "co2_factor": INSIGHTS.co2, "periods": periods, "reach": reach}


def district_cells() -> dict:
    tally = Tally()
    tally.counts.update({"tours": 12, "m_driven": 1_234_500, "stops_completed": 60})
    row = queries.area_row(queries.DISTRICT_KEY, tally, INSIGHTS)
    return {k: v for k, v in row["values"].items() if k in ("tours", "km_driven", "stops_per_tour")}


def page() -> str:
    return render_report(build_report(MARCH, monthly_answer(), daily_answer(), district_cells(), NOW,
                                      INSIGHTS.min_count, date(2026, 4, 2)))


def parsed() -> Node:
    return Tree(page()).root


# -- print -----------------------------------------------------------------------------------------
def test_the_page_is_for_a4_with_page_numbers_and_nothing_split():
    root = parsed()
    style = root.one("style").text()
    assert "@page" in style and "size: A4" in style and "counter(page)" in style
    assert "table { width: 100%" in style and style.count("break-inside: avoid") >= 3
    assert "figure {" in style and "break-inside: avoid" in style.split("figure {")[1].split("}")[0]
    assert root.all("script") == []   # no JavaScript, and no hostile name became one


# -- tables ----------------------------------------------------------------------------------------
def kpi_row(root: Node, group: str, kpi: str) -> list[Node]:
    return root.one("table", data_group=group).one("tr", data_kpi=kpi).all("td")


def test_the_summary_has_every_group_with_german_numbers_and_the_previous_month():
    root = parsed()
    assert [t.attrs["data-group"] for t in root.all("table", "kpis")] == ["orders", "pickup", "logistics", "freight",
                                                                         "trade"]
    headers = [first_text(th) for th in root.one("table", data_group="orders").all("th")]
    assert headers == ["Kennzahl", "Wert", "Einheit", "Vormonat", "Veränderung"]
    name, value, unit, previous, change = kpi_row(root, "orders", "orders")
    assert name.text() == "Bestellungen Orders"
    assert first_text(value) == "1.234" and first_text(previous) == "1.000" and change.text() == "+234"
    assert unit.text().startswith("Anzahl")
    assert first_text(kpi_row(root, "orders", "order_value")[1]) == "12.495,50"   # cents summed, EUR
    assert first_text(kpi_row(root, "orders", "assisted_share")[1]) == "24,31"    # 300 of 1234
    assert first_text(kpi_row(root, "logistics", "km_driven")[1]) == "1.234,5"


def test_numbers_are_formatted_the_german_way():
    assert german_number(1234.5) == "1.234,5" and german_number(1234567) == "1.234.567"
    assert german_number(0.25) == "0,25" and german_number(-2.5) == "\u22122,5" and german_number(0) == "0"
    assert german_number(12345.5, 2) == "12.345,50"


def test_suppressed_cells_read_unterdrueckt_never_zero_with_the_footnote():
    root = parsed()
    villages = {first_text(tr.all("td")[0]): tr.all("td")[1:] for tr in root.one("table", "villages").all("tr")[1:]}
    assert set(villages) == {OBER, MITTEL, UNTER, "Gemeinde gesamt"}
    # Unterdorf's three orders are below five; Mitteldorf's twelve are hidden with them,
    # or 1234 - 1219 - 12 would tell Unterdorf's three
    for village in (UNTER, MITTEL):
        orders = villages[village][0]
        assert "suppressed" in orders.attrs["class"] and first_text(orders) == "unterdrückt", village
    assert first_text(villages[OBER][0]) == "1.219" and first_text(villages["Gemeinde gesamt"][0]) == "1.234"
    for td in root.all("td", "suppressed"):
        assert td.text() == "unterdrückt / suppressed" or td.text().startswith("unterdrückt"), td.text()
        assert not any(ch.isdigit() for ch in td.text())
    footnote = root.one("section", "footnotes").text()
    assert "weniger als 5" in footnote and "fewer than 5" in footnote


def test_the_months_before_are_compared_from_the_first_with_data():
    root = parsed()
    header = [th.text() for th in root.one("table", "trend").all("th")]
    assert header[1:-1] == ["Januar 2026", "Februar 2026", "März 2026"]   # Oct-Dec had nothing
    orders = root.one("table", "trend").one("tr", data_kpi="orders").all("td")
    assert [first_text(td) for td in orders[1:4]] == ["800", "1.000", "1.234"]


def test_reach_stands_beside_the_national_reference_with_its_source():
    root = parsed()
    rows = root.one("table", "reach").all("tr")[1:]
    assert first_text(rows[0].all("td")[0]) == TOWN and [first_text(td) for td in rows[0].all("td")[2:]] == [
        "62,5", "80", "100"]
    ober = next(r for r in rows if first_text(r.all("td")[0]) == OBER)
    assert first_text(ober.all("td")[1]) == "1.230"
    reference = root.one("tr", "reference").all("td")
    assert reference[2].text() == "74"
    links = [a.attrs["href"] for a in root.one("section", "villages").all("a")]
    assert NATIONAL_REFERENCE["url"] in links


def test_every_kpi_shown_is_defined_in_the_appendix():
    root = parsed()
    shown = {tr.attrs["data-kpi"] for t in root.all("table", "kpis") for tr in t.all("tr") if "data-kpi" in tr.attrs}
    defined = {dt.attrs["id"].removeprefix("kpi-") for dt in root.one("section", "appendix").all("dt")}
    assert shown <= defined and {"reach_1000m", "reach_5000m"} <= defined
    assert "count of OrderPlaced" in root.one("section", "appendix").text()
    footer = root.one("footer").text()
    assert "02.04.2026 09:30" in footer and "Aggregierte Daten, keine personenbezogenen Angaben" in footer
    assert "aggregates only" in footer


# -- the chart -------------------------------------------------------------------------------------
def test_the_chart_has_one_bar_per_day_proportional_and_suppressed_days_hatched():
    svg = parsed().one("figure", id="chart-orders-by-day").one("svg", role="img")
    bars = svg.all("rect", "bar")
    assert len(bars) == 31
    ratios = set()
    for day, bar in enumerate(bars, start=1):
        height = float(bar.attrs["height"])
        if day in SUPPRESSED_DAYS:
            assert "suppressed" in bar.attrs["class"] and bar.attrs["fill"].startswith("url(#")
            assert height > 0   # drawn, never as a zero
        elif DAILY_ORDERS[day] == 0:
            assert height == 0
        else:
            ratios.add(round(height / DAILY_ORDERS[day], 3))
    assert len(ratios) == 1   # one scale for every bar
    tallest = max((b for n, b in enumerate(bars, 1) if n not in SUPPRESSED_DAYS), key=lambda b: float(b.attrs["height"]))
    assert float(tallest.attrs["y"]) + float(tallest.attrs["height"]) == pytest.approx(
        float(bars[0].attrs["y"]) + float(bars[0].attrs["height"]))   # one baseline
    assert svg.one("pattern").attrs["id"] == "orders-by-day-hatch"


# -- escaping, privacy -------------------------------------------------------------------------
def test_hostile_names_are_text_not_markup():
    html = page()
    assert "<script" not in html
    root = Tree(html).root
    assert root.one("span", "municipality").text() == TOWN
    assert UNTER in [first_text(tr.all("td")[0]) for tr in root.one("table", "villages").all("tr")[1:]]
    assert "Mitteldorf &amp; Co" in html
    assert "resident-" not in html


# -- the month asked for ---------------------------------------------------------------------------
def test_the_month_defaults_to_the_last_complete_one_and_bad_months_are_refused():
    assert report_month(None, date(2026, 3, 15)) == date(2026, 2, 1)
    assert report_month(None, date(2026, 1, 1)) == date(2025, 12, 1)
    assert report_month("2026-03", date(2026, 3, 15)) == MARCH   # the month running: allowed, marked
    for bad in ("2026-13", "26-03", "2026-3", "März", "2026-03-01", "1999-12", "2026-04"):
        with pytest.raises(ValueError, match="month"):
            report_month(bad, date(2026, 3, 15))
    assert compared_from(MARCH) == date(2025, 10, 1) and compared_from(date(2000, 2, 1)) == date(2000, 1, 1)


def test_a_running_month_is_marked_incomplete():
    report = build_report(MARCH, monthly_answer(), daily_answer(), district_cells(), NOW, 5, date(2026, 3, 20))
    assert not report.complete and "unvollständig" in render_report(report)


# -- who may read it (before anything is read: this app has no Redis) ------------------------------
SECRET = "insights-unit-secret-long-enough-for-hs256"


@pytest.fixture
async def http():
    app = create_app(settings_for("127.0.0.1:9", "redis://127.0.0.1:9/0", service="insights", jwt_secret=SECRET),
                     InsightsSettings())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://insights.test") as client:
        yield client


def bearer(role: str, **scopes) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, f'{role}-1', role, **scopes)}"}


async def test_another_municipality_or_role_may_not_read_the_report(http):
    path = "/v1/insights/municipalities/Brakel/report"
    assert (await http.get(path, headers=bearer("municipality", municipality="Höxter"))).status_code == 403
    assert (await http.get(path, headers=bearer("resident"))).status_code == 403
    assert (await http.get(path)).status_code == 401


async def test_a_malformed_month_is_a_422_naming_the_parameter(http):
    answer = await http.get("/v1/insights/municipalities/Höxter/report", params={"month": "2026-13"},
                            headers=bearer("municipality", municipality="Höxter"))
    assert answer.status_code == 422 and "YYYY-MM" in answer.json()["message"]


def test_a_quiet_month_between_stays_in_the_comparison_and_leaves_no_previous_value():
    monthly = monthly_answer()
    monthly["periods"][4] = month_period(date(2026, 2, 1), {})   # nothing in February
    report = build_report(MARCH, monthly, daily_answer(), district_cells(), NOW, 5, date(2026, 4, 2))
    assert [de for de, _ in report.trend_months] == ["Januar 2026", "Februar 2026", "März 2026"]
    orders = next(r for r in report.groups[0]["rows"] if r["kpi"].id == "orders")
    assert orders["value"].text == "1.234" and orders["previous"].text == "–" and orders["change"] == "–"
