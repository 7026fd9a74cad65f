"""Recording one answer in an order's saga, for both answer topics
(stock_decisions, compartment_decisions): once per answer event, and the
decision it completes, if any, published once."""

from __future__ import annotations

import logging
from typing import Callable

from redis.asyncio import Redis

from nahnetz.events import Event
from nahnetz.messaging.idempotency import Transaction
from nahnetz.messaging.outbox import Outbox
from nahnetz.messaging.producer import EventProducer

from .. import keys
from ..domain import saga
from .events_out import decision_event
from .store import load_saga, write_saga

log = logging.getLogger(__name__)


async def record_answer(event: Event, order_id: str, redis: Redis, producer: EventProducer, consumer: str,
                        record: Callable[[saga.SagaState], saga.Step]) -> list[Event]:
    """Apply `record` (a saga call) to the order's saga; publish its decision."""

    async def step(tx: Transaction) -> list[Event]:
        before = await load_saga(tx.read, order_id)
        after, decision = record(before)
        if after == before:
            log.info("order %s: %s changes nothing (late or repeated answer)", order_id, event.type,
                     extra={"order_id": order_id, "phase": before.phase.value})
            return []
        write_saga(tx, after)
        if decision is None:
            return []
        tx.write.zrem(keys.SAGA_DEADLINES, order_id)
        return [decision_event(order_id, decision, caused_by=event)]

    return await Outbox(redis, producer, consumer).decide(event.event_id, step,
                                                        read_ahead=[("GET", keys.saga(order_id))])
