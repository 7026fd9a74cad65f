"""Exactly once per decision: the one way a worker causes effects.

A handler's step reads state, decides (in the pure domain), queues its writes and
returns the events the decision causes. `Outbox.decide` commits the writes together
with a processed marker that remembers those events, then publishes them
(acknowledged) and empties the marker:

    outbox = Outbox(redis, producer, consumer="catalog.reserve_stock")

    async def reserve(tx: Transaction) -> list[Event]:
        available = int(await tx.read.hget(stock_key, "available") or 0)
        decision = stock.reserve(available, line.quantity)          # pure
        tx.write.hset(stock_key, "available", decision.available)
        return [decision_event(decision)]

    await outbox.decide(order_id, reserve, watch=[stock_key])

If the worker dies after the Redis step and before the publish, the redelivered
event finds the marker and publishes the same events (same event ids) again;
consumers dedupe by event id. Once published, a redelivery publishes nothing.
`publish_once(ref, *events)` is the same for a handler with no state of its own.
"""

from __future__ import annotations

import base64
import struct
from typing import Awaitable, Callable, Iterable, Sequence

from redis.asyncio import Redis

from ..events import Event, read_event
from .idempotency import ProcessedMarkers, Transaction
from .producer import EventProducer

_LENGTH = struct.Struct(">I")

DecisionStep = Callable[[Transaction], Awaitable[Sequence[Event]]]


def pack(events: Sequence[Event]) -> str | None:
    """Events as one text value (Redis replies are decoded; see `nahnetz.kit.redis`)."""
    if not events:
        return None
    raw = b"".join(_LENGTH.pack(len(body)) + body for body in (e.encode() for e in events))
    return base64.b64encode(raw).decode("ascii")


def unpack(packed: bytes | str | None) -> list[Event]:
    if not packed:
        return []
    data = base64.b64decode(packed)
    events, at = [], 0
    while at < len(data):
        (size,) = _LENGTH.unpack_from(data, at)
        at += _LENGTH.size
        events.append(read_event(data[at:at + size]))
        at += size
    return events


class Outbox:
    def __init__(self, redis: Redis, producer: EventProducer, consumer: str):
        self.markers = ProcessedMarkers(redis, consumer)
        self.producer = producer

    async def decide(self, ref: str, step: DecisionStep, *, watch: Iterable[str] = ()) -> list[Event]:
        """Run `step` once per `ref` (atomically with its writes), then publish what it
        decided. Returns the events published now (none on a later redelivery)."""

        async def packed(tx: Transaction) -> str | None:
            return pack(await step(tx))

        outcome = await self.markers.apply(ref, packed, watch=watch)
        return await self._publish(ref, unpack(outcome.result))

    async def publish_once(self, ref: str, *events: Event) -> list[Event]:
        """Publish `events` the first time `ref` is seen (and again only if that publish
        did not finish)."""

        async def decided(tx: Transaction) -> Sequence[Event]:
            return events

        return await self.decide(ref, decided)

    async def _publish(self, ref: str, events: list[Event]) -> list[Event]:
        for event in events:
            await self.producer.publish(event)
        if events:
            # XX: only if the marker is still there; KEEPTTL: it expires as it would have.
            await self.markers.redis.set(self.markers.key(ref), "", xx=True, keepttl=True)
        return events
