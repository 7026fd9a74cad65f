"""Redis goes away for longer than a handler's retries last, and comes back: the
catalog's worker pauses on the message it holds and resumes there, dead-letters
nothing and applies every event once; its API answers 503 with Retry-After
meanwhile, and the same request with the same Idempotency-Key works afterwards.

Real processes throughout: the catalog's API and worker (as `nahnetz up` starts
them), a broker, and a Redis of this test that is stopped (SIGTERM) and started
again on its data dir and port, as an operator restarts it.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import pytest

from catalog_stack import SECRET, bearer, catalog_processes, operator_token, product_listing, shop_profile, shop_token
from nahnetz.events import new_event
from nahnetz.messaging import headers as h
from nahnetz.messaging.handling import RetryPolicy
from nahnetz.kit.redis import connect
from nahnetz.records import OrderConfirmed, OrderRejected, ProductListed, StockAdjusted
from nahnetz.stack.infra import redis_process, start_redis, wait_for_redis
from nahnetz.stack.processes import free_port
from nahnetz.testing import TopicReader, WorkerProcess, eventually
from nahnetz.topics import CATALOG_PRODUCTS, ORDERS_ORDERS
from orders_support import compartment_reserved, days_ahead, products_of, stock_reserved
from pickup_support import line, order_placed
from services.orders import keys as orders_keys

pytestmark = pytest.mark.integration

EFFECT = 30.0
DEFAULT = RetryPolicy()
# How long the handling loop used to try before it dead-lettered an event, Redis
# away or not: the outage below lasts longer, in attempts and in seconds.
OLD_GIVE_UP_S = sum(DEFAULT.delay(n) for n in range(1, DEFAULT.attempts))


@pytest.fixture
async def redis_server(tmp_path):
    """A Redis of this test: `.stop()` it, `.start_again()` on the same data and port."""
    class Server:
        port = free_port()
        url = f"redis://127.0.0.1:{port}/0"

        def __init__(self) -> None:
            self.process = start_redis(self.port, tmp_path)

        def stop(self) -> None:
            self.process.stop()

        def start_again(self) -> None:
            self.process = redis_process(self.port, tmp_path / f"redis-{self.port}",
                                         tmp_path / f"redis-{self.port}-again.log").start()
            wait_for_redis(self.process, self.port)

    server = Server()
    yield server
    server.stop()


@pytest.fixture
async def catalog(topics, broker_bootstrap, redis_server, run_dir):
    async with catalog_processes("catalog-outage", broker_bootstrap, redis_server.url, run_dir) as processes:
        yield processes


async def metric(worker: WorkerProcess, name: str, topic: str) -> float:
    answer = await worker.get("/metrics")
    assert answer is not None and answer.status_code == 200
    from prometheus_client.parser import text_string_to_metric_families
    return sum(s.value for f in text_string_to_metric_families(answer.text) for s in f.samples
               if s.name == name and s.labels.get("topic") == topic)


async def test_a_redis_outage_pauses_the_worker_dead_letters_nothing_and_the_api_answers_503(
        catalog, redis_server, producer, broker_bootstrap, unique):
    api, worker = catalog
    shop = f"s-{unique}"
    async with api.client() as http, TopicReader(broker_bootstrap, [CATALOG_PRODUCTS], dead_letters=True) as seen:
        answer = await http.post("/v1/shops", json=shop_profile(shop, "Hofladen", "Brakel", 51.717, 9.183),
                                 headers=bearer(operator_token()))
        assert answer.status_code == 202, answer.text
        await eventually(lambda: _status(http, f"/v1/shops/{shop}", 200), what="shop visible", watch=catalog)
        answer = await http.post(f"/v1/shops/{shop}/products", json=product_listing("Quark", stock=10),
                                 headers=bearer(shop_token(shop)))
        assert answer.status_code == 202, answer.text
        quark = answer.json()["product_id"]
        await eventually(lambda: _available(http, quark, 10), what="Quark at 10", watch=catalog)

        redis_server.stop()
        away_since = time.monotonic()
        # Good events arrive while Redis is away: the worker cannot apply them now.
        butter = f"p-{unique}-butter"
        during = [
            new_event(StockAdjusted, producer="catalog-api", product_id=quark, shop_id=shop, delta=2, new_level=12,
                      reason="RESTOCKED"),
            new_event(ProductListed, producer="catalog-api", product_id=butter, shop_id=shop, name="Butter",
                      unit="250 g", price={"amount_cents": 299, "currency": "EUR"}, vat_rate_bp=700, stock=7,
                      weight_g=250, volume_ml=250),
            new_event(StockAdjusted, producer="catalog-api", product_id=quark, shop_id=shop, delta=1, new_level=13,
                      reason="RESTOCKED"),
        ]
        for event in during:
            await producer.publish(event)
        waits_before = await metric(worker, "nahnetz_worker_dependency_waits_total", CATALOG_PRODUCTS.name)

        # The API: 503 with Retry-After (a read, and a write with an Idempotency-Key).
        key = str(uuid.uuid4())
        refused = [await http.get(f"/v1/products/{quark}/availability"),
                   await http.post(f"/v1/shops/{shop}/products", json=product_listing("Milch", stock=4),
                                   headers={**bearer(shop_token(shop)), "Idempotency-Key": key})]
        for answer in refused:
            assert answer.status_code == 503, answer.text
            assert int(answer.headers["Retry-After"]) >= 1
            assert answer.json()["error"] and "try again" in answer.json()["message"]
        not_ready = await worker.get("/readyz")
        assert not_ready.status_code == 503 and any(p.startswith("redis:") for p in not_ready.json()["problems"])

        # The outage outlasts the handler's retries, in attempts and in seconds.
        async def long_enough() -> bool:
            given_up = seen.dead_letters(CATALOG_PRODUCTS, keys={quark, butter})
            assert not given_up, "dead-lettered while Redis was away: " + "; ".join(
                f"{r.header(h.DLQ_REASON)} {r.header(h.DLQ_ERROR_TYPE)}" for r in given_up)
            waits = await metric(worker, "nahnetz_worker_dependency_waits_total", CATALOG_PRODUCTS.name)
            return waits - waits_before >= 2 * DEFAULT.attempts and time.monotonic() - away_since > OLD_GIVE_UP_S + 2
        await eventually(long_enough, timeout=60, interval=0.5, what="the worker waiting longer than it retries",
                         watch=[worker])

        redis_server.start_again()
        down_for = time.monotonic() - away_since

        # Resumed where it was: each event applied once, in order; nothing dead-lettered.
        await eventually(lambda: _available(http, quark, 13), what="Quark at 10 + 2 + 1", watch=catalog)
        await eventually(lambda: _available(http, butter, 7), what="Butter listed with 7", watch=catalog)
        await seen.caught_up()
        assert seen.dead_letters(CATALOG_PRODUCTS, keys={quark, butter}) == []
        assert worker.running and await worker.ready()
        lines = [json.loads(line) for line in worker.log_path.read_text().splitlines() if line.startswith("{")]
        assert any(line["message"].startswith("a dependency is away") for line in lines)
        assert any(line["message"].startswith("dependency answers again after") for line in lines)
        print(f"\nRedis away for {down_for:.1f} s (the handler used to give up after {OLD_GIVE_UP_S:.1f} s)")

        # The write refused during the outage goes through with the same key.
        again = await http.post(f"/v1/shops/{shop}/products", json=product_listing("Milch", stock=4),
                                headers={**bearer(shop_token(shop)), "Idempotency-Key": key})
        assert again.status_code == 202, again.text
        await eventually(lambda: _available(http, again.json()["product_id"], 4), what="Milch listed", watch=catalog)


async def _status(http, path: str, status: int) -> bool:
    return (await http.get(path)).status_code == status


async def _available(http, product_id: str, units: int) -> bool:
    answer = await http.get(f"/v1/products/{product_id}/availability")
    return answer.status_code == 200 and answer.json()["available"] == units


async def test_after_a_redis_restart_the_apis_first_requests_are_answered(catalog, redis_server, unique):
    """Every connection the API pooled before the restart is stale: its first command
    must reconnect and go through, not answer 503."""
    api, worker = catalog
    async with api.client() as http:
        answer = await http.post("/v1/shops", json=shop_profile(f"s-{unique}", "Hofladen", "Brakel", 51.717, 9.183),
                                 headers=bearer(operator_token()))
        assert answer.status_code == 202, answer.text
        await eventually(lambda: _status(http, f"/v1/shops/s-{unique}", 200), what="shop visible", watch=catalog)
        # Several requests at once: the API's pool holds several connections.
        burst = [http.get(f"/v1/shops/s-{unique}") for _ in range(8)]
        assert {a.status_code for a in await asyncio.gather(*burst)} == {200}

        redis_server.stop()
        redis_server.start_again()
        burst = [http.get(f"/v1/shops/s-{unique}") for _ in range(8)]
        statuses = [a.status_code for a in await asyncio.gather(*burst)]
        assert statuses == [200] * 8, statuses


async def test_answers_that_came_during_an_outage_longer_than_the_saga_timeout_confirm_the_order(
        topics, redis_server, producer, broker_bootstrap, run_dir, unique):
    """The saga's clock does not run out while its answers wait behind an outage:
    the order placed before it is confirmed afterwards, not rejected with TIMEOUT."""
    saga_timeout = 4.0
    worker = WorkerProcess("orders", bootstrap=broker_bootstrap, redis_url=redis_server.url, run_dir=run_dir,
                           app_id=f"orders-outage-{unique}",
                           env={"ORDERS_SAGA_TIMEOUT_SECONDS": str(saga_timeout),
                                "ORDERS_TIMEOUT_SCAN_SECONDS": "0.3"})
    redis = connect(redis_server.url, client_name="tests")
    async with worker, TopicReader(broker_bootstrap, [ORDERS_ORDERS]) as log:
        placed = order_placed(f"o-{unique}", f"pp-{unique}", days_ahead(3), [line("AMBIENT", 2000)])
        await producer.publish(placed)
        await eventually(lambda: redis.exists(orders_keys.saga(placed.order_id)), what="the saga started",
                         watch=[worker])
        deadline = float(await redis.zscore(orders_keys.SAGA_DEADLINES, placed.order_id))
        await redis.aclose()

        redis_server.stop()
        # The answers come while Redis is away; the worker cannot apply them now.
        for answer in [stock_reserved(placed, p) for p in products_of(placed)] + [compartment_reserved(placed)]:
            await producer.publish(answer)
        await eventually(lambda: _past(deadline + saga_timeout), timeout=30, interval=0.5,
                         what="the outage outlasting the saga's deadline", watch=[worker])
        redis_server.start_again()

        confirmed = await log.wait_for(ORDERS_ORDERS, OrderConfirmed, order_id=placed.order_id, watch=[worker],
                                       timeout=60)
        assert confirmed.order_id == placed.order_id
        await log.caught_up()
        assert log.events(ORDERS_ORDERS, OrderRejected, order_id=placed.order_id) == []


async def _past(moment: float) -> bool:
    return time.time() > moment
