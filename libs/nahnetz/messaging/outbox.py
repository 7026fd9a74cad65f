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
consumers dedupe by event id. Once published, a redelivery publishes nothing:
the marker is emptied, a few milliseconds later and together with the markers
of the decisions published beside it (`MarkerSweeper`: one Redis round trip for
a batch, not one per decision). A worker that dies within those milliseconds
leaves full markers behind: a redelivery then publishes those same events again,
which is the case above.
`publish_once(ref, *events)` is the same for a handler with no state of its own.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import struct
import weakref
from typing import Awaitable, Callable, Iterable, Sequence

from redis.asyncio import Redis

from ..events import Event, read_event
from .idempotency import ProcessedMarkers, ReadCommand, Transaction
from .producer import EventProducer

log = logging.getLogger(__name__)

_LENGTH = struct.Struct(">I")
# How long a published decision's marker waits to be emptied with others.
SWEEP_DELAY_S = 0.01

DecisionStep = Callable[[Transaction], Awaitable[Sequence[Event]]]


def pack(events: Sequence[Event]) -> str | None:
    """Events as one text value (Redis replies are decoded; see `nahnetz.kit.redis`)."""
    return pack_bodies([e.encode() for e in events])


def pack_bodies(bodies: Sequence[bytes]) -> str | None:
    if not bodies:
        return None
    raw = b"".join(_LENGTH.pack(len(body)) + body for body in bodies)
    return base64.b64encode(raw).decode("ascii")


def unpack(packed: bytes | str | None) -> list[Event]:
    return [read_event(body) for body in unpack_bodies(packed)]


def unpack_bodies(packed: bytes | str | None) -> list[bytes]:
    if not packed:
        return []
    data = base64.b64decode(packed)
    bodies, at = [], 0
    while at < len(data):
        (size,) = _LENGTH.unpack_from(data, at)
        at += _LENGTH.size
        bodies.append(data[at:at + size])
        at += size
    return bodies


class MarkerSweeper:
    """Empties the markers of published decisions in batches, one pipeline each
    (SET "" XX KEEPTTL: only a marker still there, expiring as it would have).
    One per Redis client (`of`): the Outbox of every handler in a worker shares it."""

    _of: "weakref.WeakKeyDictionary[Redis, MarkerSweeper]" = weakref.WeakKeyDictionary()

    def __init__(self, redis: Redis, delay_s: float = SWEEP_DELAY_S):
        self.redis = redis
        self.delay_s = delay_s
        self.pending: set[str] = set()   # published, not yet emptied
        # The sweeps under way (to wait for), each with the markers it empties: those
        # are still full until its pipeline returns.
        self._flights: dict[asyncio.Future[None], set[str]] = {}
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def of(cls, redis: Redis) -> "MarkerSweeper":
        found = cls._of.get(redis)
        if found is None:
            found = cls._of[redis] = cls(redis)
        return found

    def holds(self, marker: str) -> bool:
        """Published by this process, and perhaps not emptied yet."""
        return marker in self.pending or any(marker in emptying for emptying in self._flights.values())

    def published(self, marker: str) -> None:
        self.pending.add(marker)
        loop = asyncio.get_running_loop()
        # A sweep is under way, unless the last one ended or went with a loop that closed.
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._task = loop.create_task(self._sweep_soon())

    async def _sweep_soon(self) -> None:
        while self.pending:  # also those published while a sweep was under way
            await asyncio.sleep(self.delay_s)
            await self.sweep()

    async def sweep(self) -> None:
        """Empty every pending marker now, and wait for the sweeps under way (a caller
        that swept must find every marker published before its call emptied)."""
        loop = asyncio.get_running_loop()
        earlier = [f for f in self._flights if f.get_loop() is loop]
        markers, self.pending = self.pending, set()
        if markers:
            await self._empty(markers, loop)
        for flight in earlier:
            await flight

    async def _empty(self, markers: set[str], loop: asyncio.AbstractEventLoop) -> None:
        flight = loop.create_future()
        self._flights[flight] = markers  # a redelivery meanwhile must not read them as unpublished
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for marker in markers:
                    pipe.set(marker, "", xx=True, keepttl=True)
                await pipe.execute()
        except Exception as exc:  # Redis away: left full, a redelivery publishes the same events again
            log.warning("could not empty %d published markers: %s: %s", len(markers), type(exc).__name__, exc)
        finally:
            del self._flights[flight]
            flight.set_result(None)


class Outbox:
    def __init__(self, redis: Redis, producer: EventProducer, consumer: str):
        self.markers = ProcessedMarkers(redis, consumer)
        self.producer = producer
        self.sweeper = MarkerSweeper.of(redis)

    async def decide(self, ref: str, step: DecisionStep, *, watch: Iterable[str] = (),
                     read_ahead: Sequence[ReadCommand] = ()) -> list[Event]:
        """Run `step` once per `ref` (atomically with its writes), then publish what it
        decided. Returns the events published now (none on a later redelivery).
        `read_ahead`: the reads the step will make, sent with the marker's (see
        `ProcessedMarkers.apply`)."""
        decided: list[tuple[Event, bytes]] = []

        async def packed(tx: Transaction) -> str | None:
            # Each event is encoded once: the marker keeps these bytes and they are
            # what goes to the broker (a step re-run after a conflict replaces them).
            decided[:] = [(event, event.encode()) for event in await step(tx)]
            return pack_bodies([body for _, body in decided])

        # Asked before the marker is read too: a sweep may empty it, and let go of it,
        # between Redis answering the read and the answer arriving here.
        held = self.sweeper.holds(self.markers.key(ref))
        outcome = await self.markers.apply(ref, packed, watch=watch, read_ahead=read_ahead)
        if not outcome.applied:  # decided before: publish what the marker remembers, if anything
            if held or self.sweeper.holds(self.markers.key(ref)):
                return []  # published by this process, the marker not emptied yet when read
            decided[:] = [(read_event(body), body) for body in unpack_bodies(outcome.result)]
        return await self._publish(ref, decided)

    async def publish_once(self, ref: str, *events: Event) -> list[Event]:
        """Publish `events` the first time `ref` is seen (and again only if that publish
        did not finish)."""

        async def decided(tx: Transaction) -> Sequence[Event]:
            return events

        return await self.decide(ref, decided)

    async def _publish(self, ref: str, decided: list[tuple[Event, bytes]]) -> list[Event]:
        events = [event for event, _ in decided]
        if events:
            # Queued together, acknowledged together: one round trip, not one per event.
            await self.producer.publish_all(events, bodies=[body for _, body in decided])
            self.sweeper.published(self.markers.key(ref))
        return events
