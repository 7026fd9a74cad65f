"""pickup.reservations: the pick-up point's compartment answer to an order, into its saga."""

from __future__ import annotations

from redis.asyncio import Redis

from nahnetz.events import Event
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import CompartmentHoldMoved, CompartmentRejected, CompartmentReleased, CompartmentReserved

from .. import keys
from ..domain import saga
from .answers import record_answer


async def apply_compartment_decision(event: CompartmentReserved | CompartmentRejected | CompartmentReleased
                                     | CompartmentHoldMoved, redis: Redis, producer: EventProducer) -> list[Event]:
    """CompartmentReserved / CompartmentRejected (a release or a moved hold is no answer)."""
    if isinstance(event, (CompartmentReleased, CompartmentHoldMoved)):
        return []
    answer = saga.compartment_answer(event)
    return await record_answer(event, event.order_id, redis, producer, keys.COMPARTMENT_DECISIONS,
                               lambda state: saga.record_compartment(state, answer))
