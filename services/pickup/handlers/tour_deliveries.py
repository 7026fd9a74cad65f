"""Deliveries reported by drivers become deposits: a StopCompleted of kind
DELIVERED on logistics.tours deposits each of its orders' parcels into the
compartments reserved for them, exactly as the terminal's deposit does (a
code for the resident, only its hash kept)."""

from __future__ import annotations

import logging
from datetime import datetime

from redis.asyncio import Redis

from nahnetz.events import Actor, Event
from nahnetz.kit.errors import Conflict, NotFound, Unprocessable
from nahnetz.messaging.handling import InvalidEvent
from nahnetz.messaging.producer import EventProducer

from .. import keys
from ..settings import PickupSettings
from .parcels import deposit_parcel

log = logging.getLogger(__name__)


async def deposit_delivered_orders(event: Event, redis: Redis, producer: EventProducer,
                                   settings: PickupSettings, now: datetime) -> list[str]:
    """Deposit the parcels of a delivery stop; returns the orders deposited now.
    A redelivered stop finds its parcels deposited already and changes nothing."""
    if event.type != "StopCompleted" or event.kind != "DELIVERED":
        return []
    actor_record = event.meta.get("actor")
    actor = Actor(**actor_record) if actor_record else Actor(f"tour:{event.tour_id}", "DRIVER")
    deposited, refused = [], []
    for order_id in event.order_ids:
        if await redis.exists(keys.parcel(order_id)):
            continue  # deposited before (a redelivery, or another part of the order came first)
        try:
            await deposit_parcel(order_id=order_id, compartment_ids=None, tour_id=event.tour_id, actor=actor,
                                 deposited_by=actor.user_id, redis=redis, producer=producer,
                                 settings=settings, now=now)
        except (NotFound, Conflict, Unprocessable) as exc:
            if await redis.exists(keys.parcel(order_id)):
                continue  # two vans delivered parts of one order at once: the other one won
            refused.append(f"{order_id}: {exc}")
            continue  # the stop's other parcels still go in
        deposited.append(order_id)
    if deposited:
        log.info("deposited parcels delivered by tour %s", event.tour_id, extra={"order_ids": deposited})
    if refused:
        # No reservation, or compartments held by someone else: a person must look.
        raise InvalidEvent(f"tour {event.tour_id} stop {event.stop_index}: cannot deposit " + "; ".join(refused))
    return deposited
