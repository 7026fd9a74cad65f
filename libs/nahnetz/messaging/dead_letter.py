"""Dead letters: a message that cannot be handled goes to `<topic>.dlq`.

The dead letter carries the ORIGINAL key and value bytes (so it can be replayed
or inspected with any Avro tool) and the original headers, plus headers naming
the error, where the message came from and who gave up on it.

Reading them back (`nahnetz dlq`, `nahnetz.messaging.dead_letters_cli`): a record on
a dead-letter topic is either a `DeadLetter` or, without a value, a `ReplayNote`
saying a dead letter was sent back to its topic. A dead letter's id is where it
lies, `<dlq topic>:<partition>:<offset>` (`orders.orders.dlq:0:12`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, Callable, Protocol, Sequence

from ..topics import DLQ_SUFFIX, WEEK_MS, Topic, dead_letter_topics
from . import headers as h
from .delivery import Delivery

if TYPE_CHECKING:  # kept out of imports, so `nahnetz dlq` starts fast
    from aiokafka.structs import RecordMetadata

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

    def __init__(self, producer: "EventProducer", service: str,
                 clock: Callable[[], datetime] | None = None):
        from ..events import now_utc

        self.producer = producer
        self.service = service
        self.clock = clock or now_utc

    async def publish(self, delivery: Delivery, failure: Failure) -> "RecordMetadata":
        return await self.producer.publish_raw(
            dead_letter_topic(delivery.topic),
            delivery.value,
            key=delivery.key,
            headers=dead_letter_headers(delivery, failure, service=self.service,
                                        failed_at=self.clock()),
        )


# -- reading dead letters back -------------------------------------------------------------
@dataclass(frozen=True, order=True)
class RecordId:
    """Where a record lies: `topic:partition:offset`."""

    topic: str
    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"

    @classmethod
    def parse(cls, text: str) -> "RecordId":
        topic, sep1, partition, sep2, offset = _rsplit2(text.strip())
        if not (sep1 and sep2 and topic and partition.isdigit() and offset.isdigit()):
            raise ValueError(f"{text!r} is no dead-letter id; ids look like orders.orders.dlq:0:12 "
                             f"(see `nahnetz dlq list`)")
        return cls(topic, int(partition), int(offset))


def _rsplit2(text: str) -> tuple[str, str, str, str, str]:
    head, sep2, offset = text.rpartition(":")
    topic, sep1, partition = head.rpartition(":")
    return topic, sep1, partition, sep2, offset


@dataclass(frozen=True)
class DeadLetter:
    """A record of a dead-letter topic as written by `DeadLetterPublisher`."""

    id: RecordId
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]
    timestamp_ms: int | None = None

    def header(self, name: str) -> str | None:
        return h.header(self.headers, name)

    @property
    def reason(self) -> str:
        return self.header(h.DLQ_REASON) or "?"

    @property
    def error_type(self) -> str:
        return self.header(h.DLQ_ERROR_TYPE) or "?"

    @property
    def error(self) -> str:
        return self.header(h.DLQ_ERROR_MESSAGE) or ""

    @property
    def source(self) -> RecordId | None:
        """Where the message lay when it failed (its own topic, partition and offset)."""
        topic = self.header(h.DLQ_SOURCE_TOPIC)
        partition, offset = self.header(h.DLQ_SOURCE_PARTITION), self.header(h.DLQ_SOURCE_OFFSET)
        if not topic or partition is None or offset is None or not (partition.isdigit() and offset.isdigit()):
            return None
        return RecordId(topic, int(partition), int(offset))

    @property
    def service(self) -> str:
        return self.header(h.DLQ_SERVICE) or "?"

    @property
    def consumer(self) -> str:
        return self.header(h.DLQ_CONSUMER) or "?"

    @property
    def attempts(self) -> str:
        return self.header(h.DLQ_ATTEMPTS) or "?"

    @property
    def failed_at(self) -> str:
        return self.header(h.DLQ_FAILED_AT) or ""

    @property
    def event_type(self) -> str | None:
        return self.header(h.EVENT_TYPE)

    @property
    def event_id(self) -> str | None:
        return self.header(h.EVENT_ID)

    @property
    def replay_of(self) -> str | None:
        """The dead letter this message was a replay of, when a replay failed again."""
        return self.header(h.DLQ_REPLAY_OF)

    @property
    def key_text(self) -> str:
        return "" if self.key is None else self.key.decode("utf-8", "replace")

    def original_headers(self) -> h.Headers:
        """The message's own headers, as it had them before it failed."""
        return [(name, value) for name, value in self.headers if not name.startswith(h.DLQ_PREFIX)]

    def replay_headers(self) -> h.Headers:
        """What a replay sends: the original headers and which dead letter it comes from."""
        return self.original_headers() + [(h.DLQ_REPLAY_OF, str(self.id).encode())]


@dataclass(frozen=True)
class ReplayNote:
    """`nahnetz dlq replay` sent dead letter `replayed` back, as record `to`."""

    id: RecordId
    replayed: RecordId
    to: str
    at: str

    @staticmethod
    def headers(replayed: RecordId, to: RecordId, at: datetime) -> h.Headers:
        return [(h.DLQ_REPLAYED, str(replayed).encode()), (h.DLQ_REPLAYED_TO, str(to).encode()),
                (h.DLQ_REPLAYED_AT, at.isoformat().encode())]


def read_dead_letter_record(record: Any) -> DeadLetter | ReplayNote | None:
    """A record of a dead-letter topic (aiokafka's ConsumerRecord or alike) as what it
    is; None for a record that is neither (not written by Nahnetz)."""
    where = RecordId(record.topic, record.partition, record.offset)
    headers: Sequence[tuple[str, bytes]] = h.as_list(record.headers)
    replayed = h.header(headers, h.DLQ_REPLAYED)
    if replayed is not None:
        try:
            return ReplayNote(where, RecordId.parse(replayed), h.header(headers, h.DLQ_REPLAYED_TO) or "",
                              h.header(headers, h.DLQ_REPLAYED_AT) or "")
        except ValueError:
            return None
    if h.header(headers, h.DLQ_REASON) is None:
        return None
    return DeadLetter(where, record.key, record.value, tuple(headers), getattr(record, "timestamp", None))
