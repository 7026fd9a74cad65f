"""pickup.reservation-requests: compartment decisions, made by the worker owning
the pick-up point's partition.

Reserving: once per order (outbox `pickup.reserve`, by order id), the point's
description and the day's occupancy are read, the domain decides, and
occupancy, the order's record and the decision event are committed in one
MULTI/EXEC (WATCH on what was read: a concurrent change makes it decide again
on fresh state); then the event is published. A redelivery publishes nothing,
unless the worker died between the commit and the publish: then the same
event (same id) goes out.

Releasing: once per order (`pickup.release`), on OrderRejected, OrderCancelled,
OrderExpired (through the point's partition) or ParcelCollected, ParcelExpired
(from pickup.parcels). Releasing only deletes the day's entries that still name
this order, inside the same kind of atomic step, so it is safe from any
partition: a reservation racing with it sees its WATCH fire and decides again.
Releasing what was never reserved changes nothing and publishes nothing, but
marks the order released so a late OrderPlaced reserves nothing. The next
occasion (OrderExpired after ParcelExpired) finds the order released.

Rebuild: replay pickup.reservations (CompartmentReserved / Rejected / Released)
in time order with `project_decision` (see `services/pickup/rebuild.py`).
"""

from __future__ import annotations

import json
import logging
from datetime import date

from redis.asyncio import Redis

from nahnetz.events import Event, new_event
from nahnetz.messaging.handling import InvalidEvent
from nahnetz.messaging.idempotency import ProcessedMarkers, Transaction
from nahnetz.messaging.outbox import Outbox
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import (
    CompartmentRejected, CompartmentReleased, CompartmentReserved, OrderPlaced,
)

from .. import keys
from ..domain.allocation import (
    REJECTED, RELEASE_REASONS, RELEASED, RESERVED, InvalidGoods, Reserved, check_goods, decide_compartments,
    held_by,
)
from ..domain.points import PickupPoint

log = logging.getLogger(__name__)

PRODUCER = "pickup-worker"


async def handle_reservation_request(event: Event, redis: Redis, producer: EventProducer) -> Event | None:
    """The agent on pickup.reservation-requests: reserve for a placement, release otherwise."""
    if isinstance(event, OrderPlaced):
        return await decide_reservation(event, redis, producer)
    reason = RELEASE_REASONS.get(event.type)
    if reason is None:
        raise InvalidEvent(f"{event.type} is no reservation request")
    return await release_compartments(event.order_id, reason, event, redis, producer)


async def decide_reservation(event: OrderPlaced, redis: Redis, producer: EventProducer) -> Event | None:
    """CompartmentReserved or CompartmentRejected for an OrderPlaced, once per order;
    the event published now (None when it went out before)."""
    order_id, point_id, day = event.order_id, event.pickup_point_id, event.delivery_day
    try:
        check_goods(event.lines)
    except InvalidGoods as exc:
        raise InvalidEvent(f"order {order_id}: {exc}") from None
    point_key, day_key, order_key = keys.point(point_id), keys.day(point_id, day), keys.order(order_id)

    async def reserve(tx: Transaction) -> list[Event]:
        raw_point = await tx.read.get(point_key)
        status = await tx.read.hget(order_key, "status")
        occupancy = await tx.read.hgetall(day_key)
        if status == RELEASED:
            return []  # the order ended before its placement reached us
        point = None if raw_point is None else PickupPoint.from_json(json.loads(raw_point))
        decision = decide_compartments(point, occupancy.keys(), event.lines, day)
        common = dict(producer=PRODUCER, caused_by=event, order_id=order_id, pickup_point_id=point_id,
                      delivery_day=day)
        if isinstance(decision, Reserved):
            tx.write.hset(day_key, mapping={c: order_id for c in decision.compartment_ids})
            tx.write.sadd(keys.days(point_id), day.isoformat())
            tx.write.hset(order_key, mapping={
                "status": RESERVED, "pickup_point_id": point_id, "delivery_day": day.isoformat(),
                "compartment_ids": json.dumps(list(decision.compartment_ids))})
            return [new_event(CompartmentReserved, compartment_ids=list(decision.compartment_ids), **common)]
        tx.write.hset(order_key, mapping={"status": REJECTED, "pickup_point_id": point_id,
                                          "delivery_day": day.isoformat(), "reason": decision.reason})
        return [new_event(CompartmentRejected, reason=decision.reason,
                          temperature_class=decision.temperature_class, **common)]

    published = await Outbox(redis, producer, keys.RESERVE).decide(
        order_id, reserve, watch=[point_key, day_key, order_key])
    return published[0] if published else None


async def release_compartments(order_id: str, reason: str, caused_by: Event, redis: Redis,
                               producer: EventProducer) -> Event | None:
    """CompartmentReleased for what the order holds, once per order; None if it held
    nothing (or the release went out before)."""
    order_key = keys.order(order_id)

    async def release(tx: Transaction) -> list[Event]:
        order = await tx.read.hgetall(order_key)
        status = order.get("status")
        if status in (REJECTED, RELEASED):
            return []
        if status != RESERVED:
            tx.write.hset(order_key, mapping={"status": RELEASED, "release_reason": reason})
            return []
        point_id, day = order["pickup_point_id"], order["delivery_day"]
        day_key = keys.day(point_id, day)
        await tx.watch(day_key)
        held = held_by(await tx.read.hgetall(day_key), order_id)
        if held:
            tx.write.hdel(day_key, *held)
        tx.write.hset(order_key, mapping={"status": RELEASED, "release_reason": reason})
        return [new_event(CompartmentReleased, producer=PRODUCER, caused_by=caused_by, order_id=order_id,
                          pickup_point_id=point_id, delivery_day=date.fromisoformat(day),
                          compartment_ids=held, reason=reason)]

    published = await Outbox(redis, producer, keys.RELEASE).decide(order_id, release, watch=[order_key])
    return published[0] if published else None


async def project_decision(event: CompartmentReserved | CompartmentRejected | CompartmentReleased,
                           redis: Redis) -> None:
    """Apply a decision event as it was made, with its processed marker (empty: it
    went out): a rebuild from pickup.reservations (the decisions are the truth, not
    a new allocation)."""
    order_id, point_id = event.order_id, event.pickup_point_id
    day = event.delivery_day.isoformat()
    order_key, day_key = keys.order(order_id), keys.day(point_id, day)
    async with redis.pipeline(transaction=True) as pipe:
        match event:
            case CompartmentReserved():
                pipe.hset(day_key, mapping={c: order_id for c in event.compartment_ids})
                pipe.sadd(keys.days(point_id), day)
                pipe.hset(order_key, mapping={"status": RESERVED, "pickup_point_id": point_id, "delivery_day": day,
                                              "compartment_ids": json.dumps(list(event.compartment_ids))})
                marker = ProcessedMarkers(redis, keys.RESERVE)
            case CompartmentRejected():
                pipe.hset(order_key, mapping={"status": REJECTED, "pickup_point_id": point_id,
                                              "delivery_day": day, "reason": event.reason})
                marker = ProcessedMarkers(redis, keys.RESERVE)
            case CompartmentReleased():
                held = held_by(await redis.hgetall(day_key), order_id)
                if held:
                    pipe.hdel(day_key, *held)
                pipe.hset(order_key, mapping={"status": RELEASED, "release_reason": event.reason})
                marker = ProcessedMarkers(redis, keys.RELEASE)
        pipe.set(marker.key(order_id), "", px=marker.ttl_ms)
        await pipe.execute()
