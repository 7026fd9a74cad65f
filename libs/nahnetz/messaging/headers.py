"""Names of the Kafka headers Nahnetz writes, in one place.

Headers repeat what is inside the Avro body (type, ids) so that tools, dead
letter triage and log shippers can route and correlate without decoding.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

EVENT_TYPE = "event-type"
EVENT_ID = "event-id"
CORRELATION_ID = "correlation-id"

# Added to a dead letter, next to the original message's own headers.
DLQ_ERROR_TYPE = "dlq-error-type"
DLQ_ERROR_MESSAGE = "dlq-error-message"
DLQ_REASON = "dlq-reason"
DLQ_SOURCE_TOPIC = "dlq-source-topic"
DLQ_SOURCE_PARTITION = "dlq-source-partition"
DLQ_SOURCE_OFFSET = "dlq-source-offset"
DLQ_SERVICE = "dlq-service"
DLQ_CONSUMER = "dlq-consumer"
DLQ_ATTEMPTS = "dlq-attempts"
DLQ_FAILED_AT = "dlq-failed-at"
# Every header of ours on a dead letter starts so; a replay leaves them behind.
DLQ_PREFIX = "dlq-"

# On a record `nahnetz dlq replay` sent back to its topic: the dead letter it came from
# (copied onto the next dead letter, should the replay fail again).
DLQ_REPLAY_OF = "dlq-replay-of"
# On the note `nahnetz dlq replay` appends to a dead-letter topic (a record without a
# value): which dead letter was replayed, where to, and when.
DLQ_REPLAYED = "dlq-replayed"
DLQ_REPLAYED_TO = "dlq-replayed-to"
DLQ_REPLAYED_AT = "dlq-replayed-at"

Headers = list[tuple[str, bytes]]


def as_list(headers: Mapping[str, bytes] | Iterable[tuple[str, bytes]] | None) -> Headers:
    """Kafka headers as a list of (name, bytes); Faust hands out dicts or lists."""
    if headers is None:
        return []
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [(str(name), bytes(value) if value is not None else b"") for name, value in items]


def header(headers: Sequence[tuple[str, bytes]], name: str) -> str | None:
    """The first value of header `name` as text, or None."""
    for key, value in headers:
        if key == name:
            return value.decode("utf-8", "replace")
    return None
