"""The orders service's Redis state is rebuilt by replaying the topics: with its
keys and markers deleted (services/orders/rebuild.py), a worker in a new
consumer group projects the same order, history and packing list again, and
decides nothing anew."""

from __future__ import annotations


import pytest
import redis.asyncio as aioredis

from nahnetz.kit.auth import issue_token
from nahnetz.kit.settings import Settings
from nahnetz.messaging.admin import create_topics
from nahnetz.messaging.producer import EventProducer
from nahnetz.topics import NOTIFY_REQUESTS, ORDERS_ORDERS
from orders_support import (EFFECT, SECRET, TopicLog, answer_all_reserved, api_client, days_ahead, eventually,
                            pickup_point_registered, product_listed, start_worker)
from services.orders import keys
from services.orders.api import create_app
from services.orders.rebuild import clear_state

pytestmark = pytest.mark.integration
REPLAY = 60.0  # the whole session's history of six topics


async def test_a_new_worker_rebuilds_the_orders_state_from_the_topics(broker_bootstrap, redis_url, run_dir, unique):
    await create_topics(broker_bootstrap)
    env = {"KAFKA_BOOTSTRAP": broker_bootstrap, "REDIS_URL": redis_url}
    settings = Settings(KAFKA_BOOTSTRAP=broker_bootstrap, REDIS_URL=redis_url, NAHNETZ_SERVICE="orders",
                        NAHNETZ_JWT_SECRET=SECRET, NAHNETZ_ENV="test")
    resident, shop, product, point = f"r-{unique}", f"shop-{unique}", f"p-{unique}", f"pp-{unique}"
    headers = {"Authorization": f"Bearer {issue_token(SECRET, resident, 'resident')}"}
    redis = aioredis.Redis.from_url(redis_url)
    log = await TopicLog(broker_bootstrap, [ORDERS_ORDERS.name, NOTIFY_REQUESTS.name]).start()
    first = await start_worker("orders", f"orders-worker-first-{unique}",
                               {**env, "ORDERS_APP_ID": f"orders-first-{unique}"}, run_dir)
    second = None
    try:
        async with EventProducer(broker_bootstrap, client_id="orders-rebuild-test") as producer, \
                api_client(create_app(settings)) as api:
            await producer.publish(product_listed(product, shop, "Honig", 690))
            await producer.publish(pickup_point_registered(point, "Pick-up-Point HX Nieheim"))

            async def projected():
                return await redis.exists(keys.product(product), keys.pickup_point(point)) == 2
            await eventually(projected, EFFECT, "listing and point projected", first)
            day = days_ahead(3)
            answer = await api.post("/v1/orders", headers=headers, json={
                "lines": [{"product_id": product, "quantity": 3}], "pickup_point_id": point,
                "delivery_day": day.isoformat(), "payment_method": "SIMULATED"})
            assert answer.status_code == 202, answer.text
            order_id = answer.json()["order_id"]
            placed = await log.wait_for("OrderPlaced", order_id=order_id)
            await answer_all_reserved(producer, placed)
            await log.wait_for("OrderConfirmed", order_id=order_id, worker=first)

            async def order_view():
                got = await api.get(f"/v1/orders/{order_id}", headers=headers)
                return got.json() if got.status_code == 200 and got.json()["status"] == "CONFIRMED" else None
            before = await eventually(order_view, EFFECT, "the order confirmed", first)
            first.stop()

            assert await clear_state(redis) > 0
            await redis.delete(keys.submitted(order_id))
            assert (await api.get(f"/v1/orders/{order_id}", headers=headers)).status_code == 404

            second = await start_worker("orders", f"orders-worker-second-{unique}",
                                        {**env, "ORDERS_APP_ID": f"orders-second-{unique}"}, run_dir)
            after = await eventually(order_view, REPLAY, "the order rebuilt", second)
            assert after == before
            packing = await api.get(f"/v1/shops/{shop}/packing-list", params={"day": day.isoformat()},
                                    headers={"Authorization": f"Bearer {issue_token(SECRET, 'op', 'operator')}"})
            assert [o["order_id"] for o in packing.json()["orders"]] == [order_id]
            await log.caught_up()
            # Replayed, not decided anew: any repeat of the decision is the same event.
            assert len({e.event_id for e in log.events("OrderConfirmed", order_id=order_id)}) == 1
            assert log.events("OrderRejected", order_id=order_id) == []
            assert len({e.event_id for e in log.events(
                "NotificationRequested", notification_id=f"{order_id}:order_confirmed")}) == 1
    finally:
        first.stop()
        if second is not None:
            second.stop()
        await log.stop()
        await redis.aclose()
