"""The orders service against the real broker and Redis: the orders worker as its
own process, the orders API over ASGI with its lifespan (real Redis, real
producer). The catalog and pickup services are played by producing their events
(listings and points for the projections, stock and compartment answers)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, time as clock_time, timedelta, timezone

import pytest

from nahnetz.clock import BERLIN
from nahnetz.events import new_event
from nahnetz.kit.auth import issue_token
from nahnetz.kit.settings import Settings
from nahnetz.messaging import headers as h
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import (Actor, DeliveryMoveReason, GeoPoint, Money, NotificationRequested, OrderCancelled,
                             OrderCollected, OrderConfirmed, OrderDeliveryMoved, OrderLine, OrderPart, OrderPlaced,
                             OrderReadyForPickup, OrderRejected, OrderRejectionReason, ParcelCollected,
                             ParcelDeposited, PickupAlternative, RejectedOrderLine, Role, ShipmentRequested, StockRejectionReason,
                             StockReserved, TemperatureClass)
from nahnetz.testing import EFFECT, TopicReader, WorkerProcess, api_client, eventually, settings_for
from nahnetz.topics import CATALOG_STOCK_RESERVATIONS, NOTIFY_REQUESTS, ORDERS_ORDERS, PICKUP_RESERVATIONS, Topic
from orders_support import (SECRET, answer_all_reserved, compartment_full, compartment_reserved, days_ahead, pickup_point_registered,
                            product_listed, shop_registered, stock_rejected, stock_reserved)
from services.orders import keys
from services.orders.api import create_app
from services.orders.settings import OrdersSettings

pytestmark = pytest.mark.integration

SAGA_TIMEOUT = 8.0


# -- fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
async def worker(topics, own_worker):
    async with own_worker("orders", "test", env={"ORDERS_SAGA_TIMEOUT_SECONDS": str(SAGA_TIMEOUT),
                                                 "ORDERS_TIMEOUT_SCAN_SECONDS": "0.5"}) as running:
        yield running


@pytest.fixture(scope="module")
async def log(topics, broker_bootstrap):
    async with TopicReader(broker_bootstrap, [ORDERS_ORDERS, NOTIFY_REQUESTS, ORDERS_ORDERS.dlq]) as reader:
        yield reader


@pytest.fixture(scope="module")
def settings(broker_bootstrap, redis_url) -> Settings:
    return settings_for(broker_bootstrap, redis_url, service="orders", jwt_secret=SECRET)


@pytest.fixture(scope="module")
async def api(settings, worker):
    async with api_client(create_app(settings), base_url="http://orders.test") as client:
        yield client


class Region:
    """Two shops' products and a pick-up point, unique to a test, known to the worker."""

    def __init__(self, unique: str):
        self.shop_a, self.shop_b = f"shop-hof-{unique}", f"shop-baecker-{unique}"
        self.cheese, self.bread, self.eggs = f"p-cheese-{unique}", f"p-bread-{unique}", f"p-eggs-{unique}"
        self.point = f"pp-brakel-{unique}"
        self.resident = f"r-{unique}"

    async def publish(self, producer: EventProducer, redis, worker) -> None:
        for event in (product_listed(self.cheese, self.shop_a, "Ziegenkäse", 450, temperature=TemperatureClass.CHILLED),
                      product_listed(self.eggs, self.shop_a, "Eier (10)", 390),
                      product_listed(self.bread, self.shop_b, "Bauernbrot", 380),
                      pickup_point_registered(self.point, "Pick-up-Point HX Brakel Marktplatz")):
            await producer.publish(event)
        wanted = [keys.product(p) for p in (self.cheese, self.bread, self.eggs)] + [keys.pickup_point(self.point)]

        async def projected():
            return await redis.exists(*wanted) == len(wanted)
        await eventually(projected, what="products and pick-up point projected", watch=[worker])

    def order_body(self, **changes) -> dict:
        body = {"lines": [{"product_id": self.cheese, "quantity": 2}, {"product_id": self.eggs, "quantity": 1},
                          {"product_id": self.bread, "quantity": 1}],
                "pickup_point_id": self.point, "delivery_day": days_ahead(2).isoformat(),
                "payment_method": "ONLINE"}
        return {**body, **changes}


@pytest.fixture
async def region(unique, producer, redis, worker) -> Region:
    made = Region(unique)
    await made.publish(producer, redis, worker)
    return made


def bearer(sub: str, role: str = "resident", **scopes) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, sub, role, **scopes)}"}


async def place(api, region: Region, headers=None, **changes):
    answer = await api.post("/v1/orders", json=region.order_body(**changes),
                            headers=headers or bearer(region.resident))
    assert answer.status_code == 202, answer.text
    return answer.json()


async def order_status(api, order_id: str, resident: str) -> str:
    answer = await api.get(f"/v1/orders/{order_id}", headers=bearer(resident))
    return answer.json()["status"] if answer.status_code == 200 else ""


# -- the saga ---------------------------------------------------------------------------------
async def test_an_order_over_http_is_confirmed_once_stock_and_compartment_are_reserved(
        api, log, producer, worker, region):
    placed_answer = await place(api, region)
    order_id = placed_answer["order_id"]
    assert placed_answer["status"] == "PLACED"
    assert placed_answer["status_url"] == f"/v1/orders/{order_id}"
    assert placed_answer["total"] == {"amount_cents": 2 * 450 + 390 + 380 + 250, "currency": "EUR"}

    placed = await log.wait_for(ORDERS_ORDERS, OrderPlaced, order_id=order_id)
    assert placed.resident_id == region.resident and placed.channel == "WEB"
    assert {line.product_id: line.shop_id for line in placed.lines} == {
        region.cheese: region.shop_a, region.eggs: region.shop_a, region.bread: region.shop_b}
    assert placed.meta.actor == Actor(user_id=region.resident, role=Role.RESIDENT, on_behalf_of=None)

    await answer_all_reserved(producer, placed)  # three products: three stock answers
    confirmed = await log.wait_for(ORDERS_ORDERS, OrderConfirmed, order_id=order_id, watch=[worker])
    assert confirmed.compartment_ids == ["AM01"] and confirmed.delivery_day == placed.delivery_day
    assert confirmed.correlation_id == placed.correlation_id

    async def shown_confirmed():
        return await order_status(api, order_id, region.resident) == "CONFIRMED"
    await eventually(shown_confirmed, what="GET shows CONFIRMED", watch=[worker])
    order = (await api.get(f"/v1/orders/{order_id}", headers=bearer(region.resident))).json()
    assert [step["status"] for step in order["history"]] == ["PLACED", "CONFIRMED"]
    assert all(step["at"].endswith("+00:00") for step in order["history"])
    assert order["pickup_point"]["name"] == "Pick-up-Point HX Brakel Marktplatz"

    notice = await log.wait_for(NOTIFY_REQUESTS, NotificationRequested, notification_id=f"{order_id}:order_confirmed")
    assert notice.recipient_id == region.resident and notice.template == "order_confirmed"
    assert notice.params["pickup_point"] == "Pick-up-Point HX Brakel Marktplatz"

    day = placed.delivery_day.isoformat()
    packing = await api.get(f"/v1/shops/{region.shop_a}/packing-list", params={"day": day},
                            headers=bearer(f"u-{region.shop_a}", "shop", shop_id=region.shop_a))
    assert packing.status_code == 200, packing.text
    listed = packing.json()
    assert [o["order_id"] for o in listed["orders"]] == [order_id]
    assert sorted((l["product_id"], l["quantity"]) for l in listed["orders"][0]["lines"]) == [
        (region.cheese, 2), (region.eggs, 1)]
    assert listed["orders"][0]["pickup_point"]["pickup_point_id"] == region.point
    assert {t["product_id"]: t["quantity"] for t in listed["totals"]} == {region.cheese: 2, region.eggs: 1}
    other_shop = await api.get(f"/v1/shops/{region.shop_b}/packing-list", params={"day": day},
                               headers=bearer(f"u-{region.shop_a}", "shop", shop_id=region.shop_a))
    assert other_shop.status_code == 403


async def test_a_rejected_stock_line_rejects_the_order_with_that_reason(api, log, producer, worker, region):
    order_id = (await place(api, region))["order_id"]
    placed = await log.wait_for(ORDERS_ORDERS, OrderPlaced, order_id=order_id)
    await producer.publish(stock_reserved(placed, region.cheese))
    await producer.publish(stock_rejected(placed, region.bread, StockRejectionReason.INSUFFICIENT_STOCK, available=0))

    rejected = await log.wait_for(ORDERS_ORDERS, OrderRejected, order_id=order_id, watch=[worker])
    assert rejected.reason is OrderRejectionReason.OUT_OF_STOCK
    assert rejected.lines == [RejectedOrderLine(product_id=region.bread, shop_id=region.shop_b,
                                                reason=StockRejectionReason.INSUFFICIENT_STOCK, available=0)]

    async def shown_rejected():
        return await order_status(api, order_id, region.resident) == "REJECTED"
    await eventually(shown_rejected, what="GET shows REJECTED", watch=[worker])
    order = (await api.get(f"/v1/orders/{order_id}", headers=bearer(region.resident))).json()
    assert order["rejection"]["lines"][0]["product_id"] == region.bread
    notice = await log.wait_for(NOTIFY_REQUESTS, NotificationRequested, notification_id=f"{order_id}:order_rejected")
    assert notice.params["lines"] == "Bauernbrot (0)"

    # The compartment answer comes late: the order stays rejected, nothing else is published.
    await producer.publish(compartment_reserved(placed))
    await eventually(lambda: _handled_at_least(worker, PICKUP_RESERVATIONS, 1), what="the late answer handled",
                     watch=[worker])
    await log.caught_up()
    assert len(log.events(ORDERS_ORDERS, OrderRejected, order_id=order_id)) == 1
    assert log.events(ORDERS_ORDERS, OrderConfirmed, order_id=order_id) == []


async def test_a_full_point_offers_other_points_and_days_and_the_resident_takes_one_in_one_step(
        api, log, producer, redis, worker, region):
    other = f"{region.point}-bahnhof"
    await producer.publish(pickup_point_registered(other, "Pick-up-Point HX Brakel Bahnhof"))
    await eventually(lambda: redis.exists(keys.pickup_point(other)), what="the other point projected", watch=[worker])
    order_id = (await place(api, region))["order_id"]
    placed = await log.wait_for(ORDERS_ORDERS, OrderPlaced, order_id=order_id)
    day, next_day = placed.delivery_day, placed.delivery_day + timedelta(days=1)
    await producer.publish(compartment_full(placed, [
        PickupAlternative(pickup_point_id=other, delivery_day=day, distance_m=1800),
        PickupAlternative(pickup_point_id=region.point, delivery_day=next_day)]))

    rejected = await log.wait_for(ORDERS_ORDERS, OrderRejected, order_id=order_id, watch=[worker])
    assert rejected.reason is OrderRejectionReason.NO_COMPARTMENT
    assert [(a.pickup_point_id, a.delivery_day) for a in rejected.alternatives] == [(other, day),
                                                                                   (region.point, next_day)]
    notice = await log.wait_for(NOTIFY_REQUESTS, NotificationRequested, notification_id=f"{order_id}:order_rejected")
    assert notice.params["alternative"] == f"Pick-up-Point HX Brakel Bahnhof am {day:%d.%m.%Y}"
    assert notice.params["alternative_en"].startswith("Pick-up-Point HX Brakel Bahnhof on ")

    async def shown_rejected():
        return await order_status(api, order_id, region.resident) == "REJECTED"
    await eventually(shown_rejected, what="GET shows REJECTED", watch=[worker])
    instead = (await api.get(f"/v1/orders/{order_id}", headers=bearer(region.resident))).json()["instead"]
    assert [(a["kind"], a["pickup_point"]["name"], a["delivery_day"], a["distance_km"])
            for a in instead["alternatives"]] == [
        ("OTHER_POINT", "Pick-up-Point HX Brakel Bahnhof", day.isoformat(), 1.8),
        ("LATER_DAY", "Pick-up-Point HX Brakel Marktplatz", next_day.isoformat(), None)]
    assert instead["take_available"] is False

    # Someone else cannot take it; the resident takes the other point in one step.
    take = f"/v1/orders/{order_id}/alternative"
    choice = {"pickup_point_id": other, "delivery_day": day.isoformat()}
    assert (await api.post(take, json=choice, headers=bearer("r-someone-else"))).status_code == 404
    answer = await api.post(take, json=choice, headers=bearer(region.resident))
    assert answer.status_code == 202, answer.text
    new = answer.json()
    assert (new["status"], new["replaces"], new["pickup_point"]["pickup_point_id"]) == ("PLACED", order_id, other)
    again = await api.post(take, json={"delivery_day": next_day.isoformat()}, headers=bearer(region.resident))
    assert again.status_code == 409 and again.json()["detail"]["replaced_by"] == new["order_id"]

    replacement = await log.wait_for(ORDERS_ORDERS, OrderPlaced, order_id=new["order_id"])
    assert replacement.replaces == order_id and replacement.resident_id == region.resident
    assert [(line.product_id, line.quantity) for line in replacement.lines] == [
        (line.product_id, line.quantity) for line in placed.lines]
    await answer_all_reserved(producer, replacement)
    await log.wait_for(ORDERS_ORDERS, OrderConfirmed, order_id=new["order_id"], watch=[worker])

    async def linked():
        old = (await api.get(f"/v1/orders/{order_id}", headers=bearer(region.resident))).json()
        return old["replaced_by"] == new["order_id"] and old["instead"] is None
    await eventually(linked, what="the old order names the new one", watch=[worker])
    # A confirmed order is not taken again.
    confirmed = await api.post(f"/v1/orders/{new['order_id']}/alternative", json={"delivery_day": next_day.isoformat()},
                               headers=bearer(region.resident))
    assert confirmed.status_code == 409


async def test_an_assistant_takes_only_the_units_left_for_a_resident(api, log, producer, worker, region):
    order_id = (await place(api, region))["order_id"]
    placed = await log.wait_for(ORDERS_ORDERS, OrderPlaced, order_id=order_id)
    await producer.publish(stock_reserved(placed, region.eggs))
    await producer.publish(stock_rejected(placed, region.cheese, available=1))   # 2 wanted, 1 left
    await log.wait_for(ORDERS_ORDERS, OrderRejected, order_id=order_id, watch=[worker])

    async def offered():
        answer = await api.get(f"/v1/orders/{order_id}", headers=bearer(region.resident))
        return answer.status_code == 200 and (answer.json()["instead"] or {}).get("take_available")
    await eventually(offered, what="the units left offered", watch=[worker])
    take = f"/v1/orders/{order_id}/alternative"
    assert (await api.post(take, json={}, headers=bearer(region.resident))).status_code == 422  # nothing changes
    answer = await api.post(take, json={"take_available": True}, headers=bearer("assistant-1", "operator"))
    assert answer.status_code == 202, answer.text
    replacement = await log.wait_for(ORDERS_ORDERS, OrderPlaced, order_id=answer.json()["order_id"])
    assert sorted((line.product_id, line.quantity) for line in replacement.lines) == sorted(
        [(region.cheese, 1), (region.eggs, 1), (region.bread, 1)])
    assert (replacement.entered_by, replacement.channel, replacement.replaces) == ("assistant-1", "PHONE", order_id)
    assert replacement.meta.actor.on_behalf_of == region.resident


async def _handled_at_least(worker: WorkerProcess, topic: Topic, count: float) -> bool:
    return await worker.handled(topic) >= count


async def test_no_answer_rejects_the_order_with_timeout(api, log, producer, worker, region):
    order_id = (await place(api, region))["order_id"]
    placed = await log.wait_for(ORDERS_ORDERS, OrderPlaced, order_id=order_id)
    await producer.publish(stock_reserved(placed, region.cheese))  # one answer of four
    rejected = await log.wait_for(ORDERS_ORDERS, OrderRejected, order_id=order_id, timeout=SAGA_TIMEOUT + EFFECT,
                                  watch=[worker])
    assert rejected.reason is OrderRejectionReason.TIMEOUT
    assert "no compartment answer" in rejected.message
    assert rejected.correlation_id == placed.correlation_id

    # An answer after the timeout changes nothing: still rejected, never confirmed.
    before = await worker.handled(CATALOG_STOCK_RESERVATIONS)
    for pid in (region.bread, region.eggs):
        await producer.publish(stock_reserved(placed, pid))
    await producer.publish(compartment_reserved(placed))
    await eventually(lambda: _handled_at_least(worker, CATALOG_STOCK_RESERVATIONS, before + 2),
                     what="late answers handled", watch=[worker])
    await log.caught_up()
    assert log.events(ORDERS_ORDERS, OrderConfirmed, order_id=order_id) == []
    assert len(log.events(ORDERS_ORDERS, OrderRejected, order_id=order_id)) == 1


async def test_the_same_events_again_change_nothing(api, log, producer, worker, region):
    order_id = (await place(api, region))["order_id"]
    placed = await log.wait_for(ORDERS_ORDERS, OrderPlaced, order_id=order_id)
    answers = await answer_all_reserved(producer, placed)
    await log.wait_for(ORDERS_ORDERS, OrderConfirmed, order_id=order_id, watch=[worker])
    await log.wait_for(NOTIFY_REQUESTS, NotificationRequested, notification_id=f"{order_id}:order_confirmed")

    handled_orders = await worker.handled(ORDERS_ORDERS, OrderPlaced)
    handled_stock = await worker.handled(CATALOG_STOCK_RESERVATIONS, StockReserved)
    # Kafka redelivers: the very same records again (same event ids).
    await producer.publish(placed)
    for answer in answers:
        await producer.publish(answer)
    await eventually(lambda: _handled_count(worker, ORDERS_ORDERS, OrderPlaced, handled_orders + 1),
                     what="the repeated OrderPlaced handled", watch=[worker])
    await eventually(lambda: _handled_count(worker, CATALOG_STOCK_RESERVATIONS, StockReserved, handled_stock + 3),
                     what="the repeated answers handled", watch=[worker])
    await log.caught_up()
    assert len(log.events(ORDERS_ORDERS, OrderConfirmed, order_id=order_id)) == 1
    assert len(log.events(NOTIFY_REQUESTS, NotificationRequested, notification_id=f"{order_id}:order_confirmed")) == 1
    assert log.events(ORDERS_ORDERS, OrderRejected, order_id=order_id) == []
    order = (await api.get(f"/v1/orders/{order_id}", headers=bearer(region.resident))).json()
    assert [step["status"] for step in order["history"]] == ["PLACED", "CONFIRMED"]


async def _handled_count(worker: WorkerProcess, topic: Topic, event_type: type, count: float) -> bool:
    return await worker.handled(topic, event_type) >= count


# -- the API ----------------------------------------------------------------------------------
async def test_a_retry_with_the_same_idempotency_key_returns_the_same_order(api, log, region):
    headers = {**bearer(region.resident), "Idempotency-Key": f"basket-{region.resident}"}
    first = await api.post("/v1/orders", json=region.order_body(), headers=headers)
    again = await api.post("/v1/orders", json=region.order_body(), headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.json()["order_id"] == first.json()["order_id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    await log.wait_for(ORDERS_ORDERS, OrderPlaced, order_id=first.json()["order_id"])
    await log.caught_up()
    assert len(log.events(ORDERS_ORDERS, OrderPlaced, resident_id=region.resident)) == 1
    other = await api.post("/v1/orders", json=region.order_body(note="anders"), headers=headers)
    assert other.status_code == 422, "the key belongs to the first basket"


async def test_an_assistant_orders_for_a_resident_by_phone(api, log, region):
    operator = f"op-{region.resident}"
    answer = await place(api, region, headers=bearer(operator, "operator"), resident_id=region.resident)
    placed = await log.wait_for(ORDERS_ORDERS, OrderPlaced, order_id=answer["order_id"])
    assert (placed.resident_id, placed.entered_by, placed.channel) == (region.resident, operator, "PHONE")
    assert placed.meta.actor == Actor(user_id=operator, role=Role.OPERATOR, on_behalf_of=region.resident)
    missing = await api.post("/v1/orders", json=region.order_body(), headers=bearer(operator, "operator"))
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["field"] == "resident_id"
    assert (await api.post("/v1/orders", json=region.order_body(resident_id="someone-else"),
                           headers=bearer(region.resident))).status_code == 403
    assert (await api.post("/v1/orders", json=region.order_body(),
                           headers=bearer("d-1", "driver"))).status_code == 403


async def test_a_resident_sees_only_their_own_orders(api, log, worker, region):
    order_id = (await place(api, region))["order_id"]
    stranger = bearer(f"stranger-{region.resident}")
    assert (await api.get(f"/v1/orders/{order_id}", headers=stranger)).status_code == 404
    assert (await api.get(f"/v1/orders/{order_id}", headers=bearer("op-1", "operator"))).status_code == 200
    assert (await api.get("/v1/orders", params={"resident_id": region.resident},
                          headers=stranger)).status_code == 403
    assert (await api.get(f"/v1/orders/{order_id}")).status_code == 401
    assert (await api.post(f"/v1/orders/{order_id}/cancel", headers=stranger)).status_code == 404

    async def listed():
        mine = (await api.get("/v1/me/orders", headers=bearer(region.resident))).json()["orders"]
        return [o["order_id"] for o in mine] == [order_id]
    await eventually(listed, what="the order in /v1/me/orders", watch=[worker])
    theirs = (await api.get("/v1/me/orders", headers=stranger)).json()["orders"]
    assert theirs == []
    by_operator = await api.get("/v1/orders", params={"resident_id": region.resident},
                                headers=bearer("op-1", "operator"))
    assert [o["order_id"] for o in by_operator.json()["orders"]] == [order_id]


async def test_a_page_past_any_list_is_a_422_not_a_server_error(api, region):
    # Redis refuses a range past 2**63; the API must say so before asking it.
    huge = str(2**63 + 5)
    for path, who in (("/v1/me/orders", bearer(region.resident)), ("/v1/orders", bearer("op-1", "operator"))):
        answer = await api.get(path, params={"offset": huge}, headers=who)
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"] == "validation_failed"
        assert [d["field"] for d in answer.json()["detail"]] == ["offset"]
        last = await api.get(path, params={"offset": 1_000_000}, headers=who)
        assert last.status_code == 200 and last.json()["orders"] == []


async def test_validation_errors_are_422_naming_the_fields(api, region):
    async def problems(body) -> dict:
        answer = await api.post("/v1/orders", json=body, headers=bearer(region.resident))
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"] == "validation_failed"
        return {d["field"]: d["message"] for d in answer.json()["detail"]}

    found = await problems(region.order_body(
        lines=[{"product_id": "p-nope", "quantity": 1}, {"product_id": region.bread, "quantity": 0}],
        pickup_point_id="pp-nowhere", delivery_day=days_ahead(30).isoformat()))
    assert found == {
        "lines[0].product_id": "there is no product 'p-nope'",
        "lines[1].quantity": "the quantity must be at least 1",
        "pickup_point_id": "there is no pick-up point 'pp-nowhere'",
        "delivery_day": f"the delivery day can be at most 14 days ahead (until {days_ahead(14).isoformat()})",
    }
    malformed = await problems(region.order_body(lines=[{"product_id": region.bread, "quantity": "viele"}],
                                                 delivery_day="morgen", payment_method="BITCOIN"))
    assert set(malformed) == {"lines[0].quantity", "delivery_day", "payment_method"}
    # JSON true is not one, nor is the text "3": quantities are integers, strictly.
    loose = await problems(region.order_body(lines=[{"product_id": region.bread, "quantity": True},
                                                    {"product_id": region.bread, "quantity": "3"}]))
    assert set(loose) == {"lines[0].quantity", "lines[1].quantity"}


async def test_tomorrow_cannot_be_booked_after_the_cut_off(settings, region, worker):
    tomorrow = days_ahead(1)
    evening = datetime.combine(tomorrow - timedelta(days=1), clock_time(18, 1), tzinfo=BERLIN)
    app = create_app(settings, orders_settings=OrdersSettings(), clock=lambda: evening.astimezone(timezone.utc))
    async with api_client(app) as late_api:
        answer = await late_api.post("/v1/orders", json=region.order_body(delivery_day=tomorrow.isoformat()),
                                     headers=bearer(region.resident))
        assert answer.status_code == 422
        assert answer.json()["detail"] == [{
            "field": "delivery_day", "in": "body",
            "message": f"orders for {tomorrow.isoformat()} closed at 18:00 (Europe/Berlin); "
                       f"the earliest delivery day now is {(tomorrow + timedelta(days=1)).isoformat()}"}]
        days = (await late_api.get("/v1/delivery-days", headers=bearer(region.resident))).json()
        assert days["earliest"] == (tomorrow + timedelta(days=1)).isoformat()


async def test_a_day_a_shop_cannot_hand_its_goods_over_for_is_refused_naming_the_next_possible_day(
        api, producer, redis, worker, region):
    day, next_day = days_ahead(2), days_ahead(3)
    # The farm shop opens only on the weekday after the day: nothing of it can be collected for the day.
    await producer.publish(shop_registered(region.shop_a, "Hofladen Kemper", [next_day]))
    await eventually(lambda: redis.exists(keys.shop(region.shop_a)), what="the shop's hours projected",
                     watch=[worker])
    answer = await api.post("/v1/orders", json=region.order_body(delivery_day=day.isoformat()),
                            headers=bearer(region.resident))
    assert answer.status_code == 422, answer.text
    [problem] = answer.json()["detail"]
    assert problem["field"] == "delivery_day"
    assert "Hofladen Kemper" in problem["message"]
    assert f"the next possible delivery day is {next_day.isoformat()}" in problem["message"]
    assert f"nächster möglicher Liefertag: {next_day.strftime('%d.%m.%Y')}" in problem["message"]
    # The day it names can be booked.
    assert (await place(api, region, delivery_day=next_day.isoformat()))["status"] == "PLACED"
    # The days offered for a basket of this shop leave out those it cannot make; another shop
    # (hours not known here) limits nothing.
    everyone = (await api.get("/v1/delivery-days", headers=bearer(region.resident))).json()["days"]
    basket = await api.get("/v1/delivery-days", params={"shop_id": [region.shop_a, region.shop_b]},
                           headers=bearer(region.resident))
    assert basket.status_code == 200, basket.text
    assert day.isoformat() in everyone and day.isoformat() not in basket.json()["days"]
    assert next_day.isoformat() in basket.json()["days"]
    assert basket.json()["shop_ids"] == sorted([region.shop_a, region.shop_b])


# -- after the decision: parcels and cancelling -----------------------------------------------
async def confirmed_order(api, log, producer, worker, region) -> tuple[str, object]:
    order_id = (await place(api, region, payment_method="AT_PICKUP"))["order_id"]
    placed = await log.wait_for(ORDERS_ORDERS, OrderPlaced, order_id=order_id)
    await answer_all_reserved(producer, placed)
    await log.wait_for(ORDERS_ORDERS, OrderConfirmed, order_id=order_id, watch=[worker])

    async def shown_confirmed():
        return await order_status(api, order_id, region.resident) == "CONFIRMED"
    await eventually(shown_confirmed, what="GET shows CONFIRMED", watch=[worker])
    return order_id, placed


async def test_a_deposited_parcel_makes_the_order_ready_for_pickup_then_collected(
        api, log, producer, worker, region):
    order_id, placed = await confirmed_order(api, log, producer, worker, region)
    expires = (datetime.now(timezone.utc) + timedelta(days=3)).replace(microsecond=0)
    deposited = new_event(ParcelDeposited, producer="pickup-worker", order_id=order_id,
                          pickup_point_id=region.point, compartment_ids=["AM01"], code_hash="hmac-of-pin",
                          qr_hash="hmac-of-qr", deposited_by="driver-1", expires_at=expires)
    await producer.publish(deposited)
    await producer.publish(deposited)  # delivered twice
    ready = await log.wait_for(ORDERS_ORDERS, OrderReadyForPickup, order_id=order_id, watch=[worker])
    assert ready.collect_by == expires and ready.compartment_ids == ["AM01"]

    async def shown_ready():
        return await order_status(api, order_id, region.resident) == "READY_FOR_PICKUP"
    await eventually(shown_ready, what="GET shows READY_FOR_PICKUP", watch=[worker])
    notice = await log.wait_for(NOTIFY_REQUESTS, NotificationRequested, notification_id=f"{order_id}:order_ready")
    assert notice.params["compartments"] == "AM01"
    cancel = await api.post(f"/v1/orders/{order_id}/cancel", headers=bearer(region.resident))
    assert cancel.status_code == 409 and "READY_FOR_PICKUP" in cancel.json()["message"]

    await producer.publish(new_event(ParcelCollected, producer="pickup-worker", order_id=order_id,
                                     pickup_point_id=region.point, compartment_ids=["AM01"], method="PIN"))
    collected = await log.wait_for(ORDERS_ORDERS, OrderCollected, order_id=order_id, watch=[worker])
    assert collected.paid_at_pickup == Money(amount_cents=placed.total.amount_cents, currency="EUR")
    await log.caught_up()
    assert len(log.events(ORDERS_ORDERS, OrderReadyForPickup, order_id=order_id)) == 1


async def test_cancelling_a_confirmed_order_once(api, log, producer, worker, region):
    order_id, _ = await confirmed_order(api, log, producer, worker, region)
    answer = await api.post(f"/v1/orders/{order_id}/cancel", json={"reason": "verreist"},
                            headers=bearer(region.resident))
    assert answer.status_code == 202, answer.text
    cancelled = await log.wait_for(ORDERS_ORDERS, OrderCancelled, order_id=order_id)
    assert cancelled.reason == "verreist" and cancelled.channel == "WEB"
    again = await api.post(f"/v1/orders/{order_id}/cancel", headers=bearer("op-1", "operator"))
    assert again.status_code == 409

    async def shown_cancelled():
        return await order_status(api, order_id, region.resident) == "CANCELLED"
    await eventually(shown_cancelled, what="GET shows CANCELLED", watch=[worker])
    packing = await api.get(f"/v1/shops/{region.shop_a}/packing-list",
                            params={"day": days_ahead(2).isoformat()}, headers=bearer("op-1", "operator"))
    assert packing.json()["orders"] == [], "a cancelled order is not packed"


def shipment_requested(placed, shop_id: str, day, moved_from=None, reason=None, attempt: int = 1):
    """The hub's request to carry the shop's part of the order (for `day`)."""
    return new_event(ShipmentRequested, producer="hub-worker", caused_by=placed, shipment_id=f"shp-{shop_id}",
                     order_id=placed.order_id, shop_id=shop_id, pickup_point_id=placed.pickup_point_id,
                     compartment_ids=["AM01"], delivery_day=day, weight_g=500, volume_ml=1000, pickup_windows=[],
                     shop_location=GeoPoint(lat=51.72, lon=9.3), pickup_point_location=GeoPoint(lat=51.717, lon=9.183),
                     attempt=attempt, moved_from=moved_from, move_reason=reason)


async def test_a_part_the_hub_moves_to_another_day_moves_the_order_s_day_and_the_resident_is_told(
        api, log, producer, worker, region):
    order_id = (await place(api, region))["order_id"]
    placed = await log.wait_for(ORDERS_ORDERS, OrderPlaced, order_id=order_id)
    for product in (region.cheese, region.eggs, region.bread):
        await producer.publish(stock_reserved(placed, product))
    reserved = compartment_reserved(placed, ["AM01", "KM01"])
    reserved = replace(reserved, parts=[OrderPart(shop_id=region.shop_a, compartment_ids=["KM01", "AM01"]),
                                        OrderPart(shop_id=region.shop_b, compartment_ids=["AM01"])])
    await producer.publish(reserved)
    confirmed = await log.wait_for(ORDERS_ORDERS, OrderConfirmed, order_id=order_id, watch=[worker])
    assert {p.shop_id: p.compartment_ids for p in confirmed.parts} == {region.shop_a: ["KM01", "AM01"],
                                                                       region.shop_b: ["AM01"]}
    day, next_day = placed.delivery_day, placed.delivery_day + timedelta(days=1)

    # The farm's part keeps its day (nothing to say); the bakery's moves: the shop is closed that day.
    await producer.publish(shipment_requested(placed, region.shop_a, day))
    moving = shipment_requested(placed, region.shop_b, next_day, moved_from=day,
                                reason=DeliveryMoveReason.SHOP_CLOSED)
    await producer.publish(moving)
    await producer.publish(moving)  # redelivered
    moved = await log.wait_for(ORDERS_ORDERS, OrderDeliveryMoved, order_id=order_id, watch=[worker])
    assert (moved.shop_id, moved.from_day, moved.to_day, moved.reason) == (
        region.shop_b, day, next_day, DeliveryMoveReason.SHOP_CLOSED)
    assert moved.correlation_id == placed.correlation_id

    async def shown_moved():
        order = (await api.get(f"/v1/orders/{order_id}", headers=bearer(region.resident))).json()
        return order if order["delivery_day"] == next_day.isoformat() else None
    order = await eventually(shown_moved, what="GET shows the order's new day", watch=[worker])
    assert order["status"] == "CONFIRMED"
    assert {p["shop_id"]: (p["delivery_day"], p["moved_from"]) for p in order["parts"]} == {
        region.shop_a: (day.isoformat(), None), region.shop_b: (next_day.isoformat(), day.isoformat())}
    notice = await log.wait_for(NOTIFY_REQUESTS, NotificationRequested, template="order_moved",
                                where=lambda e: e.params.get("order_id") == order_id)
    assert notice.recipient_id == region.resident
    assert next_day.strftime("%d.%m.%Y") in notice.params["to_day"] and notice.params["reason"] == "SHOP_CLOSED"
    # The bakery packs the bread for the new day.
    as_operator = bearer("op-1", "operator")
    packed = {d: [o["order_id"] for o in (await api.get(f"/v1/shops/{region.shop_b}/packing-list",
                                                       params={"day": d.isoformat()}, headers=as_operator)
                                         ).json()["orders"]] for d in (day, next_day)}
    assert packed == {day: [], next_day: [order_id]}
    await log.caught_up()
    assert len({e.event_id for e in log.events(ORDERS_ORDERS, OrderDeliveryMoved, order_id=order_id)}) == 1


# -- bad input --------------------------------------------------------------------------------
async def test_a_corrupt_message_goes_to_the_dead_letters_and_the_worker_goes_on(
        api, log, producer, worker, region):
    order_id = f"o-dlq-{uuid.uuid4().hex[:8]}"
    await producer.publish_raw(ORDERS_ORDERS, b"\x00not an event at all", key=order_id)
    never_placed = new_event(OrderConfirmed, producer="test", order_id=f"{order_id}-x",
                             pickup_point_id=region.point, delivery_day=days_ahead(2), compartment_ids=[])
    await producer.publish(never_placed)
    garbage = await log.wait_for_record(ORDERS_ORDERS.dlq, key=order_id)  # the corrupt message
    assert garbage.header(h.DLQ_REASON) == "undecodable"
    assert garbage.value == b"\x00not an event at all"
    invalid = await log.wait_for_record(ORDERS_ORDERS.dlq, key=f"{order_id}-x")  # confirming a never placed order
    assert invalid.header(h.DLQ_REASON) == "invalid"
    assert "never placed" in invalid.header(h.DLQ_ERROR_MESSAGE)

    # Same partition, after the garbage: handled as usual.
    placed = new_event(OrderPlaced, producer="test", order_id=order_id, resident_id=region.resident,
                       lines=[OrderLine(product_id=region.bread, shop_id=region.shop_b, product_name="Bauernbrot",
                                        unit="Stück", quantity=1, unit_price=Money(amount_cents=380, currency="EUR"),
                                        vat_rate_bp=700, weight_g=250, volume_ml=500)],
                       pickup_point_id=region.point, delivery_day=days_ahead(2),
                       delivery_fee=Money(amount_cents=250, currency="EUR"),
                       total=Money(amount_cents=630, currency="EUR"))
    await producer.publish(placed)

    async def projected():
        answer = await api.get(f"/v1/orders/{order_id}", headers=bearer("op-1", "operator"))
        return answer.status_code == 200
    await eventually(projected, what="the order after the garbage projected", watch=[worker])
    assert worker.running
