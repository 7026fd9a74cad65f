"""The hub against the real broker and Redis: its worker as a process (its own
consumer group), its API over ASGI with its lifespan. Upstream events (shops,
pick-up points, orders, tours) are published as their owners would; what the
hub decides is read back from logistics.shipments and from the API."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, time, timedelta

import pytest

from hub_support import (
    auth,
    opening_hours,
    order_confirmed,
    order_line,
    order_placed,
    point_registered,
    shop_registered,
    tour_dispatched,
    unique_id,
    utc,
)
from nahnetz.events import new_event
from nahnetz.messaging.dead_letter import dead_letter_topic
from nahnetz.records import (
    GeoPoint,
    OrderCancelled,
    OrderConfirmed,
    OrderPart,
    ShipmentAtHub,
    ShipmentCollected,
    ShipmentDelivered,
    ShipmentRequested,
    StopCompleted,
    StopFailed,
    TimeWindow,
)
from nahnetz.testing import TopicReader, api_client, eventually, settings_for
from nahnetz.topics import LOGISTICS_SHIPMENTS, LOGISTICS_TOURS, ORDERS_ORDERS
from services.hub import keys
from services.hub.api import create_app
from services.hub.domain.shipments import shipment_id

pytestmark = pytest.mark.integration


def some_wednesday() -> date:
    """A Wednesday years ahead, different per test, so days rarely meet other tests' data."""
    return date(2031, 7, 16) + timedelta(weeks=random.randrange(0, 400))


@pytest.fixture(scope="module")
async def hub(topics, own_worker):
    async with own_worker("hub", "test") as running:
        yield running


@pytest.fixture(scope="module")
async def log(topics, broker_bootstrap):
    async with TopicReader(broker_bootstrap, [LOGISTICS_SHIPMENTS, dead_letter_topic(ORDERS_ORDERS),
                                              dead_letter_topic(LOGISTICS_TOURS)]) as reader:
        yield reader


@pytest.fixture(scope="module")
async def api(broker_bootstrap, redis_url):
    async with api_client(create_app(settings_for(broker_bootstrap, redis_url, service="hub"))) as client:
        yield client


async def shop_and_point(producer, **shop) -> tuple[str, str]:
    """A shop (`shop_registered` options) and a pick-up point of their own, registered."""
    shop_id, point_id = unique_id("shop"), unique_id("pp")
    await producer.publish(shop_registered(shop_id, **shop))
    await producer.publish(point_registered(point_id))
    return shop_id, point_id


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


async def listed(api, hub, count: int, day: date, point: str, status: str | None = None,
                 what: str = "shipments listed") -> list[dict]:
    """The shipments of the day and point (in `status`), once the API lists `count` of them."""
    async def enough() -> list[dict] | None:
        found = await shipments_seen(api, day, point, status)
        return found if len(found) == count else None

    return await eventually(enough, what=f"{count} {what}", watch=[hub])


async def handled_more(hub, topic, event_type, than: float, what: str) -> None:
    """Wait until the worker has handled more events of the type from `topic` than `than`."""
    async def more() -> bool:
        return await hub.handled(topic, event_type) > than

    await eventually(more, what=what, watch=[hub])


async def stock_of(api, day: date, point: str) -> dict:
    answer = await api.get("/v1/hub/stock", params={"day": day.isoformat()}, headers=auth())
    assert answer.status_code == 200, answer.text
    return next((d for d in answer.json()["destinations"] if d["pickup_point_id"] == point), {})


def decided(events: list) -> set[str]:
    """The decisions among published events: the Outbox may publish one decision twice (two
    handlers reaching it at once, or a redelivery before the publish was recorded), always
    with the same event id, and consumers dedupe by it."""
    return {e.event_id for e in events}


# -- confirmed orders become shipments ---------------------------------------------------------------
async def test_a_confirmed_order_becomes_one_shipment_per_shop_once_even_when_redelivered(hub, log, producer, api):
    day = some_wednesday()
    shop_a, point = await shop_and_point(producer, hours=opening_hours(opens=time(9)))
    shop_b = unique_id("shop-b")
    placed = order_placed(unique_id("o"), point, day, [
        order_line(shop_a, unique_id("p"), weight_g=1200, volume_ml=2000, temperature="CHILLED"),
        order_line(shop_b, unique_id("p"), weight_g=300, volume_ml=500),
        order_line(shop_a, unique_id("p"), weight_g=800, volume_ml=1000, temperature="FROZEN", quantity=2),
    ])
    confirmed = order_confirmed(placed, ["A1", "A2"])
    await producer.publish(placed)
    await producer.publish(confirmed)
    # Shop B registers only after the confirmation: the order waits for it.
    first = await log.wait_for(LOGISTICS_SHIPMENTS, ShipmentRequested, order_id=placed.order_id, watch=[hub])
    assert first.shop_id == shop_a
    await producer.publish(shop_registered(shop_b))

    async def both_shops():  # by shop: one decision may be published twice (see `decided`)
        found = {e.shop_id: e for e in log.events(LOGISTICS_SHIPMENTS, ShipmentRequested, order_id=placed.order_id)}
        return found if len(found) == 2 else None

    by_shop = await eventually(both_shops, what="a shipment requested for each shop", watch=[hub])
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
    before = await hub.handled(ORDERS_ORDERS, OrderConfirmed)
    await producer.publish(placed)
    await producer.publish(confirmed)
    await producer.publish(shop_registered(shop_a))
    await handled_more(hub, ORDERS_ORDERS, OrderConfirmed, before, "the redelivered confirmation handled")
    await log.caught_up()
    assert len(decided(log.events(LOGISTICS_SHIPMENTS, ShipmentRequested, order_id=placed.order_id))) == 2
    seen = await listed(api, hub, 2, day, point)
    assert {s["status"] for s in seen} == {"REQUESTED"}
    assert sorted(s["shop_id"] for s in seen) == sorted([shop_a, shop_b])


async def test_each_part_names_its_own_compartments_and_a_part_its_shop_cannot_make_moves_saying_why(
        hub, log, producer, api):
    day = some_wednesday()
    farm, point = await shop_and_point(producer)
    # The cheese dairy opens only on Thursdays: nothing of it can be collected for Wednesday
    # (the order is confirmed the day before, so the hub may not collect earlier).
    dairy = unique_id("shop-kaese")
    await producer.publish(shop_registered(dairy, hours=opening_hours(("THURSDAY",))))
    placed = order_placed(unique_id("o"), point, day, [order_line(farm, unique_id("p")),
                                                       order_line(dairy, unique_id("p"), temperature="CHILLED")])
    confirmed = new_event(
        OrderConfirmed, producer="orders-worker", caused_by=placed, order_id=placed.order_id,
        pickup_point_id=point, delivery_day=day, compartment_ids=["A1", "K1"],
        parts=[OrderPart(shop_id=farm, compartment_ids=["A1"]), OrderPart(shop_id=dairy, compartment_ids=["K1"])])
    confirmed = replace(confirmed, meta=replace(confirmed.meta, occurred_at=utc(day - timedelta(days=1), 9)))
    await producer.publish(placed)
    await producer.publish(confirmed)

    async def both_parts():
        found = {e.shop_id: e for e in log.events(LOGISTICS_SHIPMENTS, ShipmentRequested, order_id=placed.order_id)}
        return found if len(found) == 2 else None
    by_shop = await eventually(both_parts, what="a shipment requested for each part", watch=[hub])
    own, moved = by_shop[farm], by_shop[dairy]
    # A driver bringing one part is told only its own compartments.
    assert own.compartment_ids == ["A1"] and moved.compartment_ids == ["K1"]
    assert (own.delivery_day, own.moved_from, own.move_reason) == (day, None, None)
    assert (moved.delivery_day, moved.moved_from, moved.move_reason) == (day + timedelta(days=1), day, "SHOP_CLOSED")

    async def shown_moved():
        answer = await api.get(f"/v1/shipments/{moved.shipment_id}", headers=auth())
        return answer.json() if answer.status_code == 200 else None
    view = await eventually(shown_moved, what="the operator sees the move", watch=[hub])
    assert (view["delivery_day"], view["moved_from"], view["move_reason"]) == (
        (day + timedelta(days=1)).isoformat(), day.isoformat(), "SHOP_CLOSED")


# -- drivers' reports move shipments -------------------------------------------------------------------
async def test_stop_reports_become_shipment_events_and_change_the_hub_stock(hub, log, producer, api):
    day = some_wednesday()
    shop, point = await shop_and_point(producer)
    first, _ = await confirmed_order(producer, [shop], point, day)
    second, _ = await confirmed_order(producer, [shop], point, day, weight_g=2500, temperature="FROZEN")
    one, two = shipment_id(first.order_id, shop), shipment_id(second.order_id, shop)
    await listed(api, hub, 2, day, point, what="requested shipments")
    stock = await stock_of(api, day, point)
    assert stock["by_status"]["REQUESTED"] == 2 and stock["to_move"]["weight_g"] == 800 + 2500

    tour = tour_dispatched(day, "van-hx-1", [("DEPOT", "hub-logistikport-hx", []), ("PICKUP", shop, [one, two]),
                                             ("DELIVERY", point, [one]), ("DEPOT", "hub-logistikport-hx", [two])])
    await producer.publish(tour)

    def report(index: int, kind: str, **kw):
        return new_event(StopCompleted, producer="dispatch-api", tour_id=tour.tour_id, stop_index=index, kind=kind,
                         **kw)

    await producer.publish(report(1, "ARRIVED"))
    await producer.publish(report(1, "COLLECTED"))
    collected = await log.wait_for_count(LOGISTICS_SHIPMENTS, 2, ShipmentCollected,
                                         where=lambda e: e.shipment_id in (one, two), watch=[hub])
    assert {e.tour_id for e in collected} == {tour.tour_id}

    async def collected_in_stock():
        found = await stock_of(api, day, point)
        return found if found.get("by_status", {}).get("COLLECTED") == 2 else None

    await eventually(collected_in_stock, what="the stock shows both collected", watch=[hub])

    await producer.publish(report(2, "DELIVERED", compartment_ids=["A3"]))
    await producer.publish(report(3, "DELIVERED"))  # the second one is unloaded at the hub
    delivered = await log.wait_for(LOGISTICS_SHIPMENTS, ShipmentDelivered, shipment_id=one, watch=[hub])
    assert (delivered.pickup_point_id, delivered.compartment_ids, delivered.order_id) == (point, ["A3"], first.order_id)
    at_hub = await log.wait_for(LOGISTICS_SHIPMENTS, ShipmentAtHub, shipment_id=two, watch=[hub])
    assert at_hub.hub_id == "hub-logistikport-hx"

    async def final_stock():
        found = await stock_of(api, day, point)
        statuses = found.get("by_status", {})
        return found if statuses.get("DELIVERED") == 1 and statuses.get("AT_HUB") == 1 else None

    stock = await eventually(final_stock, what="the stock shows one delivered and one in the hub", watch=[hub])
    assert stock["in_hub"] == {"shipments": 1, "weight_g": 2500, "volume_ml": 1500, "by_temperature": {"FROZEN": 1}}
    answer = await api.get(f"/v1/shipments/{one}", headers=auth())
    assert answer.status_code == 200
    assert answer.json()["status"] == "DELIVERED"
    assert [h["status"] for h in answer.json()["history"]] == ["REQUESTED", "COLLECTED", "DELIVERED"]
    # A repeated report publishes nothing new.
    before = await hub.handled(LOGISTICS_TOURS, StopCompleted)
    await producer.publish(report(2, "DELIVERED", compartment_ids=["A3"]))
    await handled_more(hub, LOGISTICS_TOURS, StopCompleted, before, "the repeated report handled")
    await log.caught_up()
    assert len(decided(log.events(LOGISTICS_SHIPMENTS, ShipmentDelivered, shipment_id=one))) == 1


async def test_a_missed_collection_requests_the_shipment_again_for_the_next_day(hub, log, producer, api):
    day = some_wednesday()
    shop, point = await shop_and_point(producer, hours=opening_hours(("WEDNESDAY", "FRIDAY")))
    placed, _ = await confirmed_order(producer, [shop], point, day)
    sid = shipment_id(placed.order_id, shop)
    await log.wait_for(LOGISTICS_SHIPMENTS, ShipmentRequested, shipment_id=sid, watch=[hub])
    tour = tour_dispatched(day, "van-hx-2", [("PICKUP", shop, [sid])])
    await producer.publish(tour)
    await producer.publish(new_event(StopFailed, producer="dispatch-api", tour_id=tour.tour_id, stop_index=0,
                                     reason="SHOP_CLOSED", note="Zettel an der Tür: Betriebsausflug"))
    again = await log.wait_for(LOGISTICS_SHIPMENTS, ShipmentRequested, shipment_id=sid, attempt=2, watch=[hub])
    friday = day + timedelta(days=2)  # the shop's next open day: collected and delivered then
    assert again.delivery_day == friday
    assert (again.moved_from, again.move_reason) == (day, "MISSED_COLLECTION")  # the order follows
    assert again.pickup_windows == [TimeWindow(start=utc(friday, 8), end=utc(friday, 15))]

    async def moved():
        answer = await api.get(f"/v1/shipments/{sid}", headers=auth())
        return answer.json() if answer.status_code == 200 and answer.json()["attempt"] == 2 else None

    view = await eventually(moved, what="the read model shows the new request", watch=[hub])
    assert view["delivery_day"] == friday.isoformat() and view["status"] == "REQUESTED"
    assert view["exception"]["kind"] == "MISSED_COLLECTION" and view["exception"]["reason"] == "SHOP_CLOSED"
    assert await shipments_seen(api, day, point) == []
    assert [s["shipment_id"] for s in await shipments_seen(api, friday, point)] == [sid]


async def test_a_cancelled_order_withdraws_its_shipments(hub, log, producer, api):
    day = some_wednesday()
    shop, point = await shop_and_point(producer)
    placed, _ = await confirmed_order(producer, [shop], point, day)
    sid = shipment_id(placed.order_id, shop)
    await listed(api, hub, 1, day, point, what="requested")
    await producer.publish(new_event(OrderCancelled, producer="orders-api", order_id=placed.order_id,
                                     reason="doch nicht"))
    withdrawn = await listed(api, hub, 1, day, point, "WITHDRAWN", what="withdrawn")
    assert withdrawn[0]["shipment_id"] == sid and withdrawn[0]["order_cancelled"] is True
    assert (await stock_of(api, day, point))["to_move"]["shipments"] == 0


# -- bad input -----------------------------------------------------------------------------------------
async def test_events_that_break_the_flow_go_to_the_dead_letters_and_the_worker_goes_on(hub, log, producer, api):
    stray = order_confirmed(order_placed(unique_id("o"), "pp-x", some_wednesday(), []), ["A1"])
    await producer.publish(stray)  # confirmed, never placed
    report = new_event(StopCompleted, producer="dispatch-api", tour_id=unique_id("tour"), stop_index=0,
                       kind="COLLECTED")
    await producer.publish(report)  # a tour never dispatched
    [letter] = await eventually(lambda: log.dead_letters(ORDERS_ORDERS, keys={stray.order_id}),
                                what="the stray confirmation dead-lettered", watch=[hub])
    await eventually(lambda: log.dead_letters(LOGISTICS_TOURS, keys={report.tour_id}),
                     what="the stray report dead-lettered", watch=[hub])
    assert "never placed" in " ".join(value.decode() for _, value in letter.headers)
    # And the worker goes on: a new order on the same partition becomes a shipment.
    day = some_wednesday()
    shop, point = await shop_and_point(producer)
    await confirmed_order(producer, [shop], point, day)
    await listed(api, hub, 1, day, point, what="shipments of a later order")


async def test_the_hub_api_is_for_operators(api):
    assert (await api.get("/v1/hub/stock")).status_code == 401
    assert (await api.get("/v1/hub/stock", headers=auth("resident", "r-1"))).status_code == 403
    assert (await api.get("/v1/shipments/shp-nothing", headers=auth())).status_code == 404
    bad = await api.get("/v1/shipments", params={"status": "LOST"}, headers=auth())
    assert bad.status_code == 422


# -- rebuild (last: it replaces this module's worker) ----------------------------------------------------
async def test_the_read_model_comes_back_from_the_topics_without_deciding_anything_twice(
        hub, log, producer, api, redis, own_worker):
    from services.hub.rebuild import clear_projections

    day = some_wednesday()
    shop, point = await shop_and_point(producer)
    placed, _ = await confirmed_order(producer, [shop], point, day)
    sid = shipment_id(placed.order_id, shop)
    tour = tour_dispatched(day, "van-hx-2", [("PICKUP", shop, [sid])])
    # Published before the hub decided the request: the report waits for it.
    await producer.publish(tour)
    await producer.publish(new_event(StopCompleted, producer="dispatch-api", tour_id=tour.tour_id, stop_index=0,
                                     kind="COLLECTED"))
    before = await listed(api, hub, 1, day, point, "COLLECTED", what="collected in the read model")
    hub.stop()

    assert await clear_projections(redis) > 0
    assert await redis.get(keys.shipment(sid)) is None
    async with own_worker("hub", "rebuilt") as rebuilt:
        after = await listed(api, rebuilt, 1, day, point, "COLLECTED", what="in the rebuilt read model")
        assert after == before

        async def replayed() -> bool:
            return await rebuilt.handled(ORDERS_ORDERS, OrderConfirmed) > 0 and \
                await rebuilt.handled(LOGISTICS_TOURS, StopCompleted) > 0

        await eventually(replayed, what="orders and tours replayed", watch=[rebuilt])
        await log.caught_up()
        # requested, collected: nothing decided again (a new decision would carry a new event id)
        assert len(decided(log.events(LOGISTICS_SHIPMENTS, where=lambda e: e.shipment_id == sid))) == 2
