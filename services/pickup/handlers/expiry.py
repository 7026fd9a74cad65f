"""The expiry job (worker timer, leader only): a deposited parcel past its
deadline expires, once.

Each due parcel is decided through the outbox (`pickup.expire`, by order id):
the status change and ParcelExpired are committed together, then the event is
published. The entry leaves the due index only after that, so a crash in
between finds it again on the next run, and the outbox publishes the same event
(same id) instead of deciding anew. Collected or vanished parcels just leave the
index; one whose deadline moved waits.
"""

from __future__ import annotations

import logging
from datetime import datetime

from redis.asyncio import Redis

from nahnetz.events import Event, new_event
from nahnetz.messaging.idempotency import Transaction
from nahnetz.messaging.outbox import Outbox
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import ParcelExpired

from .. import keys
from ..domain.collection import EXPIRED
from ..domain.expiry import ExpiryStep, expiry_step
from ..domain.parcels import compartments_of, from_ms, to_ms

log = logging.getLogger(__name__)

WORKER = "pickup-worker"


class _NotToExpire(Exception):
    """The parcel is not to expire now: leave the outbox without a marker."""

    def __init__(self, step: ExpiryStep):
        super().__init__(step.value)
        self.step = step


async def expire_due_parcels(redis: Redis, producer: EventProducer, now: datetime, limit: int = 100) -> list[str]:
    """Expire the parcels whose deadline passed; the order ids whose ParcelExpired went out."""
    due = await redis.zrangebyscore(keys.DUE, "-inf", to_ms(now), start=0, num=limit)
    return [order_id for order_id in due if await expire_parcel(order_id, redis, producer, now)]


async def expire_parcel(order_id: str, redis: Redis, producer: EventProducer, now: datetime) -> bool:
    """ParcelExpired once; True when it was published now."""
    key = keys.parcel(order_id)

    async def expire(tx: Transaction) -> list[Event]:
        parcel = await tx.read.hgetall(key)
        deadline = from_ms(parcel["expires_at_ms"]) if parcel.get("expires_at_ms") else None
        step = expiry_step(parcel.get("status"), deadline, now)
        if step is not ExpiryStep.EXPIRE:
            raise _NotToExpire(step)
        tx.write.hset(key, "status", EXPIRED)
        return [new_event(ParcelExpired, producer=WORKER, correlation_id=parcel.get("correlation_id"),
                          order_id=order_id, pickup_point_id=parcel["pickup_point_id"],
                          compartment_ids=compartments_of(parcel), expired_at=deadline)]

    try:
        published = await Outbox(redis, producer, keys.EXPIRE).decide(order_id, expire, watch=[key])
    except _NotToExpire as nothing:
        if nothing.step is ExpiryStep.DROP:
            await redis.zrem(keys.DUE, order_id)
        return False
    await redis.zrem(keys.DUE, order_id)
    for event in published:
        log.info("parcel expired", extra={"order_id": order_id, "event_id": event.event_id})
    return bool(published)
