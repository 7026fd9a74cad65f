"""Dead letters: a message that cannot be handled goes to `<topic>.dlq`.

The dead letter carries the ORIGINAL key and value bytes (so it can be replayed
or inspected with any Avro tool) and the original headers, plus headers naming
the error, where the message came from and who gave up on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Callable, Protocol

from aiokafka.structs import RecordMetadata

from ..events import now_utc
from ..topics import DLQ_SUFFIX, WEEK_MS, Topic, dead_letter_topics
from . import headers as h
from .delivery import Delivery
from .producer import EventProducer

# Headers are not meant for stack traces; the type and message say enough.
MAX_ERROR_MESSAGE = 2000


class DeadLetterReason(str, Enum):
    UNDECODABLE = "undecodable"  # not a Nahnetz event: bad bytes, unknown schema
    INVALID = "invalid"          # decoded, but the handler found it can never apply
    GAVE_UP = "gave-up"          # failed again and again, retries exhausted


@dataclass(frozen=True)
class Failure:
    reason: DeadLetterReason
    error: BaseException
    consumer: str
    attempts: int


_REGISTERED = {t.name: t for t in dead_letter_topics()}


def dead_letter_topic(source: Topic | str) -> Topic:
    """The `<topic>.dlq` of a topic: the registry's own, or built the same way
    for topics outside the registry (tests, tools)."""
    name = source.name if isinstance(source, Topic) else source
    known = _REGISTERED.get(name + DLQ_SUFFIX)
    if known is not None:
        return known
    key = source.key if isinstance(source, Topic) else ""
    owner = source.owner if isinstance(source, Topic) else ""
    return Topic(name + DLQ_SUFFIX, key, owner, (), partitions=1, retention_ms=4 * WEEK_MS)


def describe(error: BaseException) -> str:
    text = str(error) or repr(error)
    return text if len(text) <= MAX_ERROR_MESSAGE else text[: MAX_ERROR_MESSAGE - 1] + "…"


def dead_letter_headers(delivery: Delivery, failure: Failure, *, service: str,
                        failed_at: datetime) -> h.Headers:
    error = failure.error
    ours = [
        (h.DLQ_REASON, failure.reason.value),
        (h.DLQ_ERROR_TYPE, f"{type(error).__module__}.{type(error).__qualname__}"),
        (h.DLQ_ERROR_MESSAGE, describe(error)),
        (h.DLQ_SOURCE_TOPIC, delivery.topic),
        (h.DLQ_SOURCE_PARTITION, str(delivery.partition)),
        (h.DLQ_SOURCE_OFFSET, str(delivery.offset)),
        (h.DLQ_SERVICE, service),
        (h.DLQ_CONSUMER, failure.consumer),
        (h.DLQ_ATTEMPTS, str(failure.attempts)),
        (h.DLQ_FAILED_AT, failed_at.isoformat()),
    ]
    return list(delivery.headers) + [(name, value.encode()) for name, value in ours]


class DeadLetterSink(Protocol):
    async def publish(self, delivery: Delivery, failure: Failure) -> object: ...


class DeadLetterPublisher:
    """Writes dead letters through an `EventProducer` (acknowledged sends)."""

    def __init__(self, producer: EventProducer, service: str,
                 clock: Callable[[], datetime] = now_utc):
        self.producer = producer
        self.service = service
        self.clock = clock

    async def publish(self, delivery: Delivery, failure: Failure) -> RecordMetadata:
        return await self.producer.publish_raw(
            dead_letter_topic(delivery.topic),
            delivery.value,
            key=delivery.key,
            headers=dead_letter_headers(delivery, failure, service=self.service,
                                        failed_at=self.clock()),
        )
