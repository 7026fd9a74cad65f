"""Compartment decisions, made by the worker owning the pick-up point's partition.

Reserving: once per order (processed marker `pickup.reserve:<order_id>`), the
point's description and the day's occupancy are read, the domain allocates,
and occupancy, the order's record and the marker change in one MULTI/EXEC
(WATCH on what was read: a concurrent change makes it decide again on fresh
state). The decision event is remembered with the marker and published again
unchanged on a redelivery.

Releasing: once per order (`pickup.release:<order_id>`), on OrderRejected,
OrderCancelled, OrderExpired (through the point's partition) or ParcelCollected,
ParcelExpired (from pickup.parcels). Releasing only deletes the day's entries
that still name this order, inside the same kind of atomic step, so it is safe
from any partition: a reservation racing with it sees its WATCH fire and decides
again. Releasing what was never reserved changes nothing and publishes nothing,
but marks the order released so a late OrderPlaced reserves nothing. The release
event is published again only for a redelivery of the event that caused it
(a crash between Redis and Kafka), not for the next occasion (OrderExpired after
ParcelExpired), which finds nothing left to release.

Rebuild: replay pickup.reservations (CompartmentReserved / Rejected / Released)
in time order with `project_decision` (see `services/pickup/rebuild.py`).
"""

from __future__ import annotations

import json
import logging
from datetime import date

from redis.asyncio import Redis

from nahnetz.events import Event, new_event, read_event
from nahnetz.messaging.handling import InvalidEvent
from nahnetz.messaging.idempotency import ProcessedMarkers, Transaction
from nahnetz.messaging.producer import EventProducer
from nahnetz.topics import PICKUP_RESERVATIONS

from .. import keys
from ..domain.allocation import Goods, InvalidGoods, Rejected, Reserved, allocate, check_goods, held_by
from ..domain.points import PickupPoint
from .publishing import publish_encoded

log = logging.getLogger(__name__)

PRODUCER = "pickup-worker"
RESERVE = "pickup.reserve"
RELEASE = "pickup.release"

RESERVED = "reserved"
REJECTED = "rejected"
RELEASED = "released"

RELEASE_REASONS = {
    "OrderRejected": "ORDER_REJECTED",
    "OrderCancelled": "CANCELLED",
    "OrderExpired": "EXPIRED",
    "ParcelCollected": "COLLECTED",
    "ParcelExpired": "EXPIRED",
}


def goods_of(event: Event) -> list[Goods]:
    goods = [Goods(line["temperature_class"], line["volume_ml"], line["quantity"]) for line in event.lines]
    try:
        check_goods(goods)
    except InvalidGoods as exc:
        raise InvalidEvent(f"order {event.order_id}: {exc}") from None
    return goods


async def decide_reservation(event: Event, redis: Redis, producer: EventProducer) -> Event | None:
    """CompartmentReserved or CompartmentRejected for an OrderPlaced, once per order."""
    order_id, point_id, day = event.order_id, event.pickup_point_id, event.delivery_day
    goods = goods_of(event)
    point_key, day_key, order_key = keys.point(point_id), keys.day(point_id, day), keys.order(order_id)

    async def reserve(tx: Transaction) -> bytes | None:
        raw_point = await tx.read.get(point_key)
        status = keys.text(await tx.read.hget(order_key, "status"))
        occupancy = keys.texts(await tx.read.hgetall(day_key))
        if status == RELEASED:
            return None  # the order ended before its placement reached us
        decision = _allocate(raw_point, occupancy, goods, day)
        common = dict(producer=PRODUCER, caused_by=event, order_id=order_id, pickup_point_id=point_id,
                      delivery_day=day)
        if isinstance(decision, Reserved):
            tx.write.hset(day_key, mapping={c: order_id for c in decision.compartment_ids})
            tx.write.sadd(keys.days(point_id), day.isoformat())
            tx.write.hset(order_key, mapping={
                "status": RESERVED, "pickup_point_id": point_id, "delivery_day": day.isoformat(),
                "compartment_ids": json.dumps(list(decision.compartment_ids))})
            return new_event("CompartmentReserved", compartment_ids=list(decision.compartment_ids),
                             **common).encode()
        tx.write.hset(order_key, mapping={"status": REJECTED, "pickup_point_id": point_id,
                                          "delivery_day": day.isoformat(), "reason": decision.reason})
        return new_event("CompartmentRejected", reason=decision.reason,
                         temperature_class=decision.temperature_class, **common).encode()

    outcome = await ProcessedMarkers(redis, RESERVE).apply(order_id, reserve, watch=[point_key, day_key, order_key])
    if not outcome.result:
        return None
    return await publish_encoded(producer, PICKUP_RESERVATIONS, outcome.result, key=order_id)


def _allocate(raw_point: bytes | str | None, occupancy: dict[str, str], goods: list[Goods],
              day: date) -> Reserved | Rejected:
    if raw_point is None:
        return Rejected("UNKNOWN_PICKUP_POINT")
    point = PickupPoint.from_json(json.loads(raw_point))
    if not point.in_service:
        return Rejected("OUT_OF_SERVICE")
    if not point.takes_orders_on(day):
        return Rejected("CLOSED_ON_DAY")
    return allocate(point.compartments, occupancy.keys(), goods)


async def release_compartments(order_id: str, reason: str, caused_by: Event, redis: Redis,
                               producer: EventProducer) -> Event | None:
    """CompartmentReleased for what the order holds, once per order; None if it held nothing."""
    order_key = keys.order(order_id)

    async def release(tx: Transaction) -> bytes | None:
        order = keys.texts(await tx.read.hgetall(order_key))
        status = order.get("status")
        if status in (REJECTED, RELEASED):
            return None
        if status != RESERVED:
            tx.write.hset(order_key, mapping={"status": RELEASED, "release_reason": reason})
            return None
        point_id, day = order["pickup_point_id"], order["delivery_day"]
        day_key = keys.day(point_id, day)
        await tx.watch(day_key)
        held = held_by(keys.texts(await tx.read.hgetall(day_key)), order_id)
        if held:
            tx.write.hdel(day_key, *held)
        tx.write.hset(order_key, mapping={"status": RELEASED, "release_reason": reason})
        return new_event("CompartmentReleased", producer=PRODUCER, caused_by=caused_by, order_id=order_id,
                         pickup_point_id=point_id, delivery_day=date.fromisoformat(day),
                         compartment_ids=held, reason=reason).encode()

    outcome = await ProcessedMarkers(redis, RELEASE).apply(order_id, release, watch=[order_key])
    if not outcome.result:
        return None
    if not outcome.applied and read_event(outcome.result).meta["causation_id"] != caused_by.event_id:
        return None  # released before, on another occasion; only a redelivery publishes it again
    return await publish_encoded(producer, PICKUP_RESERVATIONS, outcome.result, key=order_id)


async def handle_reservation_request(event: Event, redis: Redis, producer: EventProducer) -> Event | None:
    """The agent on pickup.reservation-requests: reserve for a placement, release otherwise."""
    if event.type == "OrderPlaced":
        return await decide_reservation(event, redis, producer)
    reason = RELEASE_REASONS.get(event.type)
    if reason is None:
        raise InvalidEvent(f"{event.type} is no reservation request")
    return await release_compartments(event.order_id, reason, event, redis, producer)


async def project_decision(event: Event, redis: Redis) -> None:
    """Apply a decision event as it was made, with its processed marker: a rebuild
    from pickup.reservations (the decisions are the truth, not a new allocation)."""
    order_id, point_id = event.order_id, event.pickup_point_id
    day = event.delivery_day.isoformat()
    order_key, day_key = keys.order(order_id), keys.day(point_id, day)
    async with redis.pipeline(transaction=True) as pipe:
        if event.type == "CompartmentReserved":
            pipe.hset(day_key, mapping={c: order_id for c in event.compartment_ids})
            pipe.sadd(keys.days(point_id), day)
            pipe.hset(order_key, mapping={"status": RESERVED, "pickup_point_id": point_id, "delivery_day": day,
                                          "compartment_ids": json.dumps(list(event.compartment_ids))})
            marker = ProcessedMarkers(redis, RESERVE)
        elif event.type == "CompartmentRejected":
            pipe.hset(order_key, mapping={"status": REJECTED, "pickup_point_id": point_id, "delivery_day": day,
                                          "reason": event.reason})
            marker = ProcessedMarkers(redis, RESERVE)
        else:
            held = held_by(keys.texts(await redis.hgetall(day_key)), order_id)
            if held:
                pipe.hdel(day_key, *held)
            pipe.hset(order_key, mapping={"status": RELEASED, "release_reason": event.reason})
            marker = ProcessedMarkers(redis, RELEASE)
        pipe.set(marker.key(order_id), event.encode(), px=marker.ttl_ms)
        await pipe.execute()
