"""The insights exports (GeoJSON, NGSI-LD) against the real broker and Redis, set up as
`test_insights.py` does (its events and helpers; a worker process of its own, the API
over ASGI): the exports carry exactly the JSON answers' cells, validate (shapely, the
FIWARE schema) on real figures, and keep the JSON routes' callers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from shapely.geometry import Point, shape

from fiware_schema import errors
from nahnetz.records import ProductListed
from insights_support import all_handled, api, settings, watcher, worker  # noqa: F401 (fixtures)
from nahnetz.testing import eventually
from test_insights import (
    MITTELDORF, OBERDORF, RANGE, STAFF, TAG, TOWN, TOWN_HALL, UNTERDORF, area, bearer, ev, freight_deliveries,
    oberdorf_orders, placed, point, shop, utc,
)

pytestmark = pytest.mark.integration

SUPPRESSED = {"value": None, "suppressed": True}
GEOJSON, NGSI_LD = "figures.geojson", "kpis.ngsi-ld.json"


# -- fixtures (settings, worker, watcher, api: insights_support) ----------------------------------
@pytest.fixture(scope="module")
async def seeded(worker, producer, watcher, api):
    """Three villages' points and a shop; 6, 5 and 2 orders (Unterdorf's two suppressed); freight from Albaxen."""
    ober, mittel, unter, shop_id = f"pp-ober-{TAG}", f"pp-mittel-{TAG}", f"pp-unter-{TAG}", f"shop-{TAG}"
    events = [point(ober, OBERDORF, 8), point(mittel, MITTELDORF, 4), point(unter, UNTERDORF, 4), shop(shop_id)]
    events += [ev(ProductListed, utc(-24), product_id=f"p-{TAG}-{n}", shop_id=shop_id, name="Brot", unit="Laib",
                  price={"amount_cents": 500}, vat_rate_bp=700, stock=5, weight_g=1000, volume_ml=2000)
               for n in range(3)]
    events += oberdorf_orders(f"o-{TAG}", ober, shop_id)
    events += [placed(f"m-{TAG}-{n}", mittel, "WEB", shop_id) for n in range(5)]
    events += [placed(f"u-{TAG}-{n}", unter, "WEB", shop_id) for n in range(2)]
    events += freight_deliveries(TAG)
    await producer.publish_all(events)
    await eventually(lambda: all_handled(worker, watcher), what="the module's day folded", watch=[worker])
    return events


async def get(api, path: str, headers: dict[str, str], media_type: str, **params) -> Any:
    answer = await api.get(path, params={**RANGE, **params}, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].split(";")[0] == media_type
    return answer.json()


def assert_valid_points(collection: dict) -> None:
    assert collection["type"] == "FeatureCollection" and collection["features"]
    for feature in collection["features"]:
        geometry = shape(feature["geometry"])
        assert isinstance(geometry, Point) and geometry.is_valid, feature


def features(collection: dict) -> dict[str, dict]:
    return {f["id"]: f for f in collection["features"]}


def assert_schema_valid(entities: list[dict]) -> None:
    assert entities
    for entity in entities:
        assert errors(entity) == [], entity
    ids = [e["id"] for e in entities]
    assert len(set(ids)) == len(ids)


# -- GeoJSON ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("period", ["month", "day"])
async def test_the_municipality_geojson_has_the_json_answers_cells(api, seeded, period):
    base = f"/v1/insights/municipalities/{TOWN}"
    body = await get(api, base, TOWN_HALL, "application/json", period=period)
    collection = await get(api, f"{base}/{GEOJSON}", TOWN_HALL, "application/geo+json", period=period)
    assert_valid_points(collection)
    found = features(collection)
    for number, span in enumerate(body["periods"]):
        for row in span["areas"]:
            key = (f"municipality:{TOWN}" if row["level"] == "municipality"
                   else f"village:{TOWN}:{row['name']}")
            shown = found[key]["properties"]["periods"][number]
            assert (shown["start"], shown["end"], shown["values"]) == (span["start"], span["end"], row["values"])
    if period == "month":
        assert found[f"village:{TOWN}:{UNTERDORF}"]["properties"]["periods"][0]["values"]["orders"] == SUPPRESSED
        assert found[f"village:{TOWN}:{OBERDORF}"]["properties"]["periods"][0]["values"]["orders"]["value"] == 6
    points = {f["properties"]["id"]: f for f in collection["features"] if f["properties"]["feature"] == "pickup_point"}
    assert set(points) == {f"pp-ober-{TAG}", f"pp-mittel-{TAG}", f"pp-unter-{TAG}"}
    assert points[f"pp-ober-{TAG}"]["properties"]["name"] == f"Station {OBERDORF}"
    assert points[f"pp-ober-{TAG}"]["geometry"]["coordinates"] == [8.0, 50.0]   # lon, lat as registered
    text = json.dumps(collection, ensure_ascii=False)
    assert "resident-" not in text and "Am Markt" not in text


async def test_the_open_data_geojson_is_public_with_reach_by_village(api, seeded):
    body = await get(api, "/v1/insights/open-data", {}, "application/json")
    collection = await get(api, "/v1/insights/open-data.geojson", {}, "application/geo+json")
    assert_valid_points(collection)
    found = features(collection)
    albaxen = found["village:Höxter:Albaxen"]
    lon, lat = albaxen["geometry"]["coordinates"]
    assert lon == pytest.approx(9.38, abs=0.02) and lat == pytest.approx(51.80, abs=0.02)
    reach = {(r["level"], r.get("municipality") or r["name"], r["name"]): r for r in body["reach"]["areas"]}
    assert albaxen["properties"]["reach"] == reach[("village", "Höxter", "Albaxen")]["values"]
    assert albaxen["properties"]["nearest_site_m"] == reach[("village", "Höxter", "Albaxen")]["nearest_site_m"]
    assert collection["district"]["periods"][0]["values"] == body["periods"][0]["areas"][0]["values"]
    assert f"pickup_point:pp-unter-{TAG}" in found
    assert not [f for f in collection["features"] if "periods" in f["properties"]]   # no detail in open data
    assert "resident-" not in json.dumps(collection)


# -- NGSI-LD ----------------------------------------------------------------------------------------
async def test_the_municipality_ngsi_ld_validates_and_hides_what_the_json_hides(api, seeded):
    base = f"/v1/insights/municipalities/{TOWN}"
    body = await get(api, base, STAFF, "application/json")
    entities = await get(api, f"{base}/{NGSI_LD}", STAFF, "application/ld+json")
    assert_schema_valid(entities)
    by_suffix = {e["id"].split(":village:", 1)[-1]: e for e in entities if ":village:" in e["id"]}
    start = body["periods"][0]["start"]
    village = f"testgemeinde-{TAG}"
    unter = by_suffix[f"{village}:unterdorf-{TAG}:orders:month:{start}"]
    assert area(body, "village", UNTERDORF)["orders"] == SUPPRESSED
    assert "kpiValue" not in unter and "Suppressed" in unter["description"]
    assert by_suffix[f"{village}:oberdorf-{TAG}:orders:month:{start}"]["kpiValue"] == 6
    # every shown cell is there with its value, every other one without
    cells = sum(len(row["values"]) for row in body["periods"][0]["areas"])
    reach_cells = sum(len(row["values"]) for row in body["reach"]["areas"])
    assert len(entities) == cells + reach_cells
    shown = sum(1 for row in body["periods"][0]["areas"] for c in row["values"].values()
                if not c["suppressed"] and c["value"] is not None)
    assert len([e for e in entities if "calculationFrequency" in e and "kpiValue" in e]) == shown
    assert "resident-" not in json.dumps(entities)


async def test_the_open_data_ngsi_ld_is_public_and_validates(api, seeded):
    entities = await get(api, "/v1/insights/open-data.ngsi-ld.json", {}, "application/ld+json")
    assert_schema_valid(entities)
    ids = {e["id"] for e in entities}
    assert any(":district:orders:month:" in i for i in ids)
    assert any(i.endswith(":village:hoexter:albaxen:reach_1000m:current") for i in ids)
    assert not any(f"testgemeinde-{TAG}:" in i and ":month:" in i for i in ids)   # no municipality detail


# -- who may read them ------------------------------------------------------------------------------
@pytest.mark.parametrize("export", [GEOJSON, NGSI_LD])
async def test_a_municipality_cannot_read_another_municipalitys_export(api, seeded, export):
    assert (await api.get(f"/v1/insights/municipalities/Höxter/{export}", params=RANGE,
                          headers=TOWN_HALL)).status_code == 403
    hoexter = bearer("municipality", municipality="Höxter")
    assert (await api.get(f"/v1/insights/municipalities/{TOWN}/{export}", params=RANGE,
                          headers=hoexter)).status_code == 403
    assert (await api.get(f"/v1/insights/municipalities/{TOWN}/{export}", params=RANGE)).status_code == 401
    assert (await api.get(f"/v1/insights/municipalities/{TOWN}/{export}", params=RANGE,
                          headers=TOWN_HALL)).status_code == 200
    unknown = await api.get(f"/v1/insights/municipalities/Nirgendwo {TAG}/{export}", params=RANGE, headers=STAFF)
    assert unknown.status_code == 404
    backwards = await api.get(f"/v1/insights/municipalities/{TOWN}/{export}", headers=STAFF,
                              params={"from": "2026-03-10", "to": "2026-03-01"})
    assert backwards.status_code == 422
