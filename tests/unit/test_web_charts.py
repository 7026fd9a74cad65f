"""The municipality's charts (inline SVG, no style attributes) and the shaping of the
insights answers into cards, series, villages, the reach map and the report: a
suppressed cell is never shown as 0."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pytest

from services.web.domain import charts, figures
from services.web.domain.charts import Datum

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg) -> ET.Element:
    return ET.fromstring(str(svg))


def every_element(root: ET.Element) -> list[ET.Element]:
    return list(root.iter())


@pytest.mark.parametrize("draw", [charts.bar_chart, charts.line_chart, charts.row_chart])
def test_a_chart_is_an_accessible_image_with_a_title_for_every_value_and_no_style_attribute(draw):
    data = [Datum("KW 1", 12.0, "12"), Datum("KW 2", None, "unterdrückt (< 5)"), Datum("KW 3", 30.0, "30")]
    root = parse(draw(data, "Bestellungen je Woche"))
    assert root.get("role") == "img" and root.get("aria-label") == "Bestellungen je Woche"
    assert root.find(f"{SVG}title").text == "Bestellungen je Woche"
    assert all(e.get("style") is None for e in every_element(root))
    tips = [t.text for t in root.iter(f"{SVG}title")][1:]
    assert tips == ["KW 1: 12", "KW 2: unterdrückt (< 5)", "KW 3: 30"]


def test_bars_scale_to_a_round_top_and_a_missing_value_draws_no_bar():
    root = parse(charts.bar_chart([Datum("a", 40.0, "40"), Datum("b", None, "–"), Datum("c", 20.0, "20")], "x"))
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "chart-bar"]
    missing = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "chart-missing"]
    assert len(bars) == 2 and len(missing) == 1
    heights = [float(b.get("height")) for b in bars]
    assert heights[0] == pytest.approx(2 * heights[1])   # 40 of a top of 50, 20 of 50
    assert heights[0] == pytest.approx((charts.HEIGHT - charts.TOP - charts.BOTTOM) * 40 / 50)


def test_a_line_breaks_where_a_value_is_suppressed():
    data = [Datum("1", 1.0, "1"), Datum("2", 2.0, "2"), Datum("3", None, "u"), Datum("4", 3.0, "3"),
            Datum("5", 4.0, "4")]
    root = parse(charts.line_chart(data, "Anteil"))
    assert len(list(root.iter(f"{SVG}polyline"))) == 2
    assert len(list(root.iter(f"{SVG}circle"))) == 4


def test_names_are_escaped_in_the_svg():
    root = parse(charts.row_chart([Datum("<b>Ort & Co</b>", 3.0, "3")], "Orte <script>"))
    assert root.get("aria-label") == "Orte <script>"
    assert "<b>" not in str(charts.row_chart([Datum("<b>", 1.0, "1")], "x")).replace("&lt;b&gt;", "")


def test_nice_ceiling_and_ticks():
    assert [charts.nice_ceiling(v) for v in (0, 0.3, 1, 7, 12, 23, 40, 101)] == [1, 0.5, 1, 10, 20, 25, 50, 200]
    assert charts.ticks(50) == [0, 12.5, 25, 37.5, 50]


# -- figures ---------------------------------------------------------------------------------------------
def cell(value, suppressed=False):
    return {"value": None if suppressed else value, "suppressed": suppressed}


CATALOGUE = {"suppression_threshold": 5, "kpis": [
    {"id": "orders", "group": "orders", "name": {"de": "Bestellungen", "en": "Orders"}, "formula": "count",
     "unit": "count", "levels": ["village", "municipality", "district"]},
    {"id": "order_value", "group": "orders", "name": {"de": "Bestellwert", "en": "Order value"}, "formula": "sum",
     "unit": "EUR", "levels": ["village", "municipality", "district"]},
    {"id": "tours", "group": "logistics", "name": {"de": "Touren", "en": "Tours"}, "formula": "count",
     "unit": "count", "levels": ["district"]},
]}


def answer(period="week"):
    def rows(orders, value, village_orders):
        return [{"level": "municipality", "name": "Höxter", "values": {"orders": orders, "order_value": value}},
                {"level": "village", "name": "Ottbergen", "values": {"orders": village_orders}},
                {"level": "village", "name": "Albaxen", "values": {"orders": cell(7)}}]
    return {"period": period, "region": "Kreis Höxter", "periods": [
        {"start": "2026-11-30", "end": "2026-12-06", "areas": rows(cell(0, True), cell(0, True), cell(0, True))},
        {"start": "2026-12-07", "end": "2026-12-13", "areas": rows(cell(17), cell(359.3), cell(0.0))}],
        "reach": {"areas": [
            {"level": "municipality", "name": "Höxter", "nearest_site_m": None,
             "values": {"reach_1000m": cell(84), "reach_2000m": cell(84), "reach_5000m": cell(100)}},
            {"level": "village", "name": "Albaxen", "nearest_site_m": 2786.3,
             "values": {"reach_1000m": cell(0.0), "reach_2000m": cell(45.5), "reach_5000m": cell(100)}},
            {"level": "village", "name": "Bödexen", "nearest_site_m": 98.2,
             "values": {"reach_1000m": cell(0, True), "reach_2000m": cell(0, True), "reach_5000m": cell(0, True)}}]}}


def test_a_suppressed_cell_reads_suppressed_never_zero_and_a_real_zero_reads_zero():
    assert figures.cell_text(cell(0, True), "count", "de") == "unterdrückt (< 5)"
    assert figures.cell_text(cell(0, True), "count", "en") == "suppressed (< 5)"
    assert figures.cell_text(cell(0.0), "count", "de") == "0"
    assert figures.cell_text(cell(None), "%", "de") == "keine Angabe"
    assert figures.cell_text(cell(1234.5), "EUR", "de") == "1.234,50 €"
    assert figures.cell_text(cell(1234.5), "EUR", "en") == "EUR 1,234.50"
    assert figures.cell_text(cell(84.0), "%", "de") == "84 %"
    assert figures.cell_value(cell(0, True)) is None


def test_cards_show_the_latest_period_beside_the_one_before_and_the_district_in_the_chosen_language():
    district = {"periods": [{"start": "2026-12-07", "areas": [
        {"level": "district", "name": None, "values": {"orders": cell(64), "order_value": cell(0, True)}}]}]}
    cards = {c.kpi: c for c in figures.key_cards(answer(), CATALOGUE, "en", district)}
    assert list(cards) == ["orders", "order_value"]
    assert (cards["orders"].name, cards["orders"].text, cards["orders"].previous, cards["orders"].district) == \
        ("Orders", "17", "suppressed (< 5)", "64")
    assert cards["order_value"].district == "suppressed (< 5)"


def test_series_and_the_trend_table_carry_the_same_numbers():
    data = figures.series(answer(), "orders", "count", "de")
    assert data == [Datum("KW 49", None, "unterdrückt (< 5)"), Datum("KW 50", 17.0, "17")]
    table = figures.trend_table(answer(), CATALOGUE, "de")
    assert table.columns == ["Bestellungen", "Bestellwert"]
    assert table.rows[1] == ("07.12.2026 – 13.12.2026", ["17", "359,30 €"])


def test_villages_and_the_reach_map():
    villages = figures.village_cells(answer(), "orders", "count", "de")
    assert [(d.label, d.text) for d in villages] == [("Albaxen", "7"), ("Ottbergen", "0")]
    rows = figures.reach_rows(answer(), "de")
    assert [r.name for r in rows] == ["Höxter", "Albaxen", "Bödexen"]
    assert rows[1].shares == ["0 %", "45,5 %", "100 %"] and rows[1].nearest == "2,79 km"
    features = figures.reach_features(rows, {"Albaxen": (51.8, 9.4), "Bödexen": (51.85, 9.3)}, "de")
    assert [f["properties"]["colour"] for f in features] == ["#8a1c1c", figures.NO_VALUE_COLOUR]
    assert features[0]["geometry"]["coordinates"] == [9.4, 51.8]
    assert "2 km 45,5 %" in features[0]["properties"]["note"]
    assert "unterdrückt" in features[1]["properties"]["note"]


def test_the_range_form_is_checked():
    today = date(2026, 12, 7)
    choice = figures.chosen_range(None, None, None, today)
    assert (choice.period, choice.last, (choice.last - choice.first).days) == ("week", today, 83)
    assert choice.latest().params() == {"period": "week", "from": "2026-12-07", "to": "2026-12-07"}
    assert figures.chosen_range("month", None, "2026-12-20", today).latest().first == date(2026, 12, 1)
    for bad in (("year", None, None), ("day", "2026-13-01", None), ("day", "2026-12-08", "2026-12-01"),
                ("day", "2020-01-01", "2026-01-01")):
        with pytest.raises(figures.BadInput):
            figures.chosen_range(*bad, today)


def test_the_report_month():
    today = date(2026, 12, 7)
    assert figures.report_month(None, today) == date(2026, 11, 1)
    assert figures.report_month("2026-02", today) == date(2026, 2, 1)
    assert figures.month_end(date(2026, 2, 1)) == date(2026, 2, 28)
    assert figures.months_before(date(2026, 2, 1), 5) == date(2025, 9, 1)
    for bad in ("2026-13", "26-01", "2027-01", "1999-12"):
        with pytest.raises(figures.BadInput):
            figures.report_month(bad, today)


def test_the_report_groups_and_logistics():
    groups = figures.report_groups(answer("month"), CATALOGUE, "de")
    assert [g.title for g in groups] == ["Bestellungen"]
    assert groups[0].rows[0] == ("Bestellungen", "17", "unterdrückt (< 5)", False)
    district = {"periods": [{"areas": [{"level": "district", "values": {"tours": cell(3)}}]}]}
    assert figures.logistics_rows(district, CATALOGUE, "en") == [("Tours", "3")]


def test_file_names_are_ascii():
    assert figures.ascii_name("Höxter") == "Hoexter"
    assert figures.ascii_name("Bad Driburg") == "Bad_Driburg"
