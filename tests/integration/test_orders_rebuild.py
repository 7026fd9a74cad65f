"""The orders service's Redis state is rebuilt by replaying the topics: with its
keys and markers deleted (services/orders/rebuild.py), a worker in a new
consumer group projects the same order, history and packing list again, and
decides nothing anew."""

from __future__ import annotations

import pytest

from nahnetz.kit.auth import issue_token
from nahnetz.records import NotificationRequested, OrderConfirmed, OrderPlaced, OrderRejected
from nahnetz.testing import TopicReader, api_client, eventually, settings_for
from nahnetz.topics import NOTIFY_REQUESTS, ORDERS_ORDERS
from orders_support import SECRET, answer_all_reserved, days_ahead, pickup_point_registered, product_listed
from services.orders import keys
from services.orders.api import create_app
from services.orders.rebuild import clear_state

pytestmark = pytest.mark.integration
REPLAY = 60.0  # the whole session's history of six topics


async def test_a_new_worker_rebuilds_the_orders_state_from_the_topics(topics, own_worker, broker_bootstrap,
                                                                      redis_url, redis, producer, unique):
    settings = settings_for(broker_bootstrap, redis_url, service="orders", jwt_secret=SECRET)
    resident, shop, product, point = f"r-{unique}", f"shop-{unique}", f"p-{unique}", f"pp-{unique}"
    headers = {"Authorization": f"Bearer {issue_token(SECRET, resident, 'resident')}"}

    first, second = own_worker("orders", "first"), own_worker("orders", "second")
    try:
        async with TopicReader(broker_bootstrap, [ORDERS_ORDERS, NOTIFY_REQUESTS]) as log, \
                api_client(create_app(settings), base_url="http://orders.test") as api:
            await first.start()
            await producer.publish(product_listed(product, shop, "Honig", 690))
            await producer.publish(pickup_point_registered(point, "Pick-up-Point HX Nieheim"))

            async def projected():
                return await redis.exists(keys.product(product), keys.pickup_point(point)) == 2
            await eventually(projected, what="listing and point projected", watch=[first])
            day = days_ahead(3)
            answer = await api.post("/v1/orders", headers=headers, json={
                "lines": [{"product_id": product, "quantity": 3}], "pickup_point_id": point,
                "delivery_day": day.isoformat(), "payment_method": "SIMULATED"})
            assert answer.status_code == 202, answer.text
            order_id = answer.json()["order_id"]
            placed = await log.wait_for(ORDERS_ORDERS, OrderPlaced, order_id=order_id)
            await answer_all_reserved(producer, placed)
            await log.wait_for(ORDERS_ORDERS, OrderConfirmed, order_id=order_id, watch=[first])

            async def order_view():
                got = await api.get(f"/v1/orders/{order_id}", headers=headers)
                return got.json() if got.status_code == 200 and got.json()["status"] == "CONFIRMED" else None
            before = await eventually(order_view, what="the order confirmed", watch=[first])
            first.stop()

            # Another service's keys and markers share the Redis: they stay.
            others = {f"pickup:point:{unique}": "x", f"nahnetz:processed:pickup.deposit:{unique}": "",
                      f"nahnetz:processed:notify.deliver:{order_id}:order_confirmed": ""}
            await redis.mset(others)
            lifecycle_markers = [k async for k in redis.scan_iter(match="nahnetz:processed:orders.lifecycle:*")]
            assert lifecycle_markers, "the worker marked the events it handled"
            assert await clear_state(redis) > 0
            assert [k async for k in redis.scan_iter(match="nahnetz:processed:orders.*")] == []
            assert [k async for k in redis.scan_iter(match="orders:*")] == []
            assert await redis.exists(*others) == len(others)
            assert (await api.get(f"/v1/orders/{order_id}", headers=headers)).status_code == 404

            await second.start()
            after = await eventually(order_view, timeout=REPLAY, what="the order rebuilt", watch=[second])
            assert after == before
            packing = await api.get(f"/v1/shops/{shop}/packing-list", params={"day": day.isoformat()},
                                    headers={"Authorization": f"Bearer {issue_token(SECRET, 'op', 'operator')}"})
            assert [o["order_id"] for o in packing.json()["orders"]] == [order_id]
            await log.caught_up()
            # Replayed, not decided anew: any repeat of the decision is the same event.
            assert len({e.event_id for e in log.events(ORDERS_ORDERS, OrderConfirmed, order_id=order_id)}) == 1
            assert log.events(ORDERS_ORDERS, OrderRejected, order_id=order_id) == []
            assert len({e.event_id for e in log.events(
                NOTIFY_REQUESTS, NotificationRequested, notification_id=f"{order_id}:order_confirmed")}) == 1
    finally:
        first.stop()
        second.stop()
