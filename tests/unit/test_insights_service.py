"""The insights service around its domain: the CO2 factor comes from configuration
with its source, the CSV export in both styles with formulas defused, and who may
read which municipality (checked before anything is read: these apps have no Redis)."""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from nahnetz.kit.auth import issue_token
from nahnetz.kit.settings import SettingsError
from nahnetz.testing import settings_for
from services.insights.api import create_app
from services.insights.domain.figures import kpi_values
from services.insights.domain.tally import Tally
from services.insights.handlers.export import figures_csv
from services.insights.settings import DEFAULT_CO2_G_PER_KM, InsightsSettings, load_insights_settings

SECRET = "insights-unit-secret-long-enough-for-hs256"


# -- the CO2 factor ----------------------------------------------------------------------------
def delivered_tally(km: float) -> Tally:
    tally = Tally()
    tally.counts.update({"loads_delivered": 5, "m_avoided": int(km * 1000)})
    return tally


def test_the_co2_factor_comes_from_the_environment_with_its_source(monkeypatch):
    monkeypatch.setenv("INSIGHTS_CO2_G_PER_KM", "250")
    monkeypatch.setenv("INSIGHTS_CO2_SOURCE", "Fuhrpark der Gemeinde, Dieselverbrauch 2025")
    insights = load_insights_settings()
    assert insights.co2 == {"g_per_km": 250.0, "source": "Fuhrpark der Gemeinde, Dieselverbrauch 2025"}
    assert kpi_values(delivered_tally(100), insights.factors, ["co2_avoided"]) == {"co2_avoided": 25.0}


def test_the_default_factor_is_named_and_used(monkeypatch):
    monkeypatch.delenv("INSIGHTS_CO2_G_PER_KM", raising=False)
    insights = load_insights_settings()
    assert insights.co2_g_per_km == DEFAULT_CO2_G_PER_KM and "0.17 kg" in insights.co2_source
    assert kpi_values(delivered_tally(100), insights.factors, ["co2_avoided"]) == {"co2_avoided": 17.0}


def test_a_changed_factor_without_its_source_stops_the_service(monkeypatch):
    monkeypatch.setenv("INSIGHTS_CO2_G_PER_KM", "300")
    monkeypatch.delenv("INSIGHTS_CO2_SOURCE", raising=False)
    with pytest.raises(SettingsError, match="INSIGHTS_CO2_SOURCE"):
        load_insights_settings()


def test_the_suppression_threshold_cannot_be_set_below_five(monkeypatch):
    monkeypatch.setenv("INSIGHTS_MIN_COUNT", "3")
    with pytest.raises(SettingsError, match="MIN_COUNT"):
        load_insights_settings()


# -- CSV ---------------------------------------------------------------------------------------
PERIODS = [{"start": "2026-11-01", "end": "2026-11-30", "areas": [
    {"level": "municipality", "name": "Höxter", "values": {
        "order_value": {"value": 1234.5, "suppressed": False},
        "orders": {"value": None, "suppressed": True}}},
    {"level": "village", "name": "=HYPERLINK(\"http://x\")", "municipality": "Höxter", "values": {
        "compartment_use": {"value": 12.25, "suppressed": False}}},
]}]


def rows(text: str, delimiter: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=delimiter))


def test_german_csv_has_semicolons_and_decimal_commas():
    table = rows(figures_csv(PERIODS, "de", "Kreis Höxter"), ";")
    assert table[0][:3] == ["Beginn", "Ende", "Ebene"]
    assert table[1][5:10] == ["order_value", "Bestellwert", "1234,5", "EUR", "nein"]
    # suppressed: no value, not a zero
    assert table[2][5] == "orders" and table[2][7] == "" and table[2][9] == "ja"


def test_international_csv_has_commas_and_points():
    table = rows(figures_csv(PERIODS, "intl", "Kreis Höxter"), ",")
    assert table[1][5:10] == ["order_value", "Order value", "1234.5", "EUR", "no"]
    assert table[3][7] == "12.25"


def test_a_formula_in_a_cell_is_defused():
    table = rows(figures_csv(PERIODS, "de", "Kreis Höxter"), ";")
    assert table[3][3].startswith("'=")


# -- who may read what ---------------------------------------------------------------------------
@pytest.fixture
async def http():
    app = create_app(settings_for("127.0.0.1:9", "redis://127.0.0.1:9/0", service="insights", jwt_secret=SECRET),
                     InsightsSettings())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://insights.test") as client:
        yield client


def bearer(role: str, **scopes) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, f'{role}-1', role, **scopes)}"}


async def test_the_kpi_catalogue_is_public(http):
    answer = await http.get("/v1/insights/kpis")
    assert answer.status_code == 200
    body = answer.json()
    orders = next(k for k in body["kpis"] if k["id"] == "orders")
    assert orders["name"] == {"de": "Bestellungen", "en": "Orders"} and orders["unit"] == "count"
    assert body["suppression_threshold"] == 5 and body["co2_factor"]["source"]
    assert "BBSR" in body["national_reference"]["source"]


@pytest.mark.parametrize("path", ["/v1/insights/municipalities/Brakel",
                                  "/v1/insights/municipalities/Brakel/figures.csv"])
async def test_a_municipality_may_not_read_another_municipalitys_detail(http, path):
    answer = await http.get(path, headers=bearer("municipality", municipality="Höxter"))
    assert answer.status_code == 403, answer.text
    assert "Höxter" in answer.json()["message"]


@pytest.mark.parametrize("role", ["resident", "shop", "driver", "freight_participant"])
async def test_other_roles_may_not_read_a_municipality(http, role):
    scopes = {"shop_id": "shop-1"} if role == "shop" else {}
    answer = await http.get("/v1/insights/municipalities/Höxter", headers=bearer(role, **scopes))
    assert answer.status_code == 403


async def test_without_a_token_only_the_public_routes_answer(http):
    assert (await http.get("/v1/insights/district")).status_code == 401
    assert (await http.get("/v1/insights/municipalities/Höxter")).status_code == 401


async def test_a_range_backwards_or_too_long_is_refused(http):
    staff = bearer("operator")
    backwards = await http.get("/v1/insights/district", params={"from": "2026-11-10", "to": "2026-11-01"},
                               headers=staff)
    assert backwards.status_code == 422 and "from" in backwards.text
    too_long = await http.get("/v1/insights/district", params={"from": "2020-01-01", "to": "2026-11-01"},
                              headers=staff)
    assert too_long.status_code == 422


# -- reach geometry and places -------------------------------------------------------------------
def test_reach_measures_straight_lines_to_points_in_service_and_open_daily_goods_shops():
    from nahnetz.regions import Place
    from services.insights.handlers.reach import supply_sites, village_distances

    village = Place("Albaxen", "Höxter", 51.800, 9.380, 1000, "37671", False)
    points = {"near": {"lat": 51.8081, "lon": 9.380, "in_service": True},      # ~900 m north
              "closed": {"lat": 51.800, "lon": 9.381, "in_service": False}}    # 70 m, out of service
    shops = {"pharmacy": {"lat": 51.800, "lon": 9.3805, "kind": "PHARMACY", "open": True},
             "bakery": {"lat": 51.800, "lon": 9.382, "kind": "BAKERY", "open": False}}
    [distance] = village_distances([village], supply_sites(points, shops))
    assert 880 < distance.nearest_m < 920
    assert village_distances([village], [])[0].nearest_m is None
    # A point full today has no room for a resident ordering now: the next site counts.
    points["beside"] = {"lat": 51.8005, "lon": 9.380, "in_service": True}     # ~55 m
    assert village_distances([village], supply_sites(points, shops))[0].nearest_m < 60
    [distance] = village_distances([village], supply_sites(points, shops, full={"beside"}))
    assert 880 < distance.nearest_m < 920


def test_a_freight_origin_counts_in_the_municipality_of_its_place():
    from services.insights.handlers.areas import region_areas

    areas = region_areas("kreis_hoexter")
    assert areas.place_of("Albaxen", 0.0, 0.0, 5).municipality == "Höxter"           # by name
    assert areas.place_of("Hof Meier", 51.801, 9.381, 5).name == "Albaxen"            # the nearest place
    assert areas.place_of("Irgendwo", 48.0, 11.0, 5) is None                           # outside the region


def test_a_range_is_widened_to_whole_weeks_and_months():
    from datetime import date

    from services.insights.domain.days import Period
    from services.insights.routes import time_range

    # Two ranges one day apart would give that day away by subtraction: a cut period is never answered.
    week = time_range(InsightsSettings(), period="week", first=date(2026, 11, 3), last=date(2026, 11, 12))
    assert (week.period, week.first, week.last) == (Period.WEEK, date(2026, 11, 2), date(2026, 11, 15))
    leap = time_range(InsightsSettings(), period="month", first=date(2028, 2, 10), last=date(2028, 2, 11))
    assert (leap.first, leap.last) == (date(2028, 2, 1), date(2028, 2, 29))
    december = time_range(InsightsSettings(), period="month", first=date(2026, 12, 31), last=date(2026, 12, 31))
    assert (december.first, december.last) == (date(2026, 12, 1), date(2026, 12, 31))
    days = time_range(InsightsSettings(), period="day", first=date(2026, 11, 3), last=date(2026, 11, 4))
    assert (days.first, days.last) == (date(2026, 11, 3), date(2026, 11, 4))


def test_reach_by_road_takes_the_road_matrix_and_says_so_without_one():
    import asyncio

    from nahnetz.geo import MatrixProvider, TravelTimes
    from nahnetz.regions import Place
    from services.insights import queries
    from services.insights.domain.coverage import village_tally
    from services.insights.handlers.reach import road_distances, supply_sites, village_distances

    class Winding(MatrixProvider):
        """Roads twice the straight line (a fake of the road matrix)."""

        async def matrix(self, points):
            from nahnetz.geo import haversine_m
            d = [[round(2 * haversine_m(a, b)) for b in points] for a in points]
            return TravelTimes(d, d)

    near = Place("Albaxen", "Höxter", 51.800, 9.380, 1000, "37671", False)
    far = Place("Bosseborn", "Höxter", 51.760, 9.300, 500, "37671", False)
    sites = supply_sites({"p": {"lat": 51.8061, "lon": 9.380, "in_service": True}}, {})   # ~680 m from Albaxen
    road = asyncio.run(road_distances([near, far], sites, Winding()))
    [albaxen, bosseborn] = village_distances([near, far], sites, road)
    assert 650 < albaxen.nearest_m < 700 and 1300 < albaxen.road_m < 1400
    tally = village_tally(albaxen)
    tally.merge(village_tally(bosseborn))
    values = kpi_values(tally, InsightsSettings().factors, ["reach_1000m", "reach_road_1000m", "reach_road_2000m"])
    assert values == {"reach_1000m": 66.67, "reach_road_1000m": 0.0, "reach_road_2000m": 66.67}
    assert asyncio.run(road_distances([near], [], Winding())) == [None]
    # Without a road matrix the road shares have no value (not 0), and the answer says why.
    plain = village_tally(village_distances([near], sites)[0])
    assert kpi_values(plain, InsightsSettings().factors, ["reach_road_1000m"]) == {"reach_road_1000m": None}
    assert asyncio.run(queries._by_road([near], sites, None)) == (
        None, "no road matrix configured (INSIGHTS_OSRM_URL): straight line only")
    road_m, why = asyncio.run(queries._by_road([near], sites, "http://127.0.0.1:9"))   # nothing listens there
    assert road_m is None and why.startswith("road matrix unavailable")
