"""A message as it came off the broker, whichever client read it.

Handling and dead-lettering need the original bytes and where they came from
(topic, partition, offset), not Faust's or aiokafka's record types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import headers as h


@dataclass(frozen=True)
class Delivery:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: h.Headers = field(default_factory=list)
    timestamp_ms: int | None = None

    @classmethod
    def from_faust(cls, message: Any) -> "Delivery":
        """From a `faust.types.tuples.Message` (Faust keeps the raw key and value there)."""
        timestamp = getattr(message, "timestamp", None)
        # Faust gives seconds as float; Kafka's unit is milliseconds.
        return cls._read(message, int(timestamp * 1000) if timestamp is not None else None)

    @classmethod
    def from_record(cls, record: Any) -> "Delivery":
        """From an aiokafka `ConsumerRecord`."""
        return cls._read(record, record.timestamp)

    @classmethod
    def _read(cls, message: Any, timestamp_ms: int | None) -> "Delivery":
        # Both clients name the other fields alike; only the timestamp differs.
        return cls(topic=message.topic, partition=message.partition, offset=message.offset,
                   key=message.key, value=message.value, headers=h.as_list(message.headers),
                   timestamp_ms=timestamp_ms)

    @property
    def where(self) -> str:
        return f"{self.topic}[{self.partition}]@{self.offset}"
