"""Infrastructure for integration tests: a real Tansu broker and a real Redis
per test module. Both start in well under a second, and a fresh pair per module
means a worker started by one module never has to wade through the topics
another module filled (workers read topics from the beginning). Within a module
tests use unique ids, group ids and keys, so they share the pair safely.

`topics` creates the platform's topics on the module's broker, `own_worker` makes a
service's worker process on them; `redis` and `producer` are the clients a service
has (`nahnetz.kit.redis.connect`, `EventProducer.from_settings`); everything else a
test needs to drive the broker, Redis and service processes is in the test kit,
`nahnetz.testing`."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any, Callable

import pytest

from nahnetz.kit.redis import connect
from nahnetz.messaging.admin import create_topics
from nahnetz.stack.infra import start_broker, start_redis
from nahnetz.stack.processes import free_port
from nahnetz.testing import WorkerProcess, event_producer
from scheduling import next_unit, unit_of

# Short group timeouts: a group's first join takes about half the session timeout.
os.environ.setdefault("NAHNETZ_ENV", "test")


# -- spreading the run over processes (pytest-xdist): which unit goes where, see scheduling.py --
try:
    from xdist.scheduler import LoadScopeScheduling
except ImportError:  # a run without pytest-xdist has nothing to schedule
    pass
else:
    class _StackScheduling(LoadScopeScheduling):
        """--dist loadscope with the units of scheduling.py; the first process is the lane."""

        def __init__(self, config: Any, log: Any = None) -> None:
            super().__init__(config, log)
            config.option.loadscopereorder = False
            self._lane: Any = None

        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

        def _assign_work_unit(self, node: Any) -> None:
            if self._lane is None:
                self._lane = node
            chosen = next_unit(self.workqueue, for_lane=node is self._lane)
            self.workqueue.move_to_end(chosen, last=False)
            super()._assign_work_unit(node)

    def pytest_xdist_make_scheduler(config: Any, log: Any) -> Any:
        return _StackScheduling(config, log)


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("nahnetz-run")


def _private_server(start, run_dir: Path, address: str):
    """Start a server of the stack (`start_broker`, `start_redis`) on a free port, yield
    `address` with that port filled in, stop it after the module."""
    port = free_port()
    proc = start(port, run_dir)
    yield address.format(port=port)
    proc.stop()


@pytest.fixture(scope="module")
def broker_bootstrap(run_dir) -> str:
    """bootstrap servers of a real Tansu broker for this test module."""
    yield from _private_server(start_broker, run_dir, "127.0.0.1:{port}")


@pytest.fixture(scope="module")
def redis_url(run_dir) -> str:
    """A real, private Redis for this test module."""
    yield from _private_server(start_redis, run_dir, "redis://127.0.0.1:{port}/0")


@pytest.fixture(scope="module")
async def topics(broker_bootstrap) -> None:
    """Every topic of the platform, with its dead letters, on this module's broker
    (the topic-init job of a deployment: workers expect them to exist)."""
    await create_topics(broker_bootstrap)


@pytest.fixture(scope="module")
def own_worker(broker_bootstrap, redis_url, run_dir) -> Callable[..., WorkerProcess]:
    """`own_worker("hub", "test", env=...)`: the service's worker as a process on this
    module's broker and Redis, in a consumer group of its own (`<service>-<group>-<random>`),
    so it reads every topic from the start. Start it with `async with`."""
    def make(service: str, group: str, **options: Any) -> WorkerProcess:
        return WorkerProcess(service, bootstrap=broker_bootstrap, redis_url=redis_url, run_dir=run_dir,
                             app_id=f"{service}-{group}-{uuid.uuid4().hex[:8]}", **options)

    return make


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
