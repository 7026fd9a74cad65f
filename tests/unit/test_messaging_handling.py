"""The handling loop: decode, handle, retry, dead-letter; never crash, never drop."""

from __future__ import annotations

import asyncio

import pytest

from nahnetz.events import new_event
from nahnetz.records import OrderCancelled
from nahnetz.kit.logs import current_correlation_id
from nahnetz.messaging.dead_letter import DeadLetterReason, Failure
from nahnetz.messaging.delivery import Delivery
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, NotLeaderForPartitionError
from redis.exceptions import BusyLoadingError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from nahnetz.messaging.handling import (EmptyMessage, EventHandling, InvalidEvent, Outcome,
                                        RetryPolicy, is_outage)
from nahnetz.messaging.idempotency import ConcurrentChange
from nahnetz.messaging.metrics import HandlingMetrics
from nahnetz.topics import Topic
from nahnetz.avro.errors import BadMarker, UnknownFingerprint

TOPIC = Topic("test.orders", "order_id", "orders", ("OrderCancelled",))
POLICY = RetryPolicy(attempts=3, first_delay=0.5, factor=2.0, max_delay=0.8, outage_max_delay=0.5)


class FakeDeadLetters:
    def __init__(self, failures: int = 0):
        self.sent: list[tuple[Delivery, Failure]] = []
        self.failures = failures

    async def publish(self, delivery: Delivery, failure: Failure) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("broker away")
        self.sent.append((delivery, failure))


class Harness:
    def __init__(self, handler, source: Topic = TOPIC, dead_letters: FakeDeadLetters | None = None):
        self.dead_letters = dead_letters or FakeDeadLetters()
        self.metrics = HandlingMetrics("test")
        self.sleeps: list[float] = []
        self.handling = EventHandling(handler, consumer="test.handler", source=source,
                                      dead_letters=self.dead_letters, metrics=self.metrics,
                                      retry=POLICY, sleep=self._sleep)

    async def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def metric(self, name: str, **labels: str) -> float:
        return self.metrics.registry.get_sample_value(name, {"service": "test", **labels}) or 0.0


class Handler:
    """A handler that keeps the events it is given in `calls` and raises `error` on its
    first `failures` calls (on every call when `failures` is None)."""

    def __init__(self, error: BaseException | None = None, failures: int | None = None):
        self.calls: list = []
        self.error, self.failures = error, failures

    async def __call__(self, event) -> None:
        self.calls.append(event)
        if self.error is not None and (self.failures is None or len(self.calls) <= self.failures):
            raise self.error


def delivery(value: bytes | None, offset: int = 7) -> Delivery:
    return Delivery(TOPIC.name, 2, offset, b"o-1", value, [("event-type", b"OrderCancelled")])


def cancelled(order_id: str = "o-1"):
    return new_event(OrderCancelled, producer="test", order_id=order_id, reason="changed my mind")


async def test_a_good_event_reaches_the_handler_decoded():
    handler = Handler()
    h = Harness(handler)
    event = cancelled()
    assert await h.handling.handle(delivery(event.encode())) is Outcome.HANDLED
    assert handler.calls == [event]
    assert h.dead_letters.sent == []
    assert h.metric("nahnetz_worker_events_handled_total", topic=TOPIC.name, event_type="OrderCancelled") == 1
    assert h.metric("nahnetz_worker_handler_duration_seconds_count", topic=TOPIC.name,
                    event_type="OrderCancelled") == 1


async def test_the_handler_runs_with_the_events_correlation_id_bound():
    bound = []

    async def handler(event):
        bound.append(current_correlation_id())

    h = Harness(handler)
    event = cancelled()
    await h.handling.handle(delivery(event.encode()))
    assert bound == [event.correlation_id]
    assert current_correlation_id() is None


@pytest.mark.parametrize("value, error", [
    (b"not avro at all", BadMarker),
    (b"\xc3\x01" + bytes(8) + b"body", UnknownFingerprint),
    (None, EmptyMessage),
])
async def test_undecodable_messages_are_dead_lettered_at_once(value, error):
    handler = Handler()
    h = Harness(handler)
    message = delivery(value)
    assert await h.handling.handle(message) is Outcome.DEAD_LETTERED
    assert handler.calls == [] and h.sleeps == []
    [(sent, failure)] = h.dead_letters.sent
    assert sent is message
    assert failure.reason is DeadLetterReason.UNDECODABLE
    assert isinstance(failure.error, error)
    assert (failure.consumer, failure.attempts) == ("test.handler", 0)
    assert h.metric("nahnetz_worker_events_dead_lettered_total", topic=TOPIC.name, reason="undecodable") == 1


async def test_an_event_type_the_registry_does_not_list_for_the_topic_is_invalid():
    async def handler(event):
        raise AssertionError("must not be called")

    h = Harness(handler, source=Topic("test.shops", "order_id", "catalog", ("ShopRegistered",)))
    await h.handling.handle(delivery(cancelled().encode()))
    [(_, failure)] = h.dead_letters.sent
    assert failure.reason is DeadLetterReason.INVALID
    assert "OrderCancelled does not belong on test.shops" in str(failure.error)


async def test_an_invariant_violation_is_dead_lettered_without_retries():
    handler = Handler(InvalidEvent("order o-1 is unknown"))
    h = Harness(handler)
    assert await h.handling.handle(delivery(cancelled().encode())) is Outcome.DEAD_LETTERED
    assert len(handler.calls) == 1 and h.sleeps == []
    [(_, failure)] = h.dead_letters.sent
    assert (failure.reason, failure.attempts, str(failure.error)) == (
        DeadLetterReason.INVALID, 1, "order o-1 is unknown")


async def test_a_passing_failure_is_retried_with_backoff_until_it_works():
    handler = Handler(ConcurrentChange("the watched stock kept changing"), failures=2)
    h = Harness(handler)
    assert await h.handling.handle(delivery(cancelled().encode())) is Outcome.HANDLED
    assert len(handler.calls) == 3
    assert h.sleeps == [0.5, 0.8]  # 0.5, then 1.0 capped at max_delay
    assert h.dead_letters.sent == []
    assert h.metric("nahnetz_worker_handler_retries_total", topic=TOPIC.name) == 2


async def test_a_failure_that_persists_is_dead_lettered_when_the_attempts_are_used_up():
    handler = Handler(RuntimeError("a bug in the handler"))
    h = Harness(handler)
    assert await h.handling.handle(delivery(cancelled().encode())) is Outcome.DEAD_LETTERED
    assert len(handler.calls) == POLICY.attempts
    [(_, failure)] = h.dead_letters.sent
    assert (failure.reason, failure.attempts) == (DeadLetterReason.GAVE_UP, 3)
    assert isinstance(failure.error, RuntimeError)
    assert h.metric("nahnetz_worker_events_dead_lettered_total", topic=TOPIC.name, reason="gave-up") == 1
    assert h.metric("nahnetz_worker_events_handled_total", topic=TOPIC.name, event_type="OrderCancelled") == 0


@pytest.mark.parametrize("error", [
    RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused."),
    RedisTimeoutError("Timeout reading from socket"),
    BusyLoadingError("Redis is loading the dataset in memory"),
    KafkaConnectionError("no connection to the broker"),
    KafkaTimeoutError(),
    ConnectionRefusedError(111, "Connection refused"),
], ids=type)
async def test_a_dependency_away_is_waited_out_however_long_and_nothing_is_dead_lettered(error):
    """Twenty failures, far more than the 3 attempts: an outage uses up no attempts."""
    handler = Handler(error, failures=20)
    h = Harness(handler)
    event = cancelled()
    assert await h.handling.handle(delivery(event.encode())) is Outcome.HANDLED
    assert handler.calls == [event] * 21
    assert h.dead_letters.sent == []
    # Backs off like a retry, but never longer than the outage cap: it resumes soon after.
    assert h.sleeps[:3] == [0.5, 0.5, 0.5] and max(h.sleeps) == POLICY.outage_max_delay == 0.5
    assert h.metric("nahnetz_worker_dependency_waits_total", topic=TOPIC.name) == 20
    assert h.metric("nahnetz_worker_handler_retries_total", topic=TOPIC.name) == 0


async def test_an_outage_between_failures_does_not_count_as_an_attempt():
    errors = [RuntimeError("1"), RedisConnectionError("away"), RedisConnectionError("away"), RuntimeError("2"),
              RuntimeError("3")]

    async def handler(event):
        raise errors.pop(0)

    h = Harness(handler)
    assert await h.handling.handle(delivery(cancelled().encode())) is Outcome.DEAD_LETTERED
    assert errors == []  # all five attempts ran: the outage used up none of the three
    [(_, failure)] = h.dead_letters.sent
    assert (failure.reason, failure.attempts, str(failure.error)) == (DeadLetterReason.GAVE_UP, 3, "3")


def test_outages_are_told_from_failures_of_the_event_or_the_code():
    assert is_outage(NotLeaderForPartitionError())  # aiokafka says: retry
    wrapped = RuntimeError("could not load the saga")
    wrapped.__cause__ = RedisConnectionError("away")
    assert is_outage(wrapped)
    for error in (RuntimeError("bug"), ResponseError("WRONGTYPE"), ConcurrentChange("busy"), ValueError("bad"),
                  InvalidEvent("unknown product")):
        assert not is_outage(error), error


async def test_a_dead_letter_is_retried_until_the_broker_takes_it():
    async def handler(event):
        raise AssertionError("not reached")

    h = Harness(handler, dead_letters=FakeDeadLetters(failures=2))
    assert await h.handling.handle(delivery(b"garbage")) is Outcome.DEAD_LETTERED
    assert len(h.dead_letters.sent) == 1
    assert h.sleeps == [0.5, 0.8]


async def test_cancellation_is_not_mistaken_for_a_failure():
    async def handler(event):
        raise asyncio.CancelledError()

    h = Harness(handler)
    with pytest.raises(asyncio.CancelledError):
        await h.handling.handle(delivery(cancelled().encode()))
    assert h.dead_letters.sent == []


async def test_run_reads_the_raw_message_of_each_stream_event():
    class Message:
        def __init__(self, offset, value):
            self.topic, self.partition, self.offset = TOPIC.name, 1, offset
            self.key, self.value, self.headers, self.timestamp = b"o-1", value, {"h": b"v"}, 1.5

    class StreamEvent:
        def __init__(self, message):
            self.message = message

    class Stream:
        async def events(self):
            for i, value in enumerate([b"garbage", cancelled().encode()]):
                yield StreamEvent(Message(i, value))

    seen = []

    async def handler(event):
        seen.append(event.order_id)

    h = Harness(handler)
    await h.handling.run(Stream())
    assert seen == ["o-1"]
    [(sent, _)] = h.dead_letters.sent
    assert (sent.topic, sent.partition, sent.offset, sent.key, sent.value, sent.headers, sent.timestamp_ms) == (
        TOPIC.name, 1, 0, b"o-1", b"garbage", [("h", b"v")], 1500)


def test_retry_policy_backs_off_exponentially_up_to_a_cap():
    policy = RetryPolicy(attempts=5, first_delay=0.1, factor=3, max_delay=1.0)
    assert [policy.delay(n) for n in (1, 2, 3, 4)] == pytest.approx([0.1, 0.3, 0.9, 1.0])
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)
