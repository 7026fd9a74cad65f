"""Scale-out: `nahnetz up --instances catalog=2` runs two catalog workers in one
consumer group. They share the partitions of the catalog's topics (each reports
its own in /readyz, on a health port of its own) and both decide stock; when one
stops, the other takes over every partition and orders keep being decided.

This module starts a stack of its own (the package's shared stack runs one
instance of each worker, which the crash test relies on)."""

from __future__ import annotations

import os
import signal
import uuid

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from nahnetz.kit.redis import connect
from nahnetz.kit.settings import Settings
from nahnetz.stack.processes import live_groups
from nahnetz.testing import EmbeddedStack, TopicReader, eventually
from nahnetz.topics import CATALOG_STOCK_REQUESTS, by_name
from services.catalog.worker import build_app as build_catalog_worker

from .e2e_support import ORDER_FLOW, READ_TOPICS, STACK_ENV, E2EPlatform

pytestmark = pytest.mark.e2e

FIRST, SECOND = "catalog-worker", "catalog-worker-2"
PRODUCTS = 12  # orders spread over the stock-request partitions of both instances
TAKE_OVER_S = 60  # a rebalance on a busy 2-core machine; the group's session timeout is 6 s


@pytest.fixture(scope="module")
def scaled_stack(tmp_path_factory) -> EmbeddedStack:
    stack = EmbeddedStack(tmp_path_factory.mktemp("nahnetz-scale-out") / "run", env=STACK_ENV)
    try:
        stack.up("--instances", "catalog=2")
        yield stack
        stack.down()
        assert stack.leftovers() == []
    finally:
        stack.ensure_down()


@pytest.fixture(scope="module")
async def platform(scaled_stack: EmbeddedStack) -> E2EPlatform:
    topics = TopicReader(scaled_stack.bootstrap, [*READ_TOPICS, *(t.dlq for t in ORDER_FLOW)])
    await topics.start()
    redis = connect(scaled_stack.redis_url, client_name="e2e-scale-out")
    found = E2EPlatform(scaled_stack, topics, redis)
    try:
        yield found
    finally:
        await found.close()
        await topics.stop()
        await redis.aclose()


def every_partition() -> set[str]:
    """Every partition of the topics the catalog worker's agents consume."""
    app = build_catalog_worker(Settings(KAFKA_BOOTSTRAP="127.0.0.1:9", REDIS_URL="redis://127.0.0.1:9/0"))
    return {f"{name}[{p}]" for name in app.source_topics for p in range(by_name(name).partitions)}


async def readiness(url: str) -> dict | None:
    """The worker's /readyz answer when it is ready, else None."""
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            answer = await client.get(f"{url}/readyz")
    except httpx.TransportError:
        return None
    return answer.json() if answer.status_code == 200 else None


async def handled(url: str, topic: str) -> float:
    async with httpx.AsyncClient(timeout=5) as client:
        text = (await client.get(f"{url}/metrics")).text
    return sum(s.value for family in text_string_to_metric_families(text) for s in family.samples
               if s.name == "nahnetz_worker_events_handled_total" and s.labels.get("topic") == topic)


async def place_one_per_product(platform: E2EPlatform, shop, point: str, day, tag: str) -> list[str]:
    return [await platform.place(f"resident-{tag}-{n}", point, day, {product: 1})
            for n, product in enumerate(shop.products.values())]


async def test_two_instances_share_the_partitions_and_one_takes_all_over_when_the_other_stops(
        platform: E2EPlatform) -> None:
    stack = platform.stack
    state = stack.state()
    first, second = state.by_name(FIRST), state.by_name(SECOND)
    assert first is not None and second is not None, [p.name for p in state.processes]
    assert first.alive and second.alive and first.port != second.port
    expected = every_partition()

    # Shared: each has some, none has one the other has, together they have them all.
    async def shared() -> tuple[set[str], set[str]] | None:
        one, two = await readiness(first.url), await readiness(second.url)
        if one is None or two is None:
            return None
        mine, theirs = set(one["partitions"]), set(two["partitions"])
        return (mine, theirs) if mine and theirs and not mine & theirs and mine | theirs == expected else None
    await eventually(shared, timeout=TAKE_OVER_S, interval=0.5,
                                    what="both catalog instances with a share of the partitions")

    unique = uuid.uuid4().hex[:8]
    shop = await platform.seed_shop(unique, {f"Ware {n}": {"stock": 50} for n in range(PRODUCTS)})
    point = await platform.seed_point(unique, ambient=3 * PRODUCTS)
    day = await platform.delivery_day()

    # Both decide stock: the orders' products fall into partitions of each.
    before = await place_one_per_product(platform, shop, point, day, f"{unique}-a")
    decided = await platform.decided(before, timeout=120)
    assert all(view["status"] == "CONFIRMED" for view in decided.values()), decided
    stock_requests = CATALOG_STOCK_REQUESTS.name
    assert await handled(first.url, stock_requests) > 0 and await handled(second.url, stock_requests) > 0

    # The second stops as `nahnetz down` stops it (SIGTERM: it leaves the group).
    os.killpg(second.pid, signal.SIGTERM)
    await eventually(lambda: second.pid not in live_groups([second.pid]), timeout=30,
                     what=f"{SECOND} stopped")

    async def all_taken_over() -> bool:
        one = await readiness(first.url)
        return one is not None and set(one["partitions"]) == expected
    await eventually(all_taken_over, timeout=TAKE_OVER_S, interval=0.5,
                     what=f"{FIRST} owning every partition after {SECOND} stopped")

    # Orders keep being decided, now all by the first instance.
    handled_before = await handled(first.url, stock_requests)
    after = await place_one_per_product(platform, shop, point, day, f"{unique}-b")
    decided = await platform.decided(after, timeout=120)
    assert all(view["status"] == "CONFIRMED" for view in decided.values()), decided
    assert await handled(first.url, stock_requests) >= handled_before + PRODUCTS
    assert platform.topics.dead_letters() == []
