"""The saga's deadline: orders whose answers are not all in by then are rejected
(TIMEOUT), once, by the worker's timer. Safe on several workers at once: the saga
step is atomic per order (marker keyed by the order id)."""

from __future__ import annotations

import logging
import time
from typing import Callable, Mapping

from redis.asyncio import Redis

from nahnetz.events import Event
from nahnetz.messaging.idempotency import Transaction
from nahnetz.messaging.outbox import Outbox
from nahnetz.messaging.producer import EventProducer
from nahnetz.messaging.progress import Partition

from .. import keys
from ..domain import saga
from ..domain.timeout_gate import horizon
from .events_out import EventRef, decision_event
from .store import load_saga, write_saga

log = logging.getLogger(__name__)

Clock = Callable[[], float]  # epoch seconds


class _NothingToDecide(Exception):
    """Leaves a timeout step without writing its marker: there may be a deadline later."""


async def reject_overdue_orders(redis: Redis, producer: EventProducer, *, clock: Clock = time.time,
                                batch: int = 100, watermarks: Mapping[Partition, int] | None = None) -> list[Event]:
    """Reject every awaiting order whose deadline has passed (TIMEOUT), once: passed on
    the clock and, with `watermarks` (this instance's answer partitions, record time
    handled up to, ms), behind every instance's answer partitions too."""
    now = clock()
    if watermarks is not None:
        now = await _horizon(redis, watermarks, now)
    due = await redis.zrangebyscore(keys.SAGA_DEADLINES, "-inf", now, start=0, num=batch)
    published: list[Event] = []
    for order_id in due:
        published += await _time_out(order_id, redis, producer, now)
    return published


async def _horizon(redis: Redis, mine: Mapping[Partition, int], now: float) -> float:
    """Share this instance's watermarks; the horizon over all instances' (each partition
    has one holder, who keeps its entry current)."""
    if mine:
        await redis.hset(keys.ANSWER_WATERMARKS,
                         mapping={f"{topic}:{partition}": mark for (topic, partition), mark in mine.items()})
    return horizon(now, (int(mark) for mark in await redis.hvals(keys.ANSWER_WATERMARKS)))


async def _time_out(order_id: str, redis: Redis, producer: EventProducer, now: float) -> list[Event]:
    async def step(tx: Transaction) -> list[Event]:
        state = await load_saga(tx.read, order_id)
        after, decision = saga.time_out(state, now)
        if decision is None or state.placement is None:
            raise _NothingToDecide
        write_saga(tx, after)
        cause = EventRef(state.placement.placed_event_id, state.placement.correlation_id)
        return [decision_event(order_id, decision, caused_by=cause)]

    try:
        events = await Outbox(redis, producer, keys.SAGA_TIMEOUT).decide(order_id, step, watch=[keys.saga(order_id)])
    except _NothingToDecide:
        # Decided meanwhile (or its state is gone): the deadline is moot.
        await redis.zrem(keys.SAGA_DEADLINES, order_id)
        return []
    # Only now: had we died before the publish, the next scan would publish it.
    await redis.zrem(keys.SAGA_DEADLINES, order_id)
    if events:
        log.info("order %s rejected: no complete answer in time", order_id, extra={"order_id": order_id})
    return events
