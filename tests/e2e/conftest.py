"""The whole platform for the e2e tests: `nahnetz up --no-seed --detach` once per
session (real Tansu broker, real redis-server, every service's API and worker as
processes), on free ports in a temporary run dir; `nahnetz down` at the end, and
a check that nothing of it is left running (helpers in e2e_support.py).
"""

from __future__ import annotations

import uuid

import pytest
import redis.asyncio as aioredis

from .e2e_support import LOGGED_TOPICS, ORDER_FLOW, E2EStack, Platform, TopicLog


# -- fixtures ---------------------------------------------------------------------------------------
@pytest.fixture(scope="package")
def e2e_stack(tmp_path_factory) -> E2EStack:
    stack = E2EStack(tmp_path_factory.mktemp("nahnetz-e2e") / "run")
    try:
        result = stack.run("up", "--no-seed", "--detach")
        assert result.returncode == 0, f"nahnetz up failed:\n{result.stdout}\n{result.stderr}"
        yield stack
        down = stack.run("down", timeout=120)
        stack.reap()
        assert down.returncode == 0, down.stdout + down.stderr
        assert not stack.state_path.exists()
        assert stack.leftovers() == []
    finally:
        # Whatever failed above, leave nothing running on the machine.
        if stack.state_path.exists():
            stack.run("down", timeout=120)
        if stack.leftovers():
            stack.force_cleanup()


@pytest.fixture(scope="package")
async def platform(e2e_stack: E2EStack) -> Platform:
    state = e2e_stack.state()
    urls = {p.name.removesuffix("-api"): p.url for p in state.processes if p.kind == "api"}
    workers = {p.name.removesuffix("-worker"): p.url for p in state.processes if p.kind == "worker"}
    topics = await TopicLog(state.bootstrap, [*LOGGED_TOPICS, *(t.dlq for t in ORDER_FLOW)]).start()
    redis = aioredis.Redis.from_url(state.redis_url)
    found = Platform(e2e_stack, urls, workers, state.bootstrap, state.redis_url, topics, redis)
    try:
        yield found
    finally:
        await found.close()
        await topics.stop()
        await redis.aclose()


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:8]
