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

# Short group timeouts: a group's first join takes about half the session timeout.
os.environ.setdefault("NAHNETZ_ENV", "test")


# -- spreading the run over processes (pytest-xdist, `./run-tests -n N`) ------------------------
# The e2e and browser packages each share one whole stack (package-scoped fixtures): each goes
# to one process as a whole. Every other file is a unit of its own, as module-scoped brokers
# and tests that build on the one before expect. The units that run whole stacks are CPU-bound
# (three at once made the main job's test four times slower): one process, the lane, takes them
# one after the other while the others share the rest, and takes the last of them only when
# that is done. The lane starts with the solver's tests, which judge plans found in seconds of
# wall clock and need a core of their own: beside a whole stack a Höxter day served 188
# shipments instead of 212. Meanwhile the other process runs tests that do not start stacks.
_WHOLE_PACKAGES = ("tests/e2e/", "tests/browser/")
_LANE = ("tests/unit/test_routing_", "tests/integration/test_stack.py", "tests/e2e/", "tests/browser/")


def _unit_of(nodeid: str) -> str:
    return next((p for p in _WHOLE_PACKAGES if nodeid.startswith(p)), nodeid.split("::", 1)[0])


def _in_lane(unit: str) -> bool:
    return unit.startswith(_LANE)


try:
    from xdist.scheduler import LoadScopeScheduling
except ImportError:  # a run without pytest-xdist has nothing to schedule
    pass
else:
    class _StackScheduling(LoadScopeScheduling):
        """--dist loadscope with the units above; the first process is the lane."""

        def __init__(self, config: Any, log: Any = None) -> None:
            super().__init__(config, log)
            config.option.loadscopereorder = False
            self._lane: Any = None

        def _split_scope(self, nodeid: str) -> str:
            return _unit_of(nodeid)

        def _assign_work_unit(self, node: Any) -> None:
            if self._lane is None:
                self._lane = node
            lane = sorted((u for u in self.workqueue if _in_lane(u)),
                          key=lambda u: next(i for i, p in enumerate(_LANE) if u.startswith(p)))
            others = [u for u in self.workqueue if not _in_lane(u)]
            if node is self._lane:
                chosen = (lane or others)[0]
            else:   # the lane takes its units from the front; another process, once idle, from the back
                chosen = others[0] if others else lane[-1]
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
