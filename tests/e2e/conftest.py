"""The whole platform for the e2e tests: `nahnetz up --no-seed --detach` once per
session (real Tansu broker, real redis-server, every service's API and worker as
processes), on free ports in a temporary run dir; `nahnetz down` at the end, and
a check that nothing of it is left running (`nahnetz.testing.EmbeddedStack`;
the e2e tests' own helpers are in e2e_support.py).
"""

from __future__ import annotations

import uuid

import pytest

from nahnetz.kit.redis import connect
from nahnetz.testing import EmbeddedStack, TopicReader

from .e2e_support import ORDER_FLOW, READ_TOPICS, STACK_ENV, E2EPlatform


# -- fixtures ---------------------------------------------------------------------------------------
@pytest.fixture(scope="package")
def e2e_stack(tmp_path_factory) -> EmbeddedStack:
    stack = EmbeddedStack(tmp_path_factory.mktemp("nahnetz-e2e") / "run", env=STACK_ENV)
    try:
        stack.up()
        yield stack
        stack.down()
        assert not stack.state_path.exists()
        assert stack.leftovers() == []
    finally:
        # Whatever failed above, leave nothing running on the machine.
        stack.ensure_down()


@pytest.fixture(scope="package")
async def platform(e2e_stack: EmbeddedStack) -> E2EPlatform:
    # The decisions of the order flow, and the dead letters of all its topics.
    topics = TopicReader(e2e_stack.bootstrap, [*READ_TOPICS, *(t.dlq for t in ORDER_FLOW)])
    await topics.start()
    redis = connect(e2e_stack.redis_url, client_name="e2e-tests")
    found = E2EPlatform(e2e_stack, topics, redis)
    try:
        yield found
    finally:
        await found.close()
        await topics.stop()
        await redis.aclose()


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:8]
