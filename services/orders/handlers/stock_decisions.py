"""catalog.stock-reservations: each product's stock answer to an order, into its saga."""

from __future__ import annotations

from redis.asyncio import Redis

from nahnetz.events import Event
from nahnetz.messaging.handling import InvalidEvent
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import StockRejected, StockReleased, StockReserved, StockSold

from .. import keys
from ..domain import saga
from .answers import record_answer


async def apply_stock_decision(event: StockReserved | StockRejected | StockReleased | StockSold, redis: Redis,
                               producer: EventProducer) -> list[Event]:
    """StockReserved / StockRejected: one product's answer (StockReleased and StockSold are no answers)."""
    if isinstance(event, (StockReleased, StockSold)):
        return []
    if not event.lines:
        raise InvalidEvent(f"{event.type} for order {event.order_id} has no lines")
    answers = saga.stock_answers(event)
    return await record_answer(event, event.order_id, redis, producer, keys.STOCK_DECISIONS,
                               lambda state: saga.record_stock(state, answers))
