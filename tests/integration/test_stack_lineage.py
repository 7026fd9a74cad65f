"""`nahnetz up` over a run dir whose broker log is gone: Redis still holds what was
derived from that log (its append-only file in the run dir, or a Redis at
REDIS_URL), and `up` must not serve it as if nothing happened. The real console
command runs in a subprocess with a real broker and Redis; the stack has no
services (a fixture folder without any), so only broker, Redis and topics start.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from nahnetz.stack.infra import redis_process, start_redis, wait_for_redis
from nahnetz.stack.lineage import LINEAGE_KEY, reconcile
from nahnetz.stack.processes import free_port
from nahnetz.testing import EmbeddedStack

pytestmark = pytest.mark.integration

# What services write: a read model, decision state, a processed marker, an idempotency key.
DERIVED = {"catalog:product:p-1": "{}", "catalog:stock:{p-1}": "7", "orders:order:o-1": "{}",
           "nahnetz:processed:catalog.reserve_stock:o-1": "", "nahnetz:idempotency:orders:r-1:abc": "{}"}


@pytest.fixture
def no_services(tmp_path) -> Path:
    folder = tmp_path / "pkg" / "services"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    return folder


@pytest.fixture
def stacks():
    made: list[EmbeddedStack] = []
    yield made
    for stack in made:
        stack.ensure_down()
        assert stack.leftovers() == []


def up(stack: EmbeddedStack) -> str:
    result = stack.run("up", "--no-seed", "--detach")
    assert result.returncode == 0, f"nahnetz up failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, decode_responses=True)


def test_up_after_the_broker_log_is_gone_clears_the_stacks_own_redis_and_says_so(tmp_path, no_services, stacks):
    stack = EmbeddedStack(tmp_path / "run", env={"NAHNETZ_SERVICES_DIR": str(no_services), "NAHNETZ_STOP_GRACE": "2"})
    stacks.append(stack)
    first_output = up(stack)
    assert "held" not in first_output
    first = stack.state().broker_cluster_id
    assert first and first.startswith("nahnetz-")
    with client(stack.redis_url) as r:
        assert r.get(LINEAGE_KEY) == first
        r.mset(DERIVED)
    stack.down()
    # The stack's Redis keeps an append-only file in the run dir: the data outlives `down`.
    assert any((tmp_path / "run" / "redis").rglob("*.aof*"))

    output = up(stack)
    second = stack.state().broker_cluster_id
    assert second and second != first  # a new broker: a new, empty log
    assert f"held {len(DERIVED)} keys" in output and f"broker log {first}, which is gone" in output
    assert "Cleared Redis" in output
    with client(stack.redis_url) as r:
        assert r.exists(*DERIVED) == 0
        assert r.get(LINEAGE_KEY) == second
        # Redis restarted under the same broker keeps its state: the log is still there.
        r.mset(DERIVED)
        assert reconcile(stack.redis_url, second, everything=True).cleared == 0
        assert r.exists(*DERIVED) == len(DERIVED)
    stack.down()


def test_up_with_a_redis_at_redis_url_clears_only_the_nahnetz_keys(tmp_path, no_services, stacks):
    port = free_port()
    own = start_redis(port, tmp_path)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        stack = EmbeddedStack(tmp_path / "run", env={"NAHNETZ_SERVICES_DIR": str(no_services), "REDIS_URL": url,
                                                    "NAHNETZ_STOP_GRACE": "2"})
        stacks.append(stack)
        up(stack)
        assert stack.redis_url == url
        first = stack.state().broker_cluster_id
        with client(url) as r:
            r.mset(DERIVED)
            r.set("another-app:setting", "keep me")
        stack.down()

        output = up(stack)
        assert f"held {len(DERIVED)} keys" in output and "Cleared the Nahnetz keys" in output
        with client(url) as r:
            assert r.exists(*DERIVED) == 0
            assert r.get("another-app:setting") == "keep me"
            assert r.get(LINEAGE_KEY) == stack.state().broker_cluster_id != first
        stack.down()
    finally:
        own.stop()


def test_redis_restarted_on_its_data_dir_has_what_it_had(tmp_path):
    """What makes a Redis restart during a run lose nothing (the fault campaign restarts it)."""
    port = free_port()
    first = start_redis(port, tmp_path)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        with client(url) as r:
            r.mset(DERIVED)
        first.stop()  # SIGTERM: Redis writes out its append-only file and exits
        again = redis_process(port, tmp_path / f"redis-{port}", tmp_path / "again.log").start()
        try:
            wait_for_redis(again, port)
            with client(url) as r:
                assert r.mget(list(DERIVED)) == list(DERIVED.values())
        finally:
            again.stop()
    finally:
        first.stop()
