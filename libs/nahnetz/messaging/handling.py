"""The loop every agent runs: decode, handle, retry, dead-letter; never crash.

    handling = EventHandling(reserve_stock, source=ORDERS_ORDERS, consumer="catalog.reserve_stock",
                             dead_letters=publisher, metrics=metrics)
    await handling.run(stream)          # inside a Faust agent

What happens to a message:
- not decodable (garbage, unknown schema fingerprint, no value), or an event
  type the topic registry does not list for the topic: dead-lettered at once;
- the handler raises `PermanentError` / `InvalidEvent`: dead-lettered at once
  (retrying cannot fix an invariant violation);
- the handler finds a dependency away (Redis or the broker does not answer, is
  loading or times out, see `is_outage`): the agent waits and tries again for as
  long as the outage lasts, without using up attempts, so it pauses on this
  message and resumes there; a good event is never dead-lettered because Redis
  was restarting;
- the handler raises anything else (a watched key kept changing, a bug):
  retried with exponential backoff, dead-lettered when the attempts are used up;
- a dead letter that cannot be written (broker away) is retried until it is,
  so the offset is never committed past a message that went nowhere.

Handlers must be idempotent (see `idempotency.py`): a retry or a redelivery
after a crash calls them again with the same event. One message is handled at
a time per agent, in partition order: keep agent concurrency at 1 (with more,
Faust can commit past a message still in flight, faust-streaming #606).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from enum import Enum
from typing import Any, Awaitable, Callable

from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError
from redis.exceptions import ClusterDownError, ReadOnlyError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ..avro.catalogue import SchemaCatalogue
from ..avro.errors import EventDecodeError
from ..events import Event, read_event
from ..kit.logs import bind_correlation_id
from ..topics import Topic
from .dead_letter import DeadLetterReason, DeadLetterSink, Failure
from .delivery import Delivery
from .metrics import HandlingMetrics
from .progress import Progress

log = logging.getLogger(__name__)

Handler = Callable[[Event], Awaitable[Any]]


class PermanentError(Exception):
    """Raised by a handler when this event can never be handled: dead-letter it now."""


class InvalidEvent(PermanentError):
    """The event breaks an invariant (unknown product, negative quantity, wrong topic)."""


class EmptyMessage(EventDecodeError):
    """A record without a value (a tombstone) is not an event."""


# A dependency that does not answer: Redis away, restarting or loading its data
# (BusyLoadingError is a ConnectionError), a replica after failover, the broker
# away, a socket refused or reset.
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    RedisConnectionError, RedisTimeoutError, ReadOnlyError, ClusterDownError,
    KafkaConnectionError, KafkaTimeoutError, ConnectionError,
)
# While waiting out an outage, a line in the log this often (not one per attempt).
OUTAGE_LOG_EVERY_S = 15.0


def is_outage(error: BaseException) -> bool:
    """True when `error` says a dependency is away, not that the event is bad:
    waiting helps, retries must not run out. Also when the handler wrapped
    such an error (`raise ... from exc`)."""
    seen = 0
    current: BaseException | None = error
    while current is not None and seen < 5:
        if isinstance(current, OUTAGE_ERRORS):
            return True
        # aiokafka marks the errors a client should retry (leader moving, not enough replicas...)
        if isinstance(current, KafkaError) and getattr(current, "retriable", False):
            return True
        current, seen = current.__cause__, seen + 1
    return False


class Outcome(str, Enum):
    HANDLED = "handled"
    DEAD_LETTERED = "dead-lettered"


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts in all (the first included) and the waits between them."""

    attempts: int = 6
    first_delay: float = 0.2
    factor: float = 2.0
    max_delay: float = 5.0
    # Waits while a dependency is away are unlimited in number; this short cap
    # makes an agent resume within a second of Redis or the broker coming back.
    outage_max_delay: float = 1.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("a handler needs at least one attempt")

    def delay(self, failed_attempts: int) -> float:
        """The wait after the n-th failed attempt (n >= 1)."""
        return min(self.max_delay, self.first_delay * self.factor ** (failed_attempts - 1))

    def outage_delay(self, waits: int) -> float:
        """The wait after the n-th attempt that found a dependency away (n >= 1)."""
        return min(self.outage_max_delay, self.first_delay * self.factor ** (min(waits, 32) - 1))


class EventHandling:
    def __init__(
        self,
        handler: Handler,
        *,
        consumer: str,
        dead_letters: DeadLetterSink,
        metrics: HandlingMetrics,
        source: Topic | None = None,
        retry: RetryPolicy = RetryPolicy(),
        catalogue: SchemaCatalogue | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        progress: Progress | None = None,
    ):
        self.handler = handler
        self.consumer = consumer
        self.dead_letters = dead_letters
        self.metrics = metrics
        self.source = source
        self.retry = retry
        self.catalogue = catalogue
        self.sleep = sleep
        self.clock = clock
        self.progress = progress

    async def run(self, stream: Any) -> None:
        """Handle every message of a Faust stream (`stream.events()` keeps the raw
        message with its topic, partition and offset)."""
        async for event in stream.events():
            await self.handle(Delivery.from_faust(event.message))

    async def handle(self, delivery: Delivery) -> Outcome:
        """Handle one message to its end (handled or dead-lettered), recorded in `progress`."""
        if self.progress is None:
            return await self._handle(delivery)
        self.progress.begin(delivery)
        outcome = await self._handle(delivery)
        self.progress.end(delivery)
        return outcome

    async def _handle(self, delivery: Delivery) -> Outcome:
        started = self.clock()
        try:
            event = self.decode(delivery)
        except EventDecodeError as exc:
            return await self._dead_letter(delivery, DeadLetterReason.UNDECODABLE, exc, attempts=0)
        except PermanentError as exc:
            return await self._dead_letter(delivery, DeadLetterReason.INVALID, exc, attempts=0)

        context = {"event_type": event.type, "event_id": event.event_id,
                   "correlation_id": event.correlation_id, "consumer": self.consumer,
                   "source": delivery.where}
        attempt = 0
        outage = _Outage()
        while True:
            try:
                # Log lines and events the handler writes carry the flow's correlation id.
                with bind_correlation_id(event.correlation_id):
                    await self.handler(event)
            except PermanentError as exc:
                return await self._dead_letter(delivery, DeadLetterReason.INVALID, exc, attempt + 1, context)
            except Exception as exc:
                if is_outage(exc):
                    # Not the event's fault: stay on this message until the dependency is back.
                    await self._wait_out(outage, exc, delivery, context)
                    continue
                attempt += 1
                if attempt >= self.retry.attempts:
                    return await self._dead_letter(delivery, DeadLetterReason.GAVE_UP, exc, attempt, context)
                delay = self.retry.delay(attempt)
                log.warning("handler failed, retrying in %.2f s: %s: %s", delay, type(exc).__name__, exc,
                            extra={**context, "attempt": attempt})
                self.metrics.observe_retry(delivery.topic)
                await self.sleep(delay)
            else:
                if outage.waits:
                    log.info("dependency answers again after %.1f s; handled", self.clock() - outage.since,
                             extra={**context, "waits": outage.waits})
                self.metrics.observe_handled(delivery.topic, event.type, self.clock() - started)
                return Outcome.HANDLED

    async def _wait_out(self, outage: "_Outage", error: BaseException, delivery: Delivery,
                        context: dict[str, Any]) -> None:
        now = self.clock()
        if not outage.waits:
            outage.since = outage.logged = now
            log.warning("a dependency is away (%s: %s); waiting on %s, nothing is dead-lettered for it",
                        type(error).__name__, error, delivery.where, extra=context)
        elif now - outage.logged >= OUTAGE_LOG_EVERY_S:
            outage.logged = now
            log.warning("still waiting for a dependency after %.0f s (%s: %s)", now - outage.since,
                        type(error).__name__, error, extra={**context, "waits": outage.waits})
        outage.waits += 1
        self.metrics.observe_outage_wait(delivery.topic)
        await self.sleep(self.retry.outage_delay(outage.waits))

    def decode(self, delivery: Delivery) -> Event:
        if delivery.value is None:
            raise EmptyMessage("the record has no value")
        try:
            event = read_event(delivery.value, self.catalogue)
        except EventDecodeError:
            raise
        except Exception as exc:  # any other failure to read the bytes is just as permanent
            raise EventDecodeError(f"{type(exc).__name__}: {exc}") from exc
        if self.source is not None and self.source.event_types and event.type not in self.source.event_types:
            raise InvalidEvent(f"{event.type} does not belong on {self.source.name}")
        return event

    async def _dead_letter(self, delivery: Delivery, reason: DeadLetterReason, error: BaseException,
                           attempts: int, context: dict[str, Any] | None = None) -> Outcome:
        failure = Failure(reason, error, self.consumer, attempts)
        failed_sends = 0
        while True:
            try:
                await self.dead_letters.publish(delivery, failure)
                break
            except Exception as exc:
                # Never move on without the dead letter written: the message would be lost.
                failed_sends += 1
                delay = self.retry.delay(failed_sends)
                log.error("cannot write dead letter, retrying in %.2f s: %s: %s", delay,
                          type(exc).__name__, exc, extra={"source": delivery.where})
                await self.sleep(delay)
        self.metrics.observe_dead_letter(delivery.topic, reason.value)
        log.warning("dead-lettered (%s) %s: %s: %s", reason.value, delivery.where,
                    type(error).__name__, error, extra={**(context or {}), "reason": reason.value})
        return Outcome.DEAD_LETTERED


@dataclass
class _Outage:
    """How long the agent has been waiting for a dependency, for its log lines."""

    waits: int = 0
    since: float = 0.0
    logged: float = 0.0
