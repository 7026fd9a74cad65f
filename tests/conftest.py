"""Infrastructure for integration tests: a real Tansu broker and a real Redis
per test module. Both start in well under a second, and a fresh pair per module
means a worker started by one module never has to wade through the topics
another module filled (workers read topics from the beginning). Within a module
tests use unique ids, group ids and keys, so they share the pair safely.

`redis` and `producer` are the clients a service has (`nahnetz.kit.redis.connect`,
`EventProducer.from_settings`); everything else a test needs to drive the broker,
Redis and service processes is in the test kit, `nahnetz.testing`."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from nahnetz.kit.redis import connect
from nahnetz.stack.infra import start_broker, start_redis
from nahnetz.stack.processes import free_port
from nahnetz.testing import event_producer

# Short group timeouts: a group's first join takes about half the session timeout.
os.environ.setdefault("NAHNETZ_ENV", "test")


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("nahnetz-run")


@pytest.fixture(scope="module")
def broker_bootstrap(run_dir) -> str:
    """bootstrap servers of a real Tansu broker for this test module."""
    port = free_port()
    proc = start_broker(port, run_dir)
    yield f"127.0.0.1:{port}"
    proc.stop()


@pytest.fixture(scope="module")
def redis_url(run_dir) -> str:
    """A real, private Redis for this test module."""
    port = free_port()
    proc = start_redis(port, run_dir)
    yield f"redis://127.0.0.1:{port}/0"
    proc.stop()


@pytest.fixture
def unique() -> str:
    """A short random suffix for topic names, group ids and keys."""
    return uuid.uuid4().hex[:10]


@pytest.fixture
async def redis(redis_url):
    """A client of this module's Redis, connected as every process connects (replies are str)."""
    client = connect(redis_url, client_name="tests")
    yield client
    await client.aclose()


@pytest.fixture(scope="module")
async def producer(broker_bootstrap):
    """The services' producer (`EventProducer.from_settings`: acks=all) on this module's broker."""
    async with event_producer(broker_bootstrap, client_id="tests") as started:
        yield started
