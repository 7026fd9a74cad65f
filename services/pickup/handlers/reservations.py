"""pickup.reservation-requests: compartment decisions, made by the worker owning
the pick-up point's partition.

Reserving: once per order (outbox `pickup.reserve`, by order id), the point's
description and the day's occupancy are read, the domain decides, and
occupancy, the order's record and the decision event are committed in one
MULTI/EXEC (WATCH on what was read: a concurrent change makes it decide again
on fresh state); then the event is published. A redelivery publishes nothing,
unless the worker died between the commit and the publish: then the same
event (same id) goes out.

A reservation also says which compartments take each shop's part of the order
(`parts`), each held on its own day: the delivery day, until a part is moved.

Moving a part's hold: once per part and new day (`pickup.move_hold`), on
OrderDeliveryMoved (the hub moved that shop's shipment). The part's compartments
are held on the new day (others of their class and size where they are taken
that day) and freed on the old day unless another part of the order needs them
there; the compartments of parts due earlier are held on the new day too, since
their goods wait there until the order is whole. CompartmentHoldMoved says what
moved where.

Releasing: once per order (`pickup.release`), on OrderRejected, OrderCancelled,
OrderExpired (through the point's partition) or ParcelCollected, ParcelExpired
(from pickup.parcels), on every day the order holds something (one
CompartmentReleased per day). Releasing only deletes the day's entries that still
name this order, inside the same kind of atomic step, so it is safe from any
partition: a reservation racing with it sees its WATCH fire and decides again.
Releasing what was never reserved changes nothing and publishes nothing, but
marks the order released so a late OrderPlaced reserves nothing. The next
occasion (OrderExpired after ParcelExpired) finds the order released.

Rebuild: replay pickup.reservations (CompartmentReserved / Rejected / Released /
HoldMoved) in time order with `project_decision` (see `services/pickup/rebuild.py`).
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
    CompartmentHoldMoved, CompartmentRejected, CompartmentReleased, CompartmentReserved, OrderDeliveryMoved, OrderPart,
    OrderPlaced, PickupAlternative,
)

from .. import keys
from ..domain.alternatives import (
    ABOUT_ROOM, NEARBY_CANDIDATES, SEARCH_RADIUS_KM, Alternative, Nearby, alternatives, later_days,
)
from ..domain.allocation import (
    REJECTED, RELEASE_REASONS, RELEASED, RESERVED, InvalidGoods, Reserved, check_goods, decide_compartments,
    held_by, move_hold,
)
from ..domain.deposit import PartHold, Reservation, parts_record
from ..domain.points import PickupPoint

log = logging.getLogger(__name__)

PRODUCER = "pickup-worker"
# Outbox consumer of hold moves: once per order, part and new day.
MOVE_HOLD = "pickup.move_hold"


async def handle_reservation_request(event: Event, redis: Redis, producer: EventProducer) -> Event | None:
    """The agent on pickup.reservation-requests: reserve for a placement, release otherwise."""
    if isinstance(event, OrderPlaced):
        return await decide_reservation(event, redis, producer)
    if isinstance(event, OrderDeliveryMoved):
        return await move_part_hold(event, redis, producer)
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
                "compartment_ids": json.dumps(list(decision.compartment_ids)),
                **_parts_fields(decision.parts, day.isoformat())})
            return [new_event(CompartmentReserved, compartment_ids=list(decision.compartment_ids),
                              parts=[OrderPart(shop_id=shop, compartment_ids=list(ids))
                                     for shop, ids in decision.parts.items()], **common)]
        instead = await find_alternatives(redis, event, point, decision.reason)
        tx.write.hset(order_key, mapping={"status": REJECTED, "pickup_point_id": point_id,
                                          "delivery_day": day.isoformat(), "reason": decision.reason})
        return [new_event(CompartmentRejected, reason=decision.reason,
                          temperature_class=decision.temperature_class, alternatives=[
                              PickupAlternative(pickup_point_id=a.pickup_point_id, delivery_day=a.delivery_day,
                                                distance_m=a.distance_m) for a in instead], **common)]

    published = await Outbox(redis, producer, keys.RESERVE).decide(
        order_id, reserve, read_ahead=[("GET", point_key), ("HGET", order_key, "status"), ("HGETALL", day_key)])
    return published[0] if published else None


async def find_alternatives(redis: Redis, event: OrderPlaced, point: PickupPoint | None,
                            reason: str) -> list[Alternative]:
    """Where and when the order's goods would fit instead, from the points near the
    chosen one and its own later days, read in one round trip. Advice only: nothing
    is watched or held (taking one places a new order that is decided afresh)."""
    if point is None or reason not in ABOUT_ROOM:
        return []
    found = await redis.geosearch(keys.GEO, longitude=point.lon, latitude=point.lat, radius=SEARCH_RADIUS_KM,
                                  unit="km", sort="ASC", count=NEARBY_CANDIDATES, withdist=True)
    others = [(member, float(km)) for member, km in found if member != point.pickup_point_id]
    days = later_days(event.delivery_day)
    async with redis.pipeline(transaction=False) as pipe:
        for member, _ in others:
            pipe.get(keys.point(member))
            pipe.hgetall(keys.day(member, event.delivery_day))
        for later in days:
            pipe.hgetall(keys.day(point.pickup_point_id, later))
        answers = await pipe.execute()
    nearby = [Nearby(PickupPoint.from_json(json.loads(raw)), km * 1000, occupied)
              for (_, km), raw, occupied in zip(others, answers[0:2 * len(others):2], answers[1:2 * len(others):2])
              if raw is not None]
    later = list(zip(days, answers[2 * len(others):]))
    return alternatives(event.lines, event.delivery_day, point, reason, nearby, later)


def _parts_fields(parts: dict[str, tuple[str, ...]], day: str) -> dict[str, str]:
    """The order record's per-part holds, all on the delivery day (none when the goods name no shop)."""
    holds = {shop: PartHold(day, ids) for shop, ids in parts.items() if shop}
    return {"parts": parts_record(holds)["parts"]} if holds else {}


async def move_part_hold(event: OrderDeliveryMoved, redis: Redis, producer: EventProducer) -> Event | None:
    """CompartmentHoldMoved: the part's compartments held on its new day instead of the old
    one, once per part and day; None when the order holds nothing (rejected, released) or
    the part is on that day already."""
    order_id, shop_id, to_day = event.order_id, event.shop_id, event.to_day.isoformat()
    order_key = keys.order(order_id)

    async def move(tx: Transaction) -> list[Event]:
        reservation = Reservation.from_record(order_id, await tx.read.hgetall(order_key))
        if reservation.status != RESERVED or not reservation.pickup_point_id:
            return []  # nothing held: nothing to move
        point_id, part = reservation.pickup_point_id, reservation.part(shop_id)
        if part.day == to_day:
            return []
        old_key, new_key, point_key = keys.day(point_id, part.day), keys.day(point_id, to_day), keys.point(point_id)
        await tx.watch(old_key, new_key, point_key)
        raw_point = await tx.read.get(point_key)
        compartments = PickupPoint.from_json(json.loads(raw_point)).compartments if raw_point else ()
        others = [c for shop, hold in reservation.parts.items() if shop != shop_id and hold.day == part.day
                  for c in hold.compartment_ids]
        on_new_day = await tx.read.hgetall(new_key)
        moved = move_hold(compartments, part.compartment_ids, others, on_new_day, order_id)
        freed = [c for c in moved.released if c in held_by(await tx.read.hgetall(old_key), order_id)]
        # Parts due earlier wait in their compartments until the order is whole: hold those that day too.
        earlier = dict.fromkeys(c for shop, hold in reservation.parts.items() if shop != shop_id
                                and hold.day < to_day for c in hold.compartment_ids if c not in moved.compartment_ids)
        waiting = [c for c in earlier if on_new_day.get(c) in (None, order_id)]
        if freed:
            tx.write.hdel(old_key, *freed)
        if moved.compartment_ids or waiting:
            tx.write.hset(new_key, mapping={c: order_id for c in [*moved.compartment_ids, *waiting]})
        tx.write.sadd(keys.days(point_id), to_day)
        holds = dict(reservation.parts) if reservation.parts else {shop_id: part}
        holds[shop_id] = PartHold(to_day, moved.compartment_ids)
        tx.write.hset(order_key, mapping=parts_record(holds))
        if moved.missing or len(waiting) < len(earlier):
            log.warning("order %s: no room on %s for the part of %s in place of %s, or for goods waiting in %s: "
                        "an operator must find room", order_id, to_day, shop_id, ", ".join(moved.missing),
                        ", ".join(c for c in earlier if c not in waiting), extra={"order_id": order_id})
        return [new_event(CompartmentHoldMoved, producer=PRODUCER, caused_by=event, order_id=order_id,
                          pickup_point_id=point_id, shop_id=shop_id, from_day=date.fromisoformat(part.day),
                          to_day=event.to_day, released_compartment_ids=freed,
                          compartment_ids=list(moved.compartment_ids), waiting_compartment_ids=waiting)]

    published = await Outbox(redis, producer, MOVE_HOLD).decide(f"{order_id}:{shop_id}:{to_day}", move,
                                                                 watch=[order_key])
    return published[0] if published else None


async def release_compartments(order_id: str, reason: str, caused_by: Event, redis: Redis,
                               producer: EventProducer) -> Event | None:
    """CompartmentReleased for what the order holds (one per day it holds something), once
    per order; the first published now, None if it held nothing (or the release went out before)."""
    order_key = keys.order(order_id)

    async def release(tx: Transaction) -> list[Event]:
        order = await tx.read.hgetall(order_key)
        status = order.get("status")
        if status in (REJECTED, RELEASED):
            return []
        if status != RESERVED:
            tx.write.hset(order_key, mapping={"status": RELEASED, "release_reason": reason})
            return []
        point_id = order["pickup_point_id"]
        days = list(Reservation.from_record(order_id, order).held_on())
        if days:
            await tx.watch(*(keys.day(point_id, day) for day in days))
        held_on = {day: held_by(await tx.read.hgetall(keys.day(point_id, day)), order_id) for day in days}
        released = []
        for day, held in held_on.items():  # every read before the first write
            if held:
                tx.write.hdel(keys.day(point_id, day), *held)
            released.append(new_event(CompartmentReleased, producer=PRODUCER, caused_by=caused_by, order_id=order_id,
                                      pickup_point_id=point_id, delivery_day=date.fromisoformat(day),
                                      compartment_ids=held, reason=reason))
        tx.write.hset(order_key, mapping={"status": RELEASED, "release_reason": reason})
        # A part moved away from a day holds nothing there any more: say nothing of that day.
        return [e for e in released if e.compartment_ids] or released[:1]

    published = await Outbox(redis, producer, keys.RELEASE).decide(order_id, release,
                                                                   read_ahead=[("HGETALL", order_key)])
    return published[0] if published else None


async def project_decision(event: CompartmentReserved | CompartmentRejected | CompartmentReleased
                           | CompartmentHoldMoved, redis: Redis) -> None:
    """Apply a decision event as it was made, with its processed marker (empty: it
    went out): a rebuild from pickup.reservations (the decisions are the truth, not
    a new allocation)."""
    if isinstance(event, CompartmentHoldMoved):
        return await _project_move(event, redis)
    order_id, point_id = event.order_id, event.pickup_point_id
    day = event.delivery_day.isoformat()
    order_key, day_key = keys.order(order_id), keys.day(point_id, day)
    async with redis.pipeline(transaction=True) as pipe:
        match event:
            case CompartmentReserved():
                pipe.hset(day_key, mapping={c: order_id for c in event.compartment_ids})
                pipe.sadd(keys.days(point_id), day)
                pipe.hset(order_key, mapping={
                    "status": RESERVED, "pickup_point_id": point_id, "delivery_day": day,
                    "compartment_ids": json.dumps(list(event.compartment_ids)),
                    **_parts_fields({p.shop_id: tuple(p.compartment_ids) for p in event.parts}, day)})
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


async def _project_move(event: CompartmentHoldMoved, redis: Redis) -> None:
    """A hold move as it was made (a rebuild): the old day's freed entries, the new day's
    held ones, the part's hold, and the move's marker."""
    order_id, point_id = event.order_id, event.pickup_point_id
    order_key = keys.order(order_id)
    old_key, new_key = keys.day(point_id, event.from_day), keys.day(point_id, event.to_day)
    reservation = Reservation.from_record(order_id, await redis.hgetall(order_key))
    held = held_by(await redis.hgetall(old_key), order_id)
    holds = dict(reservation.parts) if reservation.parts else {event.shop_id: reservation.part(event.shop_id)}
    holds[event.shop_id] = PartHold(event.to_day.isoformat(), tuple(event.compartment_ids))
    marker = ProcessedMarkers(redis, MOVE_HOLD)
    async with redis.pipeline(transaction=True) as pipe:
        freed = [c for c in event.released_compartment_ids if c in held]
        if freed:
            pipe.hdel(old_key, *freed)
        held_then = [*event.compartment_ids, *event.waiting_compartment_ids]
        if held_then:
            pipe.hset(new_key, mapping={c: order_id for c in held_then})
        pipe.sadd(keys.days(point_id), event.to_day.isoformat())
        pipe.hset(order_key, mapping=parts_record(holds))
        pipe.set(marker.key(f"{order_id}:{event.shop_id}:{event.to_day.isoformat()}"), "", px=marker.ttl_ms)
        await pipe.execute()
