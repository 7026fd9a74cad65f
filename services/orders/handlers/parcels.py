"""pickup.parcels: a parcel deposited, collected or expired becomes the order's
OrderReadyForPickup, OrderCollected or OrderExpired, once each."""

from __future__ import annotations

import logging

from redis.asyncio import Redis

from nahnetz.events import Event
from nahnetz.messaging.idempotency import Transaction
from nahnetz.messaging.outbox import Outbox
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import ParcelCollected, ParcelDeposited, ParcelExpired, PickupCodeLocked, PickupCodeReissued

from .. import keys
from ..domain.parcels import ParcelProgress, next_order_event
from .events_out import parcel_order_event
from .store import dumps, load_view, loads

log = logging.getLogger(__name__)

ParcelEvent = ParcelDeposited | ParcelCollected | ParcelExpired | PickupCodeLocked | PickupCodeReissued


async def apply_parcel_event(event: ParcelEvent, redis: Redis, producer: EventProducer) -> list[Event]:
    if isinstance(event, (PickupCodeLocked, PickupCodeReissued)):
        # The pickup service alerts the operators and sends the new code; the order's status stays.
        log.info("order %s: %s", event.order_id, event.type, extra={"order_id": event.order_id})
        return []
    order_id = event.order_id
    parcel_key = keys.parcel(order_id)

    async def step(tx: Transaction) -> list[Event]:
        data = loads(await tx.read.get(parcel_key))
        progress = ParcelProgress() if data is None else ParcelProgress.from_dict(data)
        order = await load_view(tx.read, order_id)
        after, order_event = next_order_event(progress, type(event))
        if order_event is None:
            log.info("order %s: %s changes nothing", order_id, event.type, extra={"order_id": order_id})
            return []
        tx.write.set(parcel_key, dumps(after.to_dict()))
        return [parcel_order_event(order_event, event, order)]

    return await Outbox(redis, producer, keys.PARCELS).decide(
        event.event_id, step, read_ahead=[("GET", parcel_key), ("GET", keys.order(order_id))])
