"""What every generated record shares (hand-written; the other modules here are generated).

A record converts itself from and to the dict fastavro reads and writes
(`from_avro`, `to_avro`). An event (a record starting with `meta`) also knows its
topic, its Kafka key and its single-object encoding.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, Callable, ClassVar, TypeVar

if TYPE_CHECKING:
    from ..avro.catalogue import Schema, SchemaCatalogue
    from ..topics import Topic
    from .common import EventMeta

T = TypeVar("T")
R = TypeVar("R")


class StrEnum(str, enum.Enum):
    """An Avro enum symbol: equal to its string, written as it."""

    def __str__(self) -> str:
        return self.value


def _optional(value: T | None, convert: Callable[[T], R]) -> R | None:
    return None if value is None else convert(value)


class Record:
    __slots__ = ()
    AVRO_NAME: ClassVar[str]

    @classmethod
    def from_avro(cls, r: dict[str, Any]) -> Any:  # pragma: no cover - generated per class
        raise NotImplementedError

    def to_avro(self) -> dict[str, Any]:  # pragma: no cover - generated per class
        raise NotImplementedError


class EventRecord(Record):
    """An event: a record whose first field is `meta` (nahnetz.common.EventMeta)."""

    # The event's encoding with the default catalogue, once known (written by
    # `new_event` or read by `read_event`): events are immutable, so it stays true,
    # and a record built or replaced by hand has none and is encoded anew.
    __slots__ = ("_encoded",)
    if TYPE_CHECKING:
        meta: EventMeta

    @property
    def type(self) -> str:
        return type(self).__name__

    @property
    def event_id(self) -> str:
        return self.meta.event_id

    @property
    def correlation_id(self) -> str:
        return self.meta.correlation_id

    @property
    def topic(self) -> "Topic":
        from ..topics import topic_for_event
        return topic_for_event(self.type)

    @property
    def key(self) -> str:
        """The Kafka key: the value of the field the topic registry names as the key."""
        return str(getattr(self, self.topic.key))

    @classmethod
    def schema(cls, catalogue: "SchemaCatalogue | None" = None) -> "Schema":
        from ..avro.catalogue import default_catalogue
        return (catalogue or default_catalogue()).get(cls.AVRO_NAME)

    def encode(self, catalogue: "SchemaCatalogue | None" = None) -> bytes:
        if catalogue is None:
            known = getattr(self, "_encoded", None)
            if known is not None:
                return known
        from ..avro import codec
        return codec.encode(self.schema(catalogue), self.to_avro())

    def remember_encoding(self, data: bytes) -> None:
        """Keep `data` as this event's encoding (it must be: see `new_event`, `read_event`)."""
        object.__setattr__(self, "_encoded", data)

    def as_dict(self) -> dict[str, Any]:
        """The event as the plain dict fastavro writes, with its type (for logs and JSON)."""
        return {"type": self.type, **self.to_avro()}
