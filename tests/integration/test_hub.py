"""The hub against the real broker and Redis: its worker as a process (its own
consumer group), its API over ASGI with its lifespan. Upstream events (shops,
pick-up points, orders, tours) are published as their owners would; what the
hub decides is read back from logistics.shipments and from the API."""

from __future__ import annotations

import random
import uuid
from datetime import date, time, timedelta

import pytest

from hub_support import (
    EFFECT,
    TopicLog,
    api_client,
    auth,
    eventually,
    opening_hours,
    order_confirmed,
    order_line,
    order_placed,
    point_registered,
    shop_registered,
    start_worker,
    unique_id,
    utc,
)
from nahnetz.events import new_event
from nahnetz.kit.redis import connect
from nahnetz.kit.settings import Settings
from nahnetz.messaging.admin import create_topics
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import (
    GeoPoint,
    OrderCancelled,
    StopCompleted,
    StopFailed,
    TimeWindow,
    TourDispatched,
)
from nahnetz.topics import LOGISTICS_SHIPMENTS, LOGISTICS_TOURS, ORDERS_ORDERS
from services.hub import keys
from services.hub.api import create_app
from services.hub.domain.shipments import shipment_id

pytestmark = pytest.mark.integration


def some_wednesday() -> date:
    """A Wednesday years ahead, different per test, so days rarely meet other tests' data."""
    return date(2031, 7, 16) + timedelta(weeks=random.randrange(0, 400))


@pytest.fixture(scope="module")
async def hub(broker_bootstrap, redis_url, run_dir):
    await create_topics(broker_bootstrap)
    worker = await start_worker("hub", f"hub-test-{uuid.uuid4().hex[:8]}", broker_bootstrap, redis_url, run_dir)
    try:
        yield worker
    finally:
        worker.process.stop(grace=8)


@pytest.fixture(scope="module")
async def log(broker_bootstrap):
    topics = [(t.name, t.partitions) for t in (LOGISTICS_SHIPMENTS,)] + [
        (t.dlq, 1) for t in (ORDERS_ORDERS, LOGISTICS_TOURS)]
    started = await TopicLog(broker_bootstrap, topics).start()
    yield started
    await started.stop()


@pytest.fixture(scope="module")
async def producer(broker_bootstrap):
    async with EventProducer(broker_bootstrap, client_id="hub-test") as started:
        yield started


@pytest.fixture(scope="module")
async def api(broker_bootstrap, redis_url):
    settings = Settings(KAFKA_BOOTSTRAP=broker_bootstrap, REDIS_URL=redis_url, NAHNETZ_ENV="test",
                        NAHNETZ_SERVICE="hub")
    async with api_client(create_app(settings)) as client:
        yield client


@pytest.fixture
async def redis(redis_url):
    client = connect(redis_url, client_name="hub-test")
    yield client
    await client.aclose()


async def confirmed_order(producer, shops: list[str], point: str, day: date, **line_kw) -> tuple:
    placed = order_placed(unique_id("o"), point, day,
                          [order_line(shop, unique_id("p"), **line_kw) for shop in shops])
    confirmed = order_confirmed(placed, ["A1"])
    await producer.publish(placed)
    await producer.publish(confirmed)
    return placed, confirmed


async def shipments_seen(api, day: date, point: str, status: str | None = None) -> list[dict]:
    params = {"day": day.isoformat(), "pickup_point_id": point}
    if status:
        params["status"] = status
    answer = await api.get("/v1/shipments", params=params, headers=auth())
    assert answer.status_code == 200, answer.text
    return answer.json()["shipments"]


async def stock_of(api, day: date, point: str) -> dict:
    answer = await api.get("/v1/hub/stock", params={"day": day.isoformat()}, headers=auth())
    assert answer.status_code == 200, answer.text
    return next((d for d in answer.json()["destinations"] if d["pickup_point_id"] == point), {})


# -- confirmed orders become shipments ---------------------------------------------------------------
async def test_a_confirmed_order_becomes_one_shipment_per_shop_once_even_when_redelivered(hub, log, producer, api):
    day = some_wednesday()
    shop_a, shop_b, point = unique_id("shop-a"), unique_id("shop-b"), unique_id("pp")
    await producer.publish(shop_registered(shop_a, hours=opening_hours(opens=time(9))))
    await producer.publish(point_registered(point))
    placed = order_placed(unique_id("o"), point, day, [
        order_line(shop_a, unique_id("p"), weight_g=1200, volume_ml=2000, temperature="CHILLED"),
        order_line(shop_b, unique_id("p"), weight_g=300, volume_ml=500),
        order_line(shop_a, unique_id("p"), weight_g=800, volume_ml=1000, temperature="FROZEN", quantity=2),
    ])
    confirmed = order_confirmed(placed, ["A1", "A2"])
    await producer.publish(placed)
    await producer.publish(confirmed)
    # Shop B registers only after the confirmation: the order waits for it.
    [first] = await log.wait_for(LOGISTICS_SHIPMENTS, 1, "the first shop's shipment", hub.process,
                                 type_="ShipmentRequested", where=lambda e: e.order_id == placed.order_id)
    assert first.shop_id == shop_a
    await producer.publish(shop_registered(shop_b))
    requested = await log.wait_for(LOGISTICS_SHIPMENTS, 2, "a shipment per shop", hub.process,
                                   type_="ShipmentRequested", where=lambda e: e.order_id == placed.order_id)
    by_shop = {e.shop_id: e for e in requested}
    a, b = by_shop[shop_a], by_shop[shop_b]
    assert a.shipment_id == shipment_id(placed.order_id, shop_a) and b.shipment_id == shipment_id(placed.order_id, shop_b)
    assert (a.weight_g, a.volume_ml, a.temperature_class) == (2000, 3000, "FROZEN")
    assert (b.weight_g, b.volume_ml, b.temperature_class) == (300, 500, "AMBIENT")
    assert a.compartment_ids == ["A1", "A2"] and a.delivery_day == day and a.attempt == 1
    assert len(a.items) == 2 and a.correlation_id == placed.correlation_id
    # Opening 09:00 local on the delivery day, collected by 15:00 local at the latest.
    assert a.pickup_windows == [TimeWindow(start=utc(day, 9), end=utc(day, 15))]
    assert a.shop_location == GeoPoint(lat=51.72, lon=9.30) and a.pickup_point_name.startswith("Pick-up-Point HX")

    # Redelivered order events and a shop update change nothing.
    before = await hub.handled(ORDERS_ORDERS, "OrderConfirmed")
    await producer.publish(placed)
    await producer.publish(confirmed)
    await producer.publish(shop_registered(shop_a))

    async def handled_again() -> bool:
        return await hub.handled(ORDERS_ORDERS, "OrderConfirmed") > before

    await eventually(handled_again, EFFECT, "the redelivered confirmation handled", hub.process)
    assert len(log.events(LOGISTICS_SHIPMENTS, type_="ShipmentRequested",
                          where=lambda e: e.order_id == placed.order_id)) == 2
    seen = await eventually(lambda: _with_len(shipments_seen(api, day, point), 2), EFFECT, "two shipments listed")
    assert {s["status"] for s in seen} == {"REQUESTED"}
    assert sorted(s["shop_id"] for s in seen) == sorted([shop_a, shop_b])


async def _with_len(coro, n: int):
    found = await coro
    return found if len(found) == n else None


# -- drivers' reports move shipments -------------------------------------------------------------------
async def test_stop_reports_become_shipment_events_and_change_the_hub_stock(hub, log, producer, api):
    day = some_wednesday()
    shop, point = unique_id("shop"), unique_id("pp")
    await producer.publish(shop_registered(shop))
    await producer.publish(point_registered(point))
    first, _ = await confirmed_order(producer, [shop], point, day)
    second, _ = await confirmed_order(producer, [shop], point, day, weight_g=2500, temperature="FROZEN")
    one, two = shipment_id(first.order_id, shop), shipment_id(second.order_id, shop)
    await eventually(lambda: _with_len(shipments_seen(api, day, point), 2), EFFECT, "two requested shipments",
                     hub.process)
    stock = await stock_of(api, day, point)
    assert stock["by_status"]["REQUESTED"] == 2 and stock["to_move"]["weight_g"] == 800 + 2500

    tour_id = unique_id("tour")
    stops = [("DEPOT", "hub-logistikport-hx", []), ("PICKUP", shop, [one, two]), ("DELIVERY", point, [one]),
             ("DEPOT", "hub-logistikport-hx", [two])]
    await producer.publish(new_event(
        TourDispatched, producer="dispatch-api", tour_id=tour_id, plan_id="plan-test", day=day, driver_id="d-1",
        vehicle_id="van-hx-1", stops=[{"kind": kind, "place_id": place, "location": {"lat": 51.7, "lon": 9.2},
                                      "shipment_ids": ids, "eta": utc(day, 8 + i), "load_g": 0, "load_ml": 0}
                                     for i, (kind, place, ids) in enumerate(stops)]))

    def report(index: int, kind: str, **kw):
        return new_event(StopCompleted, producer="dispatch-api", tour_id=tour_id, stop_index=index, kind=kind, **kw)

    await producer.publish(report(1, "ARRIVED"))
    await producer.publish(report(1, "COLLECTED"))
    collected = await log.wait_for(LOGISTICS_SHIPMENTS, 2, "both collected", hub.process, type_="ShipmentCollected",
                                   where=lambda e: e.shipment_id in (one, two))
    assert {e.tour_id for e in collected} == {tour_id}

    async def collected_in_stock():
        found = await stock_of(api, day, point)
        return found if found.get("by_status", {}).get("COLLECTED") == 2 else None

    await eventually(collected_in_stock, EFFECT, "the stock shows both collected")

    await producer.publish(report(2, "DELIVERED", compartment_ids=["A3"]))
    await producer.publish(report(3, "DELIVERED"))  # the second one is unloaded at the hub
    [delivered] = await log.wait_for(LOGISTICS_SHIPMENTS, 1, "delivered", hub.process, type_="ShipmentDelivered",
                                     where=lambda e: e.shipment_id == one)
    assert (delivered.pickup_point_id, delivered.compartment_ids, delivered.order_id) == (point, ["A3"], first.order_id)
    [at_hub] = await log.wait_for(LOGISTICS_SHIPMENTS, 1, "at the hub", hub.process, type_="ShipmentAtHub",
                                  where=lambda e: e.shipment_id == two)
    assert at_hub.hub_id == "hub-logistikport-hx"

    async def final_stock():
        found = await stock_of(api, day, point)
        statuses = found.get("by_status", {})
        return found if statuses.get("DELIVERED") == 1 and statuses.get("AT_HUB") == 1 else None

    stock = await eventually(final_stock, EFFECT, "the stock shows one delivered and one in the hub")
    assert stock["in_hub"] == {"shipments": 1, "weight_g": 2500, "volume_ml": 1500, "by_temperature": {"FROZEN": 1}}
    answer = await api.get(f"/v1/shipments/{one}", headers=auth())
    assert answer.status_code == 200
    assert answer.json()["status"] == "DELIVERED"
    assert [h["status"] for h in answer.json()["history"]] == ["REQUESTED", "COLLECTED", "DELIVERED"]
    # A repeated report publishes nothing new.
    before = await hub.handled(LOGISTICS_TOURS, "StopCompleted")
    await producer.publish(report(2, "DELIVERED", compartment_ids=["A3"]))
    await eventually(lambda: _more(hub.handled(LOGISTICS_TOURS, "StopCompleted"), before), EFFECT,
                     "the repeated report handled", hub.process)
    assert len(log.events(LOGISTICS_SHIPMENTS, type_="ShipmentDelivered", where=lambda e: e.shipment_id == one)) == 1


async def _more(coro, than: int) -> bool:
    return await coro > than


async def test_a_missed_collection_requests_the_shipment_again_for_the_next_day(hub, log, producer, api):
    day = some_wednesday()
    shop, point = unique_id("shop"), unique_id("pp")
    await producer.publish(shop_registered(shop, hours=opening_hours(("WEDNESDAY", "FRIDAY"))))
    await producer.publish(point_registered(point))
    placed, _ = await confirmed_order(producer, [shop], point, day)
    sid = shipment_id(placed.order_id, shop)
    await log.wait_for(LOGISTICS_SHIPMENTS, 1, "requested", hub.process, type_="ShipmentRequested",
                       where=lambda e: e.shipment_id == sid)
    tour_id = unique_id("tour")
    await producer.publish(new_event(
        TourDispatched, producer="dispatch-api", tour_id=tour_id, plan_id="plan-test", day=day, driver_id="d-1",
        vehicle_id="van-hx-2", stops=[{"kind": "PICKUP", "place_id": shop, "location": {"lat": 51.7, "lon": 9.3},
                                      "shipment_ids": [sid], "eta": utc(day, 9), "load_g": 0, "load_ml": 0}]))
    await producer.publish(new_event(StopFailed, producer="dispatch-api", tour_id=tour_id, stop_index=0,
                                     reason="SHOP_CLOSED", note="Zettel an der Tür: Betriebsausflug"))
    requested = await log.wait_for(LOGISTICS_SHIPMENTS, 2, "requested again", hub.process, type_="ShipmentRequested",
                                   where=lambda e: e.shipment_id == sid)
    again = max(requested, key=lambda e: e.attempt)
    friday = day + timedelta(days=2)  # the shop's next open day: collected and delivered then
    assert again.attempt == 2 and again.delivery_day == friday
    assert again.pickup_windows == [TimeWindow(start=utc(friday, 8), end=utc(friday, 15))]

    async def moved():
        answer = await api.get(f"/v1/shipments/{sid}", headers=auth())
        return answer.json() if answer.status_code == 200 and answer.json()["attempt"] == 2 else None

    view = await eventually(moved, EFFECT, "the read model shows the new request")
    assert view["delivery_day"] == friday.isoformat() and view["status"] == "REQUESTED"
    assert view["exception"]["kind"] == "MISSED_COLLECTION" and view["exception"]["reason"] == "SHOP_CLOSED"
    assert await shipments_seen(api, day, point) == []
    assert [s["shipment_id"] for s in await shipments_seen(api, friday, point)] == [sid]


async def test_a_cancelled_order_withdraws_its_shipments(hub, log, producer, api):
    day = some_wednesday()
    shop, point = unique_id("shop"), unique_id("pp")
    await producer.publish(shop_registered(shop))
    await producer.publish(point_registered(point))
    placed, _ = await confirmed_order(producer, [shop], point, day)
    sid = shipment_id(placed.order_id, shop)
    await eventually(lambda: _with_len(shipments_seen(api, day, point), 1), EFFECT, "requested", hub.process)
    await producer.publish(new_event(OrderCancelled, producer="orders-api", order_id=placed.order_id,
                                     reason="doch nicht"))
    withdrawn = await eventually(lambda: _with_len(shipments_seen(api, day, point, "WITHDRAWN"), 1), EFFECT,
                                 "withdrawn", hub.process)
    assert withdrawn[0]["shipment_id"] == sid and withdrawn[0]["order_cancelled"] is True
    assert (await stock_of(api, day, point))["to_move"]["shipments"] == 0


# -- bad input -----------------------------------------------------------------------------------------
async def test_events_that_break_the_flow_go_to_the_dead_letters_and_the_worker_goes_on(hub, log, producer, api):
    stray = order_confirmed(order_placed(unique_id("o"), "pp-x", some_wednesday(), []), ["A1"])
    await producer.publish(stray)  # confirmed, never placed
    report = new_event(StopCompleted, producer="dispatch-api", tour_id=unique_id("tour"), stop_index=0,
                       kind="COLLECTED")
    await producer.publish(report)  # a tour never dispatched
    await eventually(lambda: dead_letters(log, ORDERS_ORDERS, stray.order_id), EFFECT,
                     "the stray confirmation dead-lettered", hub.process)
    await eventually(lambda: dead_letters(log, LOGISTICS_TOURS, report.tour_id), EFFECT,
                     "the stray report dead-lettered", hub.process)
    [letter] = log.raw(ORDERS_ORDERS.dlq, key=stray.order_id)
    headers = {k: v.decode() for k, v in letter.headers}
    assert "never placed" in " ".join(headers.values())
    # And the worker goes on: a new order on the same partition becomes a shipment.
    day = some_wednesday()
    shop, point = unique_id("shop"), unique_id("pp")
    await producer.publish(shop_registered(shop))
    await producer.publish(point_registered(point))
    await confirmed_order(producer, [shop], point, day)
    await eventually(lambda: _with_len(shipments_seen(api, day, point), 1), EFFECT, "a later order handled",
                     hub.process)


async def dead_letters(log: TopicLog, topic, key: str) -> list:
    return log.raw(topic.dlq, key=key)


async def test_the_hub_api_is_for_operators(api):
    assert (await api.get("/v1/hub/stock")).status_code == 401
    assert (await api.get("/v1/hub/stock", headers=auth("resident", "r-1"))).status_code == 403
    assert (await api.get("/v1/shipments/shp-nothing", headers=auth())).status_code == 404
    bad = await api.get("/v1/shipments", params={"status": "LOST"}, headers=auth())
    assert bad.status_code == 422


# -- rebuild (last: it replaces this module's worker) ----------------------------------------------------
async def test_the_read_model_comes_back_from_the_topics_without_deciding_anything_twice(
        hub, log, producer, api, redis, broker_bootstrap, redis_url, run_dir):
    from services.hub.rebuild import clear_projections

    day = some_wednesday()
    shop, point = unique_id("shop"), unique_id("pp")
    await producer.publish(shop_registered(shop))
    await producer.publish(point_registered(point))
    placed, _ = await confirmed_order(producer, [shop], point, day)
    sid = shipment_id(placed.order_id, shop)
    tour_id = unique_id("tour")
    # Published before the hub decided the request: the report waits for it.
    await producer.publish(new_event(
        TourDispatched, producer="dispatch-api", tour_id=tour_id, plan_id="plan-test", day=day, driver_id="d-1",
        vehicle_id="van-hx-2", stops=[{"kind": "PICKUP", "place_id": shop, "location": {"lat": 51.7, "lon": 9.3},
                                      "shipment_ids": [sid], "eta": utc(day, 9), "load_g": 0, "load_ml": 0}]))
    await producer.publish(new_event(StopCompleted, producer="dispatch-api", tour_id=tour_id, stop_index=0,
                                     kind="COLLECTED"))
    before = await eventually(lambda: _with_len(shipments_seen(api, day, point, "COLLECTED"), 1), EFFECT,
                              "collected in the read model", hub.process)
    hub.process.stop(grace=8)

    assert await clear_projections(redis) > 0
    assert await redis.get(keys.shipment(sid)) is None
    rebuilt = await start_worker("hub", f"hub-rebuilt-{uuid.uuid4().hex[:8]}", broker_bootstrap, redis_url, run_dir)
    try:
        after = await eventually(lambda: _with_len(shipments_seen(api, day, point, "COLLECTED"), 1), EFFECT,
                                 "the read model rebuilt", rebuilt.process)
        assert after == before

        async def replayed() -> bool:
            return await rebuilt.handled(ORDERS_ORDERS, "OrderConfirmed") > 0 and \
                await rebuilt.handled(LOGISTICS_TOURS, "StopCompleted") > 0

        await eventually(replayed, EFFECT, "orders and tours replayed", rebuilt.process)
        assert len(log.events(LOGISTICS_SHIPMENTS, where=lambda e: e.shipment_id == sid)) == 2  # requested, collected
    finally:
        rebuilt.process.stop(grace=8)
