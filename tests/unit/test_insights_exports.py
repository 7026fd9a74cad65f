"""The insights exports' shaping, on answers shaped as the JSON API gives them: GeoJSON
(valid points, [lon, lat], cells unchanged, nothing about residents) and NGSI-LD
(every entity valid against the FIWARE KeyPerformanceIndicator schema, no fake zero for
a suppressed cell, stable and unique ids)."""

from __future__ import annotations

import json
from datetime import date

import pytest
import shapely
from shapely.geometry import Point, shape

from fiware_schema import errors
from nahnetz.regions import load_region
from services.insights.handlers.geojson import figures_geojson
from services.insights.handlers.ngsi_ld import kpi_entities, slug

REGION = load_region("kreis_hoexter")
SUPPRESSED = {"value": None, "suppressed": True}
CO2 = {"g_per_km": 170.0, "source": "test"}
NEUDORF = "Neudorf"   # a village the region pack does not know; its figures come from its shop


def cell(value: float | None) -> dict:
    return {"value": value, "suppressed": False}


def reach_values(share: float | None) -> dict:
    return {k: cell(share) if share is not None else SUPPRESSED for k in ("reach_1000m", "reach_2000m", "reach_5000m")}


def municipality_answer() -> dict:
    """Höxter for March 2026 (one month), as `municipality_figures` answers."""
    return {
        "region": "Kreis Höxter", "municipality": "Höxter", "period": "month", "from": date(2026, 3, 1),
        "to": date(2026, 3, 31), "co2_factor": CO2,
        "periods": [{"start": date(2026, 3, 1), "end": date(2026, 3, 31), "areas": [
            {"level": "municipality", "name": "Höxter", "values": {"orders": cell(13), "assisted_share": cell(50.0)}},
            {"level": "village", "name": "Lüchtringen", "municipality": "Höxter",
             "values": {"orders": cell(11), "assisted_share": SUPPRESSED}},
            {"level": "village", "name": NEUDORF, "municipality": "Höxter",
             "values": {"orders": SUPPRESSED, "assisted_share": SUPPRESSED}},
        ]}],
        "reach": {"areas": [
            {"level": "municipality", "name": "Höxter", "values": reach_values(80.0)},
            {"level": "village", "name": "Höxter", "municipality": "Höxter", "nearest_site_m": 120.5,
             "values": reach_values(100.0)},
            {"level": "village", "name": "Lüchtringen", "municipality": "Höxter", "nearest_site_m": 300.0,
             "values": reach_values(100.0)},
            {"level": "village", "name": "Albaxen", "municipality": "Höxter", "nearest_site_m": None,
             "values": reach_values(None)},
        ], "reference": {"value": 74.0}, "method": "straight line"},
    }


def open_data_answer() -> dict:
    return {
        "region": "Kreis Höxter", "municipality": None, "period": "week", "from": date(2026, 3, 2),
        "to": date(2026, 3, 15), "co2_factor": CO2,
        "periods": [{"start": date(2026, 3, 2), "end": date(2026, 3, 8),
                     "areas": [{"level": "district", "name": None,
                                "values": {"orders": cell(40), "km_driven": cell(0.0)}}]},
                    {"start": date(2026, 3, 9), "end": date(2026, 3, 15),
                     "areas": [{"level": "district", "name": None, "values": {"orders": SUPPRESSED,
                                                                            "km_driven": cell(51.5)}}]}],
        "reach": {"areas": [
            {"level": "municipality", "name": "Brakel", "values": reach_values(70.0)},
            {"level": "village", "name": "Bellersen", "municipality": "Brakel", "nearest_site_m": 2500.0,
             "values": reach_values(0.0)},
            {"level": "village", "name": "Lüchtringen", "municipality": "Höxter", "nearest_site_m": 300.0,
             "values": reach_values(100.0)},
        ], "reference": {"value": 74.0}, "method": "straight line"},
    }


POINTS = {
    "pp-luechtringen": {"pickup_point_id": "pp-luechtringen", "name": "Abholstation Lüchtringen", "kind": "LOCKER",
                        "municipality": "Höxter", "village": "Lüchtringen", "lat": 51.7921, "lon": 9.4249,
                        "street": "Am Markt 1", "compartments": {"A1": ["M", "AMBIENT"]}, "in_service": True},
    "pp-brakel": {"pickup_point_id": "pp-brakel", "name": "Theke Brakel", "kind": "COUNTER",
                  "municipality": "Brakel", "village": "Brakel", "lat": 51.717, "lon": 9.183, "in_service": False},
}
SHOPS = {"shop-neudorf": {"shop_id": "shop-neudorf", "name": "Dorfladen", "kind": "VILLAGE_SHOP",
                          "municipality": "Höxter", "village": NEUDORF, "lat": 51.70, "lon": 9.40}}


def by_id(collection: dict) -> dict[str, dict]:
    return {f["id"]: f for f in collection["features"]}


def keys_of(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_of(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_of(v)}
    return set()


# -- GeoJSON ----------------------------------------------------------------------------------------
def test_every_feature_is_a_valid_point_in_lon_lat_order():
    collection = figures_geojson(municipality_answer(), REGION.places, POINTS, SHOPS, min_count=5)
    assert collection["type"] == "FeatureCollection"
    for feature in collection["features"]:
        geometry = shape(feature["geometry"])
        assert isinstance(geometry, Point) and geometry.is_valid, feature["id"]
        # lon first: the whole district lies between 8.9 and 9.5 east and 51.4 and 51.95 north
        assert 8.9 < geometry.x < 9.5 and 51.4 < geometry.y < 51.95, feature["id"]
    town = shape(by_id(collection)["municipality:Höxter"]["geometry"])
    assert town.x == pytest.approx(9.38, abs=0.02) and town.y == pytest.approx(51.77, abs=0.02)
    points = shapely.MultiPoint([shape(f["geometry"]) for f in collection["features"]])
    assert points.is_valid and len(points.geoms) == len(collection["features"])


def test_the_cells_are_the_json_answers_suppressed_stays_suppressed():
    answer = municipality_answer()
    features = by_id(figures_geojson(answer, REGION.places, POINTS, SHOPS, min_count=5))
    luechtringen = features["village:Höxter:Lüchtringen"]["properties"]
    assert luechtringen["periods"] == [{"start": "2026-03-01", "end": "2026-03-31",
                                        "values": {"orders": cell(11), "assisted_share": SUPPRESSED}}]
    assert luechtringen["reach"] == reach_values(100.0) and luechtringen["nearest_site_m"] == 300.0
    assert luechtringen["level"] == "village" and luechtringen["municipality"] == "Höxter"
    assert luechtringen["population"] == 2500   # the region pack's published estimate
    albaxen = features["village:Höxter:Albaxen"]["properties"]
    assert albaxen["reach"]["reach_1000m"] == SUPPRESSED and albaxen["nearest_site_m"] is None
    assert "periods" not in albaxen   # no site there, so no figures (as in the JSON answer)
    neudorf = features[f"village:Höxter:{NEUDORF}"]
    assert neudorf["properties"]["periods"][0]["values"]["orders"] == SUPPRESSED
    assert neudorf["geometry"]["coordinates"] == [9.4, 51.7]   # at its shop: not in the region pack
    assert neudorf["properties"]["position"] == "centre of its pick-up points and shops"
    town = features["municipality:Höxter"]["properties"]
    assert town["periods"][0]["values"]["orders"] == cell(13)
    assert town["reach"]["reach_1000m"] == cell(80.0)


def test_pick_up_points_are_named_but_nothing_else_is_copied():
    collection = figures_geojson(municipality_answer(), REGION.places, POINTS, SHOPS, min_count=5)
    features = by_id(collection)
    point = features["pickup_point:pp-luechtringen"]
    assert point["properties"] == {"feature": "pickup_point", "id": "pp-luechtringen",
                                   "name": "Abholstation Lüchtringen", "kind": "LOCKER", "village": "Lüchtringen",
                                   "municipality": "Höxter", "in_service": True}
    assert point["geometry"]["coordinates"] == [9.4249, 51.7921]
    assert "pickup_point:pp-brakel" not in features   # another municipality's
    text = json.dumps(collection, ensure_ascii=False)
    assert "Am Markt" not in text and "Dorfladen" not in text
    assert not {k for k in keys_of(collection) if "resident" in k or "address" in k or "street" in k}


def test_open_data_has_the_district_as_a_foreign_member_and_every_point():
    collection = figures_geojson(open_data_answer(), REGION.places, POINTS, SHOPS, min_count=5)
    assert collection["district"]["periods"][1]["values"]["orders"] == SUPPRESSED
    assert collection["district"]["periods"][0]["values"]["km_driven"] == cell(0.0)
    features = by_id(collection)
    assert set(features) == {"municipality:Brakel", "village:Brakel:Bellersen", "village:Höxter:Lüchtringen",
                             "pickup_point:pp-luechtringen", "pickup_point:pp-brakel"}
    assert features["pickup_point:pp-brakel"]["properties"]["in_service"] is False
    assert all(shape(f["geometry"]).is_valid for f in collection["features"])
    json.dumps(collection)   # plain JSON: dates are text


def test_a_population_below_the_threshold_is_held_back():
    tiny = [p for p in REGION.places if p.name != "Lüchtringen"]
    luechtringen = next(p for p in REGION.places if p.name == "Lüchtringen")
    tiny.append(type(luechtringen)(**{**luechtringen.__dict__, "population": 4}))
    features = by_id(figures_geojson(municipality_answer(), tiny, POINTS, SHOPS, min_count=5))
    assert features["village:Höxter:Lüchtringen"]["properties"]["population"] is None


# -- NGSI-LD ----------------------------------------------------------------------------------------
def test_every_entity_is_valid_against_the_fiware_schema():
    entities = kpi_entities(municipality_answer(), REGION.id, REGION.places, today=date(2026, 3, 20))
    # 3 areas × 2 KPIs for the month, 4 areas × 3 reach KPIs now
    assert len(entities) == 3 * 2 + 4 * 3
    for entity in entities:
        assert errors(entity) == [], entity["id"]
        assert entity["type"] == "KeyPerformanceIndicator" and entity["@context"]
    orders = next(e for e in entities if e["id"].endswith(":municipality:hoexter:orders:month:2026-03-01"))
    assert orders["kpiValue"] == 13 and orders["calculationPeriod"] == {"from": "2026-03-01", "to": "2026-03-31"}
    assert orders["calculationFrequency"] == "monthly" and orders["dateNextCalculation"] == "2026-04-01"
    assert orders["location"] == {"type": "Point", "coordinates": [9.383, 51.775]}
    assert orders["organization"] == "Höxter" and orders["name"] == "Bestellungen"


def test_the_schema_check_is_not_vacuous():
    entity = kpi_entities(municipality_answer(), REGION.id, REGION.places, today=date(2026, 3, 20))[0]
    assert errors({**entity, "calculationFrequency": "fortnightly"})
    assert errors({**entity, "calculationPeriod": {"from": "2026-13-01", "to": "2026-03-31"}})
    assert errors({**entity, "type": "Kpi"})


def test_a_suppressed_cell_has_no_value_never_a_zero():
    entities = kpi_entities(municipality_answer(), REGION.id, REGION.places, today=date(2026, 3, 20))
    hidden = next(e for e in entities if e["id"].endswith(":village:hoexter:neudorf:orders:month:2026-03-01"))
    assert "kpiValue" not in hidden and "Suppressed" in hidden["description"]
    assert errors(hidden) == []
    share = next(e for e in entities
                 if e["id"].endswith(":village:hoexter:luechtringen:assisted_share:month:2026-03-01"))
    assert "kpiValue" not in share
    shown = [e for e in entities if "kpiValue" in e]
    assert len(shown) == 3 + 3 * 3   # 13 and 11 orders, 50 %; the reach of three areas
    assert not [e for e in entities if "Suppressed" in e["description"] and "kpiValue" in e]


def test_ids_are_stable_unique_and_ascii():
    answer = municipality_answer()
    first = kpi_entities(answer, REGION.id, REGION.places, today=date(2026, 3, 20))
    answer["periods"][0]["areas"][0]["values"]["orders"] = cell(14)   # a later value, the same entity
    again = kpi_entities(answer, REGION.id, REGION.places, today=date(2026, 4, 20))
    ids = [e["id"] for e in first]
    assert ids == [e["id"] for e in again] and len(set(ids)) == len(ids)
    assert all(i.isascii() and i.startswith("urn:ngsi-ld:KeyPerformanceIndicator:nahnetz:kreis-hoexter:") for i in ids)
    assert "dateNextCalculation" not in again[0]   # the month is over by then
    week = kpi_entities(open_data_answer(), REGION.id, REGION.places, today=date(2026, 3, 20))
    week_ids = [e["id"] for e in week]
    assert len(set(week_ids)) == len(week_ids)
    assert "urn:ngsi-ld:KeyPerformanceIndicator:nahnetz:kreis-hoexter:district:orders:week:2026-03-09" in week_ids
    assert all(errors(e) == [] for e in week)


@pytest.mark.parametrize("region", ["kreis_hoexter", "ilzer_land"])
def test_every_place_of_a_region_pack_gets_its_own_id(region):
    places = load_region(region).places
    names = {(p.municipality, p.name) for p in places}
    assert len({(slug(m), slug(n)) for m, n in names}) == len(names)
    assert slug("Höxter") == "hoexter" and slug("Straße am Bach") == "strasse-am-bach"
