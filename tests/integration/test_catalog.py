"""The catalog service against the real broker and Redis: its API and worker run
as processes (`nahnetz.testing.ApiProcess` / `WorkerProcess`, as `nahnetz up` starts
them); requests go over HTTP, order events are produced to orders.orders, and the
effects are read from the topics the catalog writes and from its API."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid

import pytest

from catalog_stack import (SECRET, bearer, catalog_processes, operator_token, order_placed, order_rejected,
                           product_listing, resident_token, shop_profile, shop_token)
from nahnetz.events import Event, new_event, read_event
from nahnetz.kit.redis import connect
from nahnetz.messaging import headers as h
from nahnetz.records import (Actor, OrderCancelled, OrderCollected, OrderExpired, ProductDelisted, ProductUpdated,
                             RejectedStockLine, Role, StockAdjusted, StockLine, StockReleased, StockSold)
from nahnetz.stack.config import project_root
from nahnetz.testing import ApiProcess, TopicReader, WorkerProcess, eventually
from nahnetz.topics import CATALOG_PRODUCTS, CATALOG_STOCK_RESERVATIONS, ORDERS_ORDERS
from services.catalog import keys
from services.catalog.handlers.stock_decisions import handle_stock_request
from services.catalog.rebuild import clear_read_models, replay

pytestmark = pytest.mark.integration

BRAKEL = (51.717, 9.183)
WARBURG = (51.492, 9.142)   # about 25 km south of Brakel


# -- fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
async def catalog(topics, broker_bootstrap, redis_url, run_dir) -> list[ApiProcess | WorkerProcess]:
    """The catalog's API and worker (in a consumer group of its own), started side by side."""
    async with catalog_processes("catalog-test", broker_bootstrap, redis_url, run_dir) as (api, worker):
        yield [api, worker]


@pytest.fixture(scope="module")
async def recorder(topics, broker_bootstrap):
    async with TopicReader(broker_bootstrap, [CATALOG_STOCK_RESERVATIONS, CATALOG_PRODUCTS,
                                              ORDERS_ORDERS.dlq]) as reader:
        yield reader


@pytest.fixture(scope="module")
async def http(catalog):
    api, _ = catalog
    async with api.client() as client:
        yield client


# -- helpers ----------------------------------------------------------------------------------
async def register_shop(http, catalog, shop_id: str, name: str, municipality: str, at: tuple[float, float],
                        token: str | None = None, **extra) -> dict:
    answer = await http.post("/v1/shops", json=shop_profile(shop_id, name, municipality, *at, **extra),
                             headers=bearer(token or operator_token()))
    assert answer.status_code == 202, answer.text
    assert answer.json()["status_url"] == f"/v1/shops/{shop_id}"

    async def visible():
        page = await http.get(f"/v1/shops/{shop_id}")
        return page.json() if page.status_code == 200 else None

    return await eventually(visible, what=f"shop {shop_id} visible", watch=catalog)


async def list_product(http, catalog, shop_id: str, listing: dict, token: str | None = None) -> str:
    answer = await http.post(f"/v1/shops/{shop_id}/products", json=listing,
                             headers=bearer(token or shop_token(shop_id)))
    assert answer.status_code == 202, answer.text
    product_id = answer.json()["product_id"]
    await wait_available(http, catalog, product_id, lambda a: a is not None)
    return product_id


async def availability(http, product_id: str) -> dict | None:
    answer = await http.get(f"/v1/products/{product_id}/availability")
    return answer.json() if answer.status_code == 200 else None


async def wait_available(http, catalog, product_id: str, condition, what: str = "") -> dict:
    async def probe():
        found = await availability(http, product_id)
        return found if condition(found) else None

    return await eventually(probe, what=what or f"availability of {product_id}", watch=catalog)


async def decisions(recorder: TopicReader, catalog, order_id: str, count: int) -> list:
    return await recorder.wait_for_count(CATALOG_STOCK_RESERVATIONS, count, order_id=order_id, watch=catalog)


async def search(http, **params) -> dict:
    answer = await http.get("/v1/products/search", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def names(found: dict) -> list[str]:
    return [r["name"] for r in found["results"]]


# -- shops, goods, search ---------------------------------------------------------------------
async def test_listed_goods_are_found_by_text_category_municipality_and_distance(http, catalog, unique):
    farm, dairy = f"hof-{unique}", f"molkerei-{unique}"
    page = await register_shop(http, catalog, farm, "Hofladen Meier", "Brakel", BRAKEL)
    assert page["municipality"] == "Brakel" and page["products"] == []
    assert page["opening_hours"]["intervals"][0] == {"weekday": "MONDAY", "opens": "08:00", "closes": "12:30"}
    await register_shop(http, catalog, dairy, "Molkerei Warburg", "Warburg", WARBURG,
                        token=shop_token(dairy))  # a shop registering itself
    tag = f"charge{unique}"  # a word only this test's goods carry
    cheese = await list_product(http, catalog, farm, product_listing("Bergkäse", description=f"würzig, {tag}"))
    bread = await list_product(http, catalog, farm, product_listing(
        "Bauernbrot", description=tag, category="Brot & Backwaren", temperature_class="ungekühlt"))
    goat = await list_product(http, catalog, dairy, product_listing("Ziegenkaese", description=tag))

    async def indexed():
        return len((await search(http, q=tag))["results"]) == 3

    await eventually(indexed, what="three goods in the search index", watch=catalog)
    # Umlauts fold: "kaese", "käse" and "KASE" find "Bergkäse" and "Ziegenkaese", inside compounds too.
    for spelling in ("kaese", "käse", "KASE"):
        assert sorted(names(await search(http, q=f"{spelling} {tag}"))) == ["Bergkäse", "Ziegenkaese"]
    assert names(await search(http, q=tag, category="BREAD_BAKERY")) == ["Bauernbrot"]
    assert names(await search(http, q=tag, category="Milch & Eier", municipality="Warburg")) == ["Ziegenkaese"]
    assert sorted(names(await search(http, q=tag, municipality="brakel"))) == ["Bauernbrot", "Bergkäse"]

    near = await search(http, q=tag, lat=BRAKEL[0], lon=BRAKEL[1], radius_km=5)
    assert sorted(names(near)) == ["Bauernbrot", "Bergkäse"]
    assert all(r["distance_km"] < 5 for r in near["results"])
    wide = await search(http, q=tag, lat=BRAKEL[0], lon=BRAKEL[1], radius_km=40)
    assert names(wide)[-1] == "Ziegenkaese" and 20 < wide["results"][-1]["distance_km"] < 30  # nearest first
    first = wide["results"][0]
    assert first["shop"]["shop_id"] == farm and first["price"]["display"] == "4,49 €"
    assert first["availability"] == {"available": 10, "reserved": 0, "orderable": True}

    page = (await http.get(f"/v1/shops/{farm}")).json()
    assert {p["product_id"] for p in page["products"]} == {cheese, bread}
    assert next(p for p in page["products"] if p["product_id"] == bread)["temperature_class"] == "AMBIENT"
    listed = (await http.get("/v1/shops", params={"municipality": "Brakel"})).json()["shops"]
    assert farm in {s["shop_id"] for s in listed} and dairy not in {s["shop_id"] for s in listed}
    product = (await http.get(f"/v1/products/{goat}")).json()
    assert product["shop"]["shop_id"] == dairy and product["availability"]["available"] == 10


async def test_a_shop_moves_and_is_found_in_its_new_place(http, catalog, unique):
    shop_id = f"umzug-{unique}"
    await register_shop(http, catalog, shop_id, "Hofladen Umzug", "Brakel", BRAKEL)
    product = await list_product(http, catalog, shop_id, product_listing(f"Apfel {unique}", category="Obst"))
    page = (await http.get(f"/v1/products/{product}")).json()
    assert page["listed_at"][-6:] in ("+01:00", "+02:00")  # stored in UTC, shown in Europe/Berlin

    hoexter = {"lat": 51.775, "lon": 9.383}
    moved = await http.patch(f"/v1/shops/{shop_id}", headers=bearer(shop_token(shop_id)), json={
        "municipality": "Höxter", "location": hoexter,
        "address": {"street": "Markt 3", "postal_code": "37671", "locality": "Höxter"}})
    assert moved.status_code == 202, moved.text
    assert moved.json()["changed"] == ["address", "location", "municipality"]
    same = await http.patch(f"/v1/shops/{shop_id}", headers=bearer(shop_token(shop_id)),
                            json={"name": "Hofladen Umzug"})
    assert same.status_code == 200 and same.json()["status"] == "unchanged"
    removed = await http.patch(f"/v1/shops/{shop_id}", headers=bearer(shop_token(shop_id)), json={"name": None})
    assert removed.status_code == 422

    async def moved_in_search():
        found = await search(http, q=unique, municipality="Höxter")
        return names(found) == [f"Apfel {unique}"]

    await eventually(moved_in_search, what="the goods found in Höxter", watch=catalog)
    assert (await search(http, q=unique, municipality="Brakel"))["results"] == []
    assert (await search(http, q=unique, lat=BRAKEL[0], lon=BRAKEL[1], radius_km=5))["results"] == []
    near = await search(http, q=unique, lat=hoexter["lat"], lon=hoexter["lon"], radius_km=1)
    assert names(near) == [f"Apfel {unique}"] and near["results"][0]["distance_km"] < 0.1
    page = (await http.get(f"/v1/shops/{shop_id}")).json()
    assert page["address"]["locality"] == "Höxter" and page["opening_hours"]["intervals"][1]["weekday"] == "SATURDAY"

    # A retried POST with the same Idempotency-Key lists the product once.
    key = {"Idempotency-Key": f"listing-{unique}", **bearer(shop_token(shop_id))}
    first = await http.post(f"/v1/shops/{shop_id}/products", json=product_listing(f"Birne {unique}"), headers=key)
    again = await http.post(f"/v1/shops/{shop_id}/products", json=product_listing(f"Birne {unique}"), headers=key)
    assert first.status_code == again.status_code == 202
    assert again.json()["product_id"] == first.json()["product_id"]
    assert again.headers["Idempotent-Replayed"] == "true"


async def test_a_shop_changes_only_its_own_goods_and_an_operator_acts_on_its_behalf(http, catalog, recorder,
                                                                                     unique):
    mine, other = f"laden-{unique}", f"nachbar-{unique}"
    await register_shop(http, catalog, mine, "Dorfladen", "Nieheim", (51.805, 9.110))
    await register_shop(http, catalog, other, "Nachbarladen", "Nieheim", (51.806, 9.111))
    product = await list_product(http, catalog, other, product_listing(f"Honig {unique}", price_cents=650))

    forbidden = await http.patch(f"/v1/products/{product}", json={"price_cents": 1},
                                 headers=bearer(shop_token(mine)))
    assert forbidden.status_code == 403
    assert forbidden.json()["error"] == "forbidden" and other in forbidden.json()["message"]
    for write in (http.post(f"/v1/products/{product}/stock", json={"delta": -5}, headers=bearer(shop_token(mine))),
                  http.request("DELETE", f"/v1/products/{product}", headers=bearer(shop_token(mine))),
                  http.post(f"/v1/shops/{other}/products", json=product_listing("Fremd"),
                            headers=bearer(shop_token(mine)))):
        assert (await write).status_code == 403

    changed = await http.patch(f"/v1/products/{product}", json={"price_cents": 699, "channel": "PHONE"},
                               headers=bearer(operator_token("op-berta")))
    # PHONE is only for shops that accept phone listing; this one does not.
    assert changed.status_code == 422 and "telefonische" in changed.json()["message"]
    changed = await http.patch(f"/v1/products/{product}", json={"price_cents": 699},
                               headers=bearer(operator_token("op-berta")))
    assert changed.status_code == 202 and changed.json()["changed"] == ["price"]

    [event] = await recorder.wait_for_count(CATALOG_PRODUCTS, 1, ProductUpdated, product_id=product, watch=catalog)
    assert event.meta.actor == Actor(user_id="op-berta", role=Role.OPERATOR, on_behalf_of=other)
    assert event.price.amount_cents == 699 and event.changed == ["price"]

    async def repriced():
        return (await http.get(f"/v1/products/{product}")).json()["price"]["amount_cents"] == 699

    await eventually(repriced, what="the new price in the read model", watch=catalog)
    own = await http.patch(f"/v1/products/{product}", json={"description": "Blütenhonig"},
                           headers=bearer(shop_token(other)))
    assert own.status_code == 202
    [_, by_shop] = await recorder.wait_for_count(CATALOG_PRODUCTS, 2, ProductUpdated, product_id=product,
                                                 watch=catalog)  # the shop's own
    assert by_shop.meta.actor.on_behalf_of is None and by_shop.meta.actor.role == Role.SHOP


async def test_csv_import_lists_good_rows_and_reports_bad_rows_by_line(http, catalog, recorder, unique):
    phone_shop, web_shop = f"telefon-{unique}", f"web-{unique}"
    await register_shop(http, catalog, phone_shop, "Hofladen ohne Computer", "Steinheim", (51.866, 9.094),
                        accepts_phone_listing=True, channel="PHONE")
    await register_shop(http, catalog, web_shop, "Bäckerei", "Steinheim", (51.867, 9.095))
    csv_text = (f"Name;Beschreibung;Kategorie;Einheit;Preis;MwSt;Bestand;Temperatur;Gewicht;Volumen\n"
                f"Eier {unique};10 Stück;Milch & Eier;10 Stück;3,49 €;7;20;gekühlt;650;1200\n"
                f"Kartoffeln {unique};festkochend;Obst & Gemüse;2,5 kg;4.99;7;8;ungekühlt;2,5 kg;3 l\n"
                f"Schinken {unique};;Fleisch;100 g;-2,00;7;5;gekühlt;100;150\n"
                f"Saft {unique};;Getränke;1 l;2,49;19;x;lauwarm;1100;1000\n")
    answer = await http.post(f"/v1/shops/{phone_shop}/products/import", params={"channel": "PHONE"},
                             content=csv_text.encode("cp1252"), headers={
                                 **bearer(operator_token("op-carla")), "Content-Type": "text/csv"})
    assert answer.status_code == 202, answer.text
    report = answer.json()
    assert [(row["line"], row["name"]) for row in report["imported"]] == [(2, f"Eier {unique}"),
                                                                          (3, f"Kartoffeln {unique}")]
    assert [row["line"] for row in report["rejected"]] == [4, 5]
    assert "Preis '-2,00' muss größer als 0 sein" in report["rejected"][0]["reason"]
    assert "Bestand 'x'" in report["rejected"][1]["reason"] and "lauwarm" in report["rejected"][1]["reason"]

    potatoes = report["imported"][1]["product_id"]
    [event] = await recorder.wait_for_count(CATALOG_PRODUCTS, 1, product_id=potatoes, watch=catalog)  # listed
    assert (event.channel, event.price.amount_cents, event.weight_g, event.volume_ml, event.stock) == (
        "PHONE", 499, 2500, 3000, 8)
    assert event.meta.actor == Actor(user_id="op-carla", role=Role.OPERATOR, on_behalf_of=phone_shop)
    await wait_available(http, catalog, potatoes, lambda a: a is not None and a["available"] == 8)

    # The same file again lists nothing twice: the goods are listed already.
    again = await http.post(f"/v1/shops/{phone_shop}/products/import", params={"channel": "PHONE"},
                            content=csv_text.encode("cp1252"),
                            headers={**bearer(operator_token("op-carla")), "Content-Type": "text/csv"})
    assert again.status_code == 422
    assert [r["line"] for r in again.json()["detail"]["rejected"]] == [2, 3, 4, 5]

    # A shop uploads its own English list as a form; phone listing is refused for a shop that never asked for it.
    english = (f"name,unit,price,vat,weight_g,volume_ml,stock\nRye bread {unique},loaf,3.80,7,750,1500,4\n")
    files = {"file": ("products.csv", english.encode(), "text/csv")}
    own = await http.post(f"/v1/shops/{web_shop}/products/import", files=files, headers=bearer(shop_token(web_shop)))
    assert own.status_code == 202, own.text
    assert [r["line"] for r in own.json()["imported"]] == [2] and own.json()["rejected"] == []
    refused = await http.post(f"/v1/shops/{web_shop}/products/import", params={"channel": "PHONE"},
                              content=english.encode(), headers={**bearer(operator_token()),
                                                                 "Content-Type": "text/csv"})
    assert refused.status_code == 422 and "telefonische" in refused.json()["message"]
    bad_file = await http.post(f"/v1/shops/{web_shop}/products/import", content=b"Name;Preis\nBrot;2\n",
                               headers={**bearer(shop_token(web_shop)), "Content-Type": "text/csv"})
    assert bad_file.status_code == 422 and "Pflichtspalten" in bad_file.json()["message"]

    async def found():
        return names(await search(http, q=f"kartoffeln {unique}")) == [f"Kartoffeln {unique}"]

    await eventually(found, what="imported goods are found", watch=catalog)


async def test_a_shop_exports_its_list_and_imports_it_back_with_no_formula_anywhere(http, catalog, unique):
    shop_id = f"export-{unique}"
    await register_shop(http, catalog, shop_id, "Hofladen Export", "Brakel", (51.717, 9.183))
    product = await list_product(http, catalog, shop_id, product_listing(f"Honig {unique}", stock=6))
    await wait_available(http, catalog, product, lambda a: a is not None and a["available"] == 6)
    formula = product_listing(f"Trick {unique}") | {"description": '=HYPERLINK("http://evil.example","Rabatt")'}
    refused = await http.post(f"/v1/shops/{shop_id}/products", json=formula, headers=bearer(shop_token(shop_id)))
    assert refused.status_code == 422 and "formula" in refused.json()["message"]

    csv_path = f"/v1/shops/{shop_id}/products.csv"
    assert (await http.get(csv_path, headers=bearer(shop_token(f"other-{unique}")))).status_code == 403
    exported = await http.get(csv_path, headers=bearer(shop_token(shop_id)))
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.headers["content-disposition"] == f'attachment; filename="produkte-{shop_id}.csv"'
    text = exported.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Name;Beschreibung;Kategorie")
    assert f"Honig {unique};" in text and ";6;" in text and product in text
    assert (await http.get(csv_path, headers=bearer(operator_token()))).status_code == 200

    # Exported, edited (a new row), imported again: only the new row is listed.
    edited = exported.content + f"Met {unique};;Getränke;0,5 l;9,90;19;3;ungekühlt;800;700;\r\n".encode()
    again = await http.post(f"/v1/shops/{shop_id}/products/import", content=edited,
                            headers={**bearer(shop_token(shop_id)), "Content-Type": "text/csv"})
    assert again.status_code == 202, again.text
    assert [r["name"] for r in again.json()["imported"]] == [f"Met {unique}"]
    assert [r["line"] for r in again.json()["rejected"]] == [2]  # Honig: listed already


# -- stock decisions of the order flow --------------------------------------------------------
@pytest.fixture(scope="module")
async def stock_shop(http, catalog):
    shop_id = f"stock-{uuid.uuid4().hex[:8]}"
    await register_shop(http, catalog, shop_id, "Hofladen Vorrat", "Höxter", (51.775, 9.383))
    return shop_id


async def test_an_order_gets_one_decision_per_product_with_the_right_lines(http, catalog, recorder, producer, redis,
                                                                           broker_bootstrap, stock_shop, unique):
    cheese = await list_product(http, catalog, stock_shop, product_listing(f"Käse {unique}", stock=5))
    butter = await list_product(http, catalog, stock_shop, product_listing(f"Butter {unique}", stock=2))
    unknown = f"p-unknown-{unique}"
    placed = order_placed(f"o-{unique}", [(cheese, stock_shop, 2), (butter, stock_shop, 3), (unknown, stock_shop, 1),
                                          (cheese, stock_shop, 1)])
    await producer.publish(placed)

    found = await decisions(recorder, catalog, placed.order_id, 3)
    by_product = {e.lines[0].product_id: e for e in found}
    assert len(found) == 3 and set(by_product) == {cheese, butter, unknown}
    assert by_product[cheese].type == "StockReserved"
    assert by_product[cheese].lines == [StockLine(product_id=cheese, shop_id=stock_shop, quantity=2),
                                        StockLine(product_id=cheese, shop_id=stock_shop, quantity=1)]
    assert by_product[butter].type == "StockRejected"
    assert by_product[butter].lines == [RejectedStockLine(product_id=butter, shop_id=stock_shop, quantity=3,
                                                          reason="INSUFFICIENT_STOCK", available=2)]
    assert by_product[unknown].type == "StockRejected" and by_product[unknown].lines[0].reason == "UNKNOWN_PRODUCT"
    assert all(e.correlation_id == placed.correlation_id and e.meta.causation_id == placed.event_id
               for e in found)
    assert await availability(http, cheese) == {"product_id": cheese, "available": 2, "reserved": 3,
                                                "status": "LISTED", "orderable": True}
    assert (await availability(http, butter))["available"] == 2

    # The same OrderPlaced delivered again, then rejected (say, no compartment). Each
    # product's partition handles the copy of the redelivery before the rejection's.
    await producer.publish_raw(ORDERS_ORDERS, placed.encode(), key=placed.order_id)
    await producer.publish(order_rejected(placed))

    # The cheese goes back; butter and the unknown product held nothing.
    [release] = await recorder.wait_for_count(CATALOG_STOCK_RESERVATIONS, 1, StockReleased,
                                              order_id=placed.order_id, watch=catalog)
    assert release.reason == "ORDER_REJECTED"
    assert release.lines == [StockLine(product_id=cheese, shop_id=stock_shop, quantity=3)]
    back = await wait_available(http, catalog, cheese, lambda a: a["available"] == 5)
    assert back["reserved"] == 0
    for product in (butter, unknown):
        marker = f"nahnetz:processed:catalog.decide_stock:{{{product}}}:{placed.order_id}:release"
        await eventually(lambda: redis.exists(marker), what=f"the release of {product} handled", watch=catalog)

    # The redelivery was decided once already: it published nothing and took no stock
    # (read to the topic's end as it is now, after every product handled both copies).
    on_topic = [event for record in [r async for r in replay(broker_bootstrap, CATALOG_STOCK_RESERVATIONS)]
                if (event := read_event(record.value)).order_id == placed.order_id]
    assert sorted(e.event_id for e in on_topic) == sorted([*(e.event_id for e in found), release.event_id])


async def test_releases_of_lines_never_reserved_are_no_ops(http, catalog, recorder, producer, redis, stock_shop,
                                                           unique):
    scarce = await list_product(http, catalog, stock_shop, product_listing(f"Trüffel {unique}", stock=1))
    placed = order_placed(f"o-{unique}", [(scarce, stock_shop, 4)])
    await producer.publish(placed)
    [decision] = await decisions(recorder, catalog, placed.order_id, 1)
    assert decision.type == "StockRejected"
    await producer.publish(new_event(OrderCancelled, producer="orders-api", caused_by=placed,
                                     order_id=placed.order_id))
    marker = f"nahnetz:processed:catalog.decide_stock:{{{scarce}}}:{placed.order_id}:release"
    await eventually(lambda: redis.exists(marker), what="the release handled", watch=catalog)
    assert [e.type for e in recorder.events(CATALOG_STOCK_RESERVATIONS, order_id=placed.order_id)] == [
        "StockRejected"]
    assert (await availability(http, scarce))["available"] == 1


async def test_a_collected_order_sells_the_units_held_for_it(http, catalog, recorder, producer, redis, stock_shop,
                                                             unique):
    honey = await list_product(http, catalog, stock_shop, product_listing(f"Honig {unique}", stock=5))
    placed = order_placed(f"o-{unique}", [(honey, stock_shop, 2)])
    await producer.publish(placed)
    [decision] = await decisions(recorder, catalog, placed.order_id, 1)
    assert decision.type == "StockReserved"
    await wait_available(http, catalog, honey, lambda a: (a["available"], a["reserved"]) == (3, 2))

    collected = new_event(OrderCollected, producer="orders-worker", caused_by=placed, order_id=placed.order_id,
                          pickup_point_id=placed.pickup_point_id)
    await producer.publish(collected)
    await producer.publish(collected)  # redelivered
    [sold] = await recorder.wait_for_count(CATALOG_STOCK_RESERVATIONS, 1, StockSold, order_id=placed.order_id,
                                           watch=catalog)
    assert sold.lines == [StockLine(product_id=honey, shop_id=stock_shop, quantity=2)]
    assert sold.correlation_id == placed.correlation_id
    # Sold: no longer held, and not back on the shelf either.
    after = await wait_available(http, catalog, honey, lambda a: a["reserved"] == 0, "the sale shown")
    assert after["available"] == 3

    # An ending after the collection finds nothing held: nothing comes back.
    await producer.publish(new_event(OrderExpired, producer="orders-worker", caused_by=placed,
                                     order_id=placed.order_id, pickup_point_id=placed.pickup_point_id))
    marker = f"nahnetz:processed:catalog.decide_stock:{{{honey}}}:{placed.order_id}:release"
    await eventually(lambda: redis.exists(marker), what="the late ending handled", watch=catalog)
    await recorder.caught_up()
    assert [e.type for e in recorder.events(CATALOG_STOCK_RESERVATIONS, order_id=placed.order_id)] == [
        "StockReserved", "StockSold"]
    assert (await availability(http, honey))["available"] == 3


async def test_200_orders_racing_for_the_last_50_units_reserve_exactly_50(http, catalog, recorder, producer, redis,
                                                                          stock_shop, unique):
    product = await list_product(http, catalog, stock_shop, product_listing(f"Spargel {unique}", stock=50))
    orders = [order_placed(f"o-{unique}-{n:03d}", [(product, stock_shop, 1)]) for n in range(200)]
    await asyncio.gather(*(producer.publish(o) for o in orders))
    wanted = {o.order_id for o in orders}

    def all_decided():
        found = recorder.events(CATALOG_STOCK_RESERVATIONS, where=lambda e: e.order_id in wanted)
        return found if len({e.order_id for e in found}) == 200 else None

    found = await eventually(all_decided, timeout=60, what="200 decisions", watch=catalog)
    outcome: dict[str, set[str]] = {}
    for event in found:
        outcome.setdefault(event.order_id, set()).add(event.type)
    assert all(len(types) == 1 for types in outcome.values()), "an order got two different decisions"
    reserved = [o for o, types in outcome.items() if types == {"StockReserved"}]
    assert len(reserved) == 50
    rejected = [e for e in found if e.type == "StockRejected"]
    assert {(l.reason, l.available) for e in rejected for l in e.lines} == {("OUT_OF_STOCK", 0)}
    assert await availability(http, product) == {"product_id": product, "available": 0, "reserved": 50,
                                                 "status": "LISTED", "orderable": False}
    held = await redis.hgetall(keys.held(product))
    assert sorted(held) == sorted(reserved) and set(held.values()) == {"1"}


async def test_two_deciders_on_one_partition_during_a_rebalance_never_oversell(http, catalog, producer, redis_url,
                                                                               stock_shop, unique):
    """While a partition moves, the old and the new owner can both work through
    its requests for a moment, each at its own place in the partition. The atomic
    step (WATCH on the stock, MULTI/EXEC with the marker) keeps the count exact
    even then: every order is decided once, and whichever owner publishes its
    decision (the one that decided, or the other finding it not yet published)
    publishes that same event."""
    product = await list_product(http, catalog, stock_shop, product_listing(f"Kirschen {unique}", stock=10))
    orders = [order_placed(f"o-{unique}-{n:02d}", [(product, stock_shop, 1)]) for n in range(40)]

    async def owner(start: int) -> dict[str, list[Event]]:
        client = connect(redis_url, client_name=f"catalog-test-owner-{start}")
        try:  # one message at a time, in partition order, as an agent handles them
            return {o.order_id: await handle_stock_request(o, product, client, producer)
                    for o in orders[start:] + orders[:start]}
        finally:
            await client.aclose()

    old_owner, new_owner = await asyncio.gather(owner(0), owner(20))
    published: dict[str, set[tuple[str, str]]] = {}
    for by_order in (old_owner, new_owner):
        for order_id, events in by_order.items():
            published.setdefault(order_id, set()).update((e.event_id, e.type) for e in events)
    assert set(published) == {o.order_id for o in orders}, "an order's decision was never published"
    assert all(len(decided) == 1 for decided in published.values()), "an order got two different decisions"
    assert [t for decided in published.values() for _, t in decided].count("StockReserved") == 10
    assert await availability(http, product) == {"product_id": product, "available": 0, "reserved": 10,
                                                 "status": "LISTED", "orderable": False}


async def test_a_shops_stock_count_meets_open_reservations(http, catalog, recorder, producer, stock_shop, unique):
    product = await list_product(http, catalog, stock_shop, product_listing(f"Quark {unique}", stock=10))
    placed = order_placed(f"o-{unique}", [(product, stock_shop, 4)])
    await producer.publish(placed)
    [decision] = await decisions(recorder, catalog, placed.order_id, 1)
    assert decision.type == "StockReserved"

    for loose in ({"level": True}, {"delta": True}, {"level": "12"}, {"level": 12.0}):
        refused = await http.post(f"/v1/products/{product}/stock", json={**loose, "reason": "COUNTED"},
                                  headers=bearer(shop_token(stock_shop)))
        assert refused.status_code == 422, (loose, refused.text)
    counted = await http.post(f"/v1/products/{product}/stock", json={"level": 12, "reason": "COUNTED"},
                              headers=bearer(shop_token(stock_shop)))
    assert counted.status_code == 202, counted.text
    assert counted.json()["status_url"] == f"/v1/products/{product}/availability"
    # The count is what is on the shelf for sale; the 4 units set aside stay held.
    after = await wait_available(http, catalog, product, lambda a: a["available"] == 12)
    assert after["reserved"] == 4
    # The read model may show it before this reader has read the event: wait for the event.
    [adjusted] = await recorder.wait_for_count(CATALOG_PRODUCTS, 1, StockAdjusted, product_id=product, watch=catalog)
    assert (adjusted.set_level, adjusted.new_level, adjusted.delta, adjusted.reason) == (True, 12, 6, "COUNTED")

    await producer.publish(order_rejected(placed, "TIMEOUT"))
    await wait_available(http, catalog, product, lambda a: a["available"] == 16 and a["reserved"] == 0)
    # Taking out more than there is is refused with what there is, never quietly made 0.
    for typo in (-20, -1_000_000):
        refused = await http.post(f"/v1/products/{product}/stock", json={"delta": typo, "reason": "SOLD_IN_SHOP"},
                                  headers=bearer(shop_token(stock_shop)))
        assert refused.status_code == 422 and refused.json()["detail"]["available"] == 16, refused.text
    sold = await http.post(f"/v1/products/{product}/stock", json={"delta": -16, "reason": "SOLD_IN_SHOP"},
                           headers=bearer(shop_token(stock_shop)))
    assert sold.status_code == 202
    await wait_available(http, catalog, product, lambda a: a["available"] == 0, "sold out")
    adjustments = await recorder.wait_for_count(CATALOG_PRODUCTS, 2, StockAdjusted, product_id=product, watch=catalog)
    assert [e.delta for e in adjustments] == [6, -16]


async def test_delisted_goods_and_goods_of_closed_shops_are_refused_and_hidden(http, catalog, recorder, producer,
                                                                               unique):
    shop_id = f"schluss-{unique}"
    await register_shop(http, catalog, shop_id, "Laden am Markt", "Beverungen", (51.663, 9.373))
    kept = await list_product(http, catalog, shop_id, product_listing(f"Senf {unique}"))
    dropped = await list_product(http, catalog, shop_id, product_listing(f"Essig {unique}"))
    delisted = await http.request("DELETE", f"/v1/products/{dropped}", json={"reason": "SEASON_OVER"},
                                  headers=bearer(shop_token(shop_id)))
    assert delisted.status_code == 202
    await wait_available(http, catalog, dropped, lambda a: a["status"] == "DELISTED")
    assert names(await search(http, q=unique)) == [f"Senf {unique}"]

    closed = await http.request("DELETE", f"/v1/shops/{shop_id}", headers=bearer(operator_token()))
    assert closed.status_code == 202
    await wait_available(http, catalog, kept, lambda a: a["status"] == "DELISTED", "the shop's goods delisted")
    [by_closure] = await recorder.wait_for_count(CATALOG_PRODUCTS, 1, ProductDelisted, product_id=kept,
                                                 watch=catalog)
    assert by_closure.reason == "SHOP_CLOSED" and by_closure.meta.producer == "catalog-worker"
    assert (await search(http, q=unique))["results"] == []
    assert shop_id not in {s["shop_id"] for s in (await http.get("/v1/shops", params={"municipality": "Beverungen"})
                                                  ).json()["shops"]}
    assert shop_id not in {s["shop_id"] for s in (await http.get("/v1/shops")).json()["shops"]}
    every = (await http.get("/v1/shops", params={"include_closed": "true"})).json()["shops"]
    assert next(s for s in every if s["shop_id"] == shop_id)["status"] == "CLOSED"

    placed = order_placed(f"o-{unique}", [(kept, shop_id, 1), (dropped, shop_id, 1)])
    await producer.publish(placed)
    found = await decisions(recorder, catalog, placed.order_id, 2)
    assert {e.lines[0].product_id: e.lines[0].reason for e in found} == {kept: "SHOP_CLOSED",
                                                                                dropped: "DELISTED"}


# -- bad input --------------------------------------------------------------------------------
async def test_a_corrupt_order_event_is_dead_lettered_by_the_catalog_and_the_worker_goes_on(
        http, catalog, recorder, producer, stock_shop, unique):
    garbage = f"not an event {unique}".encode()
    await producer.publish_raw(ORDERS_ORDERS, garbage, key=f"o-{unique}-garbage")

    def dead_lettered():
        return [r for r in recorder.dead_letters(ORDERS_ORDERS)
                if r.value == garbage and r.header(h.DLQ_SERVICE) == "catalog"]

    [letter] = await eventually(dead_lettered, what="the garbage in orders.orders.dlq", watch=catalog)
    assert letter.key_text == f"o-{unique}-garbage"
    assert letter.header(h.DLQ_CONSUMER) == "catalog.route_order_events"
    assert letter.header(h.DLQ_REASON) == "undecodable"
    assert letter.header(h.DLQ_SOURCE_TOPIC) == ORDERS_ORDERS.name

    product = await list_product(http, catalog, stock_shop, product_listing(f"Danach {unique}", stock=3))
    placed = order_placed(f"o-{unique}", [(product, stock_shop, 1)])
    await producer.publish(placed)
    [decision] = await decisions(recorder, catalog, placed.order_id, 1)
    assert decision.type == "StockReserved"


async def test_bad_requests_are_refused_with_a_clear_4xx(http, catalog, stock_shop, unique):
    listing = product_listing("Käse")
    cases = [
        (http.post(f"/v1/shops/{stock_shop}/products", json=listing), 401),
        (http.post(f"/v1/shops/{stock_shop}/products", json=listing,
                   headers=bearer(resident_token())), 403),
        (http.post(f"/v1/shops/{stock_shop}/products", json={**listing, "price_cents": -1},
                   headers=bearer(shop_token(stock_shop))), 422),
        (http.post(f"/v1/shops/{stock_shop}/products", json={**listing, "category": "Autoteile"},
                   headers=bearer(shop_token(stock_shop))), 422),
        (http.post(f"/v1/shops/{stock_shop}/products", json={**listing, "colour": "gelb"},
                   headers=bearer(shop_token(stock_shop))), 422),
        (http.post(f"/v1/shops/nope-{unique}/products", json=listing, headers=bearer(operator_token())), 404),
        (http.post(f"/v1/shops/{stock_shop}/products", json={**listing, "channel": "PHONE"},
                   headers=bearer(shop_token(stock_shop))), 422),
        (http.post("/v1/shops", json=shop_profile(stock_shop, "Doppelt", "Höxter", 51.7, 9.3),
                   headers=bearer(operator_token())), 409),
        # A NUL byte or an escape sequence would end up on labels, tour sheets and letters.
        (http.post(f"/v1/shops/{stock_shop}/products", json={**listing, "name": "Käse\x00"},
                   headers=bearer(shop_token(stock_shop))), 422),
        (http.post("/v1/shops", json=shop_profile(f"esc-{unique}", "Laden \x1b[2J", "Höxter", 51.7, 9.3),
                   headers=bearer(operator_token())), 422),
        (http.post("/v1/shops", json=shop_profile(f"fremd-{unique}", "Fremd", "Höxter", 51.7, 9.3),
                   headers=bearer(shop_token(stock_shop))), 403),
        (http.post("/v1/shops", json={**shop_profile(f"neu-{unique}", "Neu", "Höxter", 51.7, 9.3),
                                      "opening_hours": {"intervals": [{"weekday": "MONDAY", "opens": "18:00",
                                                                       "closes": "08:00"}]}},
                   headers=bearer(operator_token())), 422),
        (http.get("/v1/products/search", params={"lat": 51.7}), 422),
        (http.get("/v1/products/search", params={"category": "Autoteile"}), 422),
        (http.get(f"/v1/products/p-nope-{unique}"), 404),
        (http.get(f"/v1/products/p-nope-{unique}/availability"), 404),
        (http.patch(f"/v1/products/p-nope-{unique}", json={"price_cents": 100}, headers=bearer(operator_token())),
         404),
        (http.post(f"/v1/products/p-nope-{unique}/stock", json={"level": 1, "delta": 1},
                   headers=bearer(operator_token())), 422),
        (http.post(f"/v1/shops/{stock_shop}/products/import", content=b"{}",
                   headers={**bearer(operator_token()), "Content-Type": "application/json"}), 400),
    ]
    for request, status in cases:
        answer = await request
        assert answer.status_code == status, (status, answer.text)
        body = answer.json()
        assert body["error"] and body["message"]


# -- rebuild ----------------------------------------------------------------------------------
async def test_the_read_models_rebuild_from_the_topics(http, catalog, broker_bootstrap, redis_url, redis, run_dir):
    """Last in this module: every read model so far, wiped and replayed."""
    def comparable(page: dict) -> dict:
        return {k: v for k, v in page.items() if k != "open_now"}  # the clock moves on

    async def snapshot() -> tuple:
        shops = (await http.get("/v1/shops", params={"include_closed": "true"})).json()["shops"]
        pages = {s["shop_id"]: comparable((await http.get(f"/v1/shops/{s['shop_id']}")).json()) for s in shops}
        found = await search(http, q="kase", limit=100)
        near = await search(http, lat=BRAKEL[0], lon=BRAKEL[1], radius_km=50, limit=100)
        return pages, found, near

    async def product_records() -> int:
        return len([r async for r in replay(broker_bootstrap, CATALOG_PRODUCTS)])

    async def run_rebuild(*args: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "KAFKA_BOOTSTRAP": broker_bootstrap, "REDIS_URL": redis_url, "NAHNETZ_ENV": "test"}
        return await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "services.catalog.rebuild", *args],
                                       env=env, cwd=project_root(), capture_output=True, text=True, timeout=120)

    before = await snapshot()
    assert before[0] and before[1]["results"] and before[2]["results"]
    # A closed shop is among them: replaying its ShopClosed must not delist its goods again.
    assert any(page["status"] == "CLOSED" for page in before[0].values())
    published = await product_records()

    refused = await run_rebuild()
    assert refused.returncode != 0 and "--yes" in refused.stderr
    assert await snapshot() == before  # nothing deleted without --yes

    assert await clear_read_models(redis) > 0
    assert (await http.get("/v1/shops")).json()["shops"] == []
    assert (await search(http, q="kase"))["results"] == []

    done = await run_rebuild("--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "rebuilt:" in done.stdout and " 0 skipped" in done.stdout
    assert await snapshot() == before
    assert await product_records() == published
