"""The events a processed-marker step decided to publish.

A step returns its events packed into one value, which the marker remembers:
if the worker dies after the Redis step and before the publish, the redelivered
event finds the marker and publishes the same events (same event ids) again.
Once published, the marker's value is emptied, so later redeliveries and
replays publish nothing.
"""

from __future__ import annotations

import struct
from typing import Sequence

from nahnetz.events import Event, read_event
from nahnetz.messaging.idempotency import Outcome, ProcessedMarkers
from nahnetz.messaging.producer import EventProducer

_LENGTH = struct.Struct(">I")


def pack(events: Sequence[Event]) -> bytes | None:
    if not events:
        return None
    return b"".join(_LENGTH.pack(len(body)) + body for body in (e.encode() for e in events))


def unpack(packed: bytes | str | None) -> list[Event]:
    if not packed:
        return []
    data = packed.encode("latin-1") if isinstance(packed, str) else packed
    events, at = [], 0
    while at < len(data):
        (size,) = _LENGTH.unpack_from(data, at)
        at += _LENGTH.size
        events.append(read_event(data[at:at + size]))
        at += size
    return events


async def publish_outcome(markers: ProcessedMarkers, ref: str, outcome: Outcome,
                          producer: EventProducer) -> list[Event]:
    """Publish what the step decided (acknowledged), then mark it published."""
    events = unpack(outcome.result)
    for event in events:
        await producer.publish(event)
    if events:
        # XX: only if the marker is still there; KEEPTTL: it expires as it would have.
        await markers.redis.set(markers.key(ref), b"", xx=True, keepttl=True)
    return events
