"""The test kit's waiting and naming rules (nahnetz.testing); its topic reader and
worker processes run against the real broker in tests/integration/test_messaging.py."""

from __future__ import annotations

import time

import pytest

from nahnetz.testing import NotInTime, app_id_variable, eventually, settings_for


class Process:
    """A watched process as `eventually` sees it."""

    def __init__(self, running: bool):
        self.name, self.running = "orders-worker", running

    def log_tail(self, lines: int = 20) -> str:
        return "  orders-worker| Traceback: boom"


async def test_eventually_returns_the_first_truthy_answer_of_a_sync_or_async_condition():
    answers = iter([None, 0, [], {"status": "CONFIRMED"}])
    assert await eventually(lambda: next(answers), timeout=5, interval=0.01) == {"status": "CONFIRMED"}

    calls = []

    async def confirmed() -> str | None:
        calls.append(1)
        return "CONFIRMED" if len(calls) == 3 else None

    assert await eventually(confirmed, timeout=5, interval=0.01) == "CONFIRMED"
    assert len(calls) == 3


async def test_eventually_fails_at_the_deadline_naming_what_and_the_last_answer():
    began = time.monotonic()
    with pytest.raises(NotInTime, match=r"the order confirmed: not within 0 s \(last seen: \[\]\)"):
        await eventually(lambda: [], timeout=0.2, interval=0.05, what="the order confirmed")
    assert 0.2 <= time.monotonic() - began < 2
    assert issubclass(NotInTime, AssertionError)


async def test_eventually_gives_up_at_once_when_a_watched_process_exits():
    began = time.monotonic()
    with pytest.raises(NotInTime, match="orders-worker exited") as caught:
        await eventually(lambda: False, timeout=30, interval=0.01, what="ready", watch=[Process(running=False)])
    assert "Traceback: boom" in str(caught.value)
    assert time.monotonic() - began < 5


async def test_a_running_watched_process_does_not_end_the_wait():
    answers = iter([False, False, True])
    assert await eventually(lambda: next(answers), timeout=5, interval=0.01, watch=[Process(running=True)])


def test_the_consumer_group_variable_follows_the_service_name():
    assert app_id_variable("orders") == "ORDERS_APP_ID"
    assert app_id_variable("messaging-test") == "MESSAGING_TEST_APP_ID"


def test_settings_for_a_test_process_use_the_test_environment():
    settings = settings_for("127.0.0.1:9092", "redis://127.0.0.1:6379/0", service="orders",
                            jwt_secret="s" * 40)
    assert (settings.kafka_bootstrap, settings.redis_url, settings.service) == (
        "127.0.0.1:9092", "redis://127.0.0.1:6379/0", "orders")
    assert settings.env == "test" and settings.short_group_timeouts
    assert settings.jwt_secret == "s" * 40
