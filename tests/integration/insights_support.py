"""What the insights integration tests share: the service's secret and settings, the
topics its worker folds, and module-scoped fixtures for its worker (a process of its
own), a reader of those topics and its API over ASGI. A test module imports the
fixtures by name (`from insights_support import api, settings, watcher, worker`)."""

from __future__ import annotations

import pytest

from nahnetz.testing import TopicReader, api_client, settings_for
from nahnetz.topics import (
    CATALOG_PRODUCTS, CATALOG_SHOPS, FREIGHT_LOADS, FREIGHT_MATCHES, FREIGHT_TRIPS, LOGISTICS_PLANS, LOGISTICS_TOURS,
    ORDERS_ORDERS, PICKUP_POINTS, PICKUP_RESERVATIONS,
)
from services.insights.api import create_app
from services.insights.settings import InsightsSettings

SECRET = "insights-integration-secret-long-enough-for-hs256"
INSIGHTS = InsightsSettings()
TOPICS = (ORDERS_ORDERS, PICKUP_RESERVATIONS, PICKUP_POINTS, CATALOG_SHOPS, CATALOG_PRODUCTS, LOGISTICS_TOURS,
          LOGISTICS_PLANS, FREIGHT_TRIPS, FREIGHT_LOADS, FREIGHT_MATCHES)


@pytest.fixture(scope="module")
def settings(broker_bootstrap, redis_url):
    return settings_for(broker_bootstrap, redis_url, service="insights", jwt_secret=SECRET)


@pytest.fixture(scope="module")
async def worker(topics, own_worker):
    async with own_worker("insights", "test") as running:
        yield running


@pytest.fixture(scope="module")
async def watcher(topics, broker_bootstrap):
    async with TopicReader(broker_bootstrap, TOPICS, dead_letters=True) as reader:
        yield reader


@pytest.fixture(scope="module")
async def api(settings, topics):
    async with api_client(create_app(settings, INSIGHTS), base_url="http://insights", timeout=60) as client:
        yield client


async def all_handled(worker, watcher) -> bool:
    """Whether the worker has handled (or dead-lettered) everything published on its topics."""
    await watcher.caught_up()
    for topic in TOPICS:
        published = len([s for s in watcher.seen(topic)])
        dead = len(watcher.dead_letters(topic))
        if await worker.handled(topic) + dead < published:
            return False
    return True
