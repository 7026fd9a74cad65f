"""The monthly report against the real broker and Redis, as `test_insights.py` runs the
service (the worker in its own process, the API over ASGI): two months of orders are
published with known days, and the report's tables and chart must say what the
figures API says for the same month (`?period=month` and `?period=day`): the same
values, suppressed in the same cells.

A municipality of this module's own ("Berichtsgemeinde <tag>"), three villages: in
May Oberdorf 15 orders on three days (one day of 2: suppressed, and a second day
with it), Mitteldorf 5 and Unterdorf 2 (suppressed, and Mitteldorf with it); in
April 6 and 5."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timezone
from typing import Any

import pytest
from html_tree import Tree, first_text
from insights_support import all_handled, api, settings, watcher, worker  # noqa: F401 (fixtures)
from test_insights import bearer, ev   # the same token and event helpers

from nahnetz.records import OrderPlaced, PickupPointRegistered, ShopRegistered
from nahnetz.testing import eventually
from services.insights.handlers.report import TREND_KPIS, VILLAGE_KPIS

pytestmark = pytest.mark.integration

TAG = uuid.uuid4().hex[:6]
TOWN = f"Berichtsgemeinde {TAG}"
OBERDORF, MITTELDORF, UNTERDORF = f"Oberdorf {TAG}", f"Mitteldorf {TAG}", f"Unterdorf {TAG}"
MAY, APRIL = date(2026, 5, 1), date(2026, 4, 1)
ORDERS = {   # village -> [(day, orders placed that day)]
    OBERDORF: [(date(2026, 4, 7), 6), (date(2026, 5, 4), 6), (date(2026, 5, 12), 7), (date(2026, 5, 20), 2)],
    MITTELDORF: [(date(2026, 4, 14), 5), (date(2026, 5, 12), 5)],
    UNTERDORF: [(date(2026, 5, 26), 2)],
}
TOWN_HALL = bearer("municipality", municipality=TOWN)
STAFF = bearer("operator")
REPORT = f"/v1/insights/municipalities/{TOWN}/report"


def point(point_id: str, village: str) -> PickupPointRegistered:
    return ev(PickupPointRegistered, datetime(2026, 3, 1, tzinfo=timezone.utc), pickup_point_id=point_id,
              kind="LOCKER", name=f"Station {village}",
              address={"street": "Am Markt 1", "postal_code": "99999", "locality": village},
              location={"lat": 50.0, "lon": 8.0}, municipality=TOWN,
              compartments=[{"compartment_id": f"A{n}", "size": "M", "temperature_class": "AMBIENT",
                             "volume_ml": 45000} for n in range(1, 9)])


def shop(shop_id: str) -> ShopRegistered:
    return ev(ShopRegistered, datetime(2026, 3, 1, tzinfo=timezone.utc), shop_id=shop_id, name="Dorfladen",
              kind="VILLAGE_SHOP", address={"street": "Dorfstraße 1", "postal_code": "99999", "locality": OBERDORF},
              location={"lat": 50.0, "lon": 8.0}, municipality=TOWN, contact={},
              opening_hours={"intervals": [{"weekday": "MONDAY", "opens": time(8), "closes": time(18)}]})


def placed(order_id: str, point_id: str, day: date, shop_id: str, channel: str) -> OrderPlaced:
    at = datetime.combine(day, time(8), tzinfo=timezone.utc)   # 10:00 in Berlin: the same day
    return ev(OrderPlaced, at, order_id=order_id, resident_id=f"resident-{order_id}", pickup_point_id=point_id,
              delivery_day=day, channel=channel, delivery_fee={"amount_cents": 0}, total={"amount_cents": 1250},
              lines=[{"product_id": "p1", "shop_id": shop_id, "product_name": "Brot", "unit": "Laib", "quantity": 1,
                      "unit_price": {"amount_cents": 1250}, "vat_rate_bp": 700, "weight_g": 1000,
                      "volume_ml": 2000}])


# -- fixtures (settings, worker, watcher, api: insights_support) ----------------------------------
@pytest.fixture(scope="module")
async def seeded(worker, producer, watcher, api):
    shop_id = f"shop-{TAG}"
    events: list[Any] = [shop(shop_id)]
    for village, days in ORDERS.items():
        point_id = f"pp-{village.split()[0].lower()}-{TAG}"
        events.append(point(point_id, village))
        for day, count in days:
            events += [placed(f"{point_id}-{day:%m%d}-{n}", point_id, day, shop_id, "PHONE" if n % 2 else "WEB")
                       for n in range(count)]
    await producer.publish_all(events)
    await eventually(lambda: all_handled(worker, watcher), what="two months folded", watch=[worker])

    async def projected() -> bool:
        answer = await api.get(f"/v1/insights/municipalities/{TOWN}", headers=STAFF,
                               params={"period": "month", "from": MAY.isoformat(), "to": "2026-05-31"})
        return answer.status_code == 200 and municipality_cells(answer.json(), 0)["orders"]["value"] == 22

    await eventually(projected, what="May's 22 orders readable", watch=[worker])


# -- reading the two -----------------------------------------------------------------------------
async def figures(api, period: str, first: date, last: date) -> dict[str, Any]:
    answer = await api.get(f"/v1/insights/municipalities/{TOWN}", headers=TOWN_HALL,
                           params={"period": period, "from": first.isoformat(), "to": last.isoformat()})
    assert answer.status_code == 200, answer.text
    return answer.json()


def municipality_cells(body: dict[str, Any], period: int) -> dict[str, Any]:
    return next(a["values"] for a in body["periods"][period]["areas"] if a["level"] == "municipality")


def number(text: str) -> float | None:
    """A German figure back to a number ("1.234,5" -> 1234.5; "–": no value)."""
    if text == "–":
        return None
    return float(text.replace(".", "").replace(",", ".").replace("\u2212", "-"))


def assert_same(td, api_cell: dict[str, Any], what: str) -> None:
    if api_cell["suppressed"]:
        assert "suppressed" in td.attrs["class"] and first_text(td) == "unterdrückt", what
    else:
        assert "suppressed" not in td.attrs["class"] and number(first_text(td)) == api_cell["value"], what


async def report(api, month: str = "2026-05") -> str:
    answer = await api.get(REPORT, params={"month": month}, headers=TOWN_HALL)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    return answer.text


# -- the report says what the API says -----------------------------------------------------------
async def test_the_reports_tables_equal_the_months_figures(api, seeded):
    html = await report(api)
    root = Tree(html).root
    may = await figures(api, "month", MAY, date(2026, 5, 31))
    april = await figures(api, "month", APRIL, date(2026, 4, 30))
    town, town_before = municipality_cells(may, 0), municipality_cells(april, 0)
    assert town["orders"]["value"] == 22 and town_before["orders"]["value"] == 11

    compared = 0
    for table in root.all("table", "kpis"):
        if table.attrs["data-group"] == "logistics":
            continue   # the district's, not the municipality's
        for tr in table.all("tr")[1:]:
            kpi = tr.attrs["data-kpi"]
            _, value, _, previous, _ = tr.all("td")
            assert_same(value, town[kpi], f"May {kpi}")
            assert_same(previous, town_before[kpi], f"April {kpi}")
            compared += 1
    assert compared == len(town) and compared > 30   # every KPI the API gives the municipality
    orders_row = root.one("table", data_group="orders").one("tr", data_kpi="orders").all("td")
    assert orders_row[4].text() == "+11"

    villages = {first_text(tr.all("td")[0]): tr.all("td")[1:] for tr in root.one("table", "villages").all("tr")[1:]}
    api_rows = {(a["name"] if a["level"] == "village" else "Gemeinde gesamt"): a["values"]
                for a in may["periods"][0]["areas"]}
    assert set(villages) == set(api_rows) == {OBERDORF, MITTELDORF, UNTERDORF, "Gemeinde gesamt"}
    for name, cells in villages.items():
        for kpi, td in zip(VILLAGE_KPIS, cells):
            assert_same(td, api_rows[name][kpi], f"{name} {kpi}")
    # Unterdorf's two are hidden, and Mitteldorf's five with them (22 - 15 would tell)
    assert "suppressed" in villages[UNTERDORF][0].attrs["class"]
    assert "suppressed" in villages[MITTELDORF][0].attrs["class"]
    assert number(first_text(villages[OBERDORF][0])) == 15

    trend = root.one("table", "trend")
    # from March on: the shop (and its goods count) is there from 1 March; nothing before
    assert [th.text() for th in trend.all("th")][1:-1] == ["März 2026", "April 2026", "Mai 2026"]
    for kpi in TREND_KPIS:
        _, _, before, now, _ = trend.one("tr", data_kpi=kpi).all("td")
        assert_same(before, town_before[kpi], f"trend April {kpi}")
        assert_same(now, town[kpi], f"trend May {kpi}")
    assert "resident-" not in html   # aggregates only


async def test_the_chart_has_the_days_of_the_month_as_the_api_gives_them(api, seeded):
    root = Tree(await report(api)).root
    days = await figures(api, "day", MAY, date(2026, 5, 31))
    cells = [next(a["values"]["orders"] for a in p["areas"] if a["level"] == "municipality") for p in days["periods"]]
    bars = root.one("figure", id="chart-orders-by-day").one("svg", role="img").all("rect", "bar")
    assert len(bars) == len(cells) == 31
    heights = {}
    for day, (bar, cell) in enumerate(zip(bars, cells), start=1):
        assert ("suppressed" in bar.attrs["class"]) == cell["suppressed"], day
        if not cell["suppressed"]:
            heights[day] = (float(bar.attrs["height"]), cell["value"])
    # the 2 orders of 20 May are hidden, and 4 May's 6 with them (the month minus the shown days)
    assert cells[19]["suppressed"] and cells[3]["suppressed"] and cells[11] == {"value": 12.0, "suppressed": False}
    assert len({round(h / v, 3) for h, v in heights.values() if v}) == 1   # one scale for every bar
    assert all(h == 0 for h, v in heights.values() if v == 0)


# -- who, and what month -------------------------------------------------------------------------
async def test_another_municipality_gets_403_and_a_bad_month_422(api, seeded):
    hoexter = bearer("municipality", municipality="Höxter")
    assert (await api.get(REPORT, params={"month": "2026-05"}, headers=hoexter)).status_code == 403
    for bad in ("2026-13", "Mai 2026", "1999-12", "2999-01"):
        answer = await api.get(REPORT, params={"month": bad}, headers=TOWN_HALL)
        assert answer.status_code == 422 and "month" in answer.json()["message"], bad
    unknown = await api.get(f"/v1/insights/municipalities/Nirgendwo {TAG}/report", headers=STAFF)
    assert unknown.status_code == 404
    default = await api.get(REPORT, headers=TOWN_HALL)   # the last complete month
    assert default.status_code == 200 and "<svg" in default.text


async def test_reach_in_the_report_is_the_apis(api, seeded):
    """Höxter (in the region pack): its villages' reach as the figures answer gives it."""
    answer = await api.get("/v1/insights/municipalities/Höxter/report", params={"month": "2026-05"}, headers=STAFF)
    assert answer.status_code == 200, answer.text
    root = Tree(answer.text).root
    body = (await api.get("/v1/insights/municipalities/Höxter", headers=STAFF,
                          params={"period": "month", "from": "2026-05-01", "to": "2026-05-31"})).json()
    rows = {first_text(tr.all("td")[0]): tr.all("td")[2:] for tr in root.one("table", "reach").all("tr")[1:]
            if "reference" not in tr.attrs.get("class", "")}
    api_rows = {a["name"]: a["values"] for a in body["reach"]["areas"]}
    assert set(rows) == set(api_rows) and "Albaxen" in rows
    for name, tds in rows.items():
        for kpi, td in zip(("reach_1000m", "reach_2000m", "reach_5000m"), tds):
            assert_same(td, api_rows[name][kpi], f"{name} {kpi}")
    assert root.one("tr", "reference").all("td")[2].text() == "74"
