"""Orders as the hub sees them (orders.orders): the lines of a placed order, the
confirmation that starts its shipments, and a cancellation that withdraws them.

OrderPlaced and OrderConfirmed of one order come through one partition in this
order, so the lines are stored before the confirmation asks for them; a
confirmation of an order never placed breaks that invariant (dead letter).

Rebuild: `hub:order:*`, `hub:order-state:*`, `hub:waiting:*` and `hub:cancelled:*`
come back by replaying orders.orders (with catalog.shops and pickup.points).
"""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta, timezone

from redis.asyncio import Redis

from nahnetz.clock import BERLIN, utc_now
from nahnetz.events import Event
from nahnetz.messaging.handling import InvalidEvent
from nahnetz.messaging.outbox import pack
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import OrderCancelled, OrderConfirmed, OrderPlaced

from .. import keys
from ..domain.opening_hours import local_day
from ..domain.shipments import CollectionRules, order_problems, shop_ids
from .requests import RequestOutcome, load_order, request_shipments

# Order state is kept for two weeks after the delivery day; older orders are history
# (a replay skips them) while their processed markers (30 days) still exist.
KEEP_AFTER_DELIVERY = timedelta(days=14)


async def on_order_event(event: Event, redis: Redis, producer: EventProducer,
                         rules: CollectionRules) -> RequestOutcome | None:
    if isinstance(event, OrderPlaced):
        await remember_placed_order(event, redis)
    elif isinstance(event, OrderConfirmed):
        return await confirm_order(event, redis, producer, rules)
    elif isinstance(event, OrderCancelled):
        await cancel_order(event, redis)
    return None  # rejected, ready, collected, expired: nothing for the hub to carry


async def remember_placed_order(event: OrderPlaced, redis: Redis) -> None:
    problems = order_problems(event)
    if problems:
        raise InvalidEvent(f"OrderPlaced {event.order_id}: {'; '.join(problems)}")
    if _long_past(event.delivery_day):
        return  # history being replayed: nothing will be carried any more
    await redis.set(keys.order(event.order_id), pack([event]), ex=_ttl_s(event.delivery_day))


async def confirm_order(event: OrderConfirmed, redis: Redis, producer: EventProducer,
                        rules: CollectionRules) -> RequestOutcome:
    if _long_past(event.delivery_day):
        return RequestOutcome(skipped="delivery day long past")
    order = await load_order(redis, event.order_id)
    if order is None:
        raise InvalidEvent(f"OrderConfirmed {event.order_id}: the order was never placed (no OrderPlaced before it)")
    # Goods of an order confirmed today can be collected from tomorrow on.
    earliest = local_day(event.meta.occurred_at) + timedelta(days=1)
    state_key = keys.order_state(order.order_id)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(state_key, mapping={
            "confirmed": "1", "compartment_ids": json.dumps(list(event.compartment_ids)),
            # Which compartments take each shop's part, so each shipment names only its own.
            "parts": json.dumps({part.shop_id: list(part.compartment_ids) for part in event.parts}),
            "pickup_point_id": event.pickup_point_id, "delivery_day": event.delivery_day.isoformat(),
            "earliest_collection_day": earliest.isoformat(), "correlation_id": event.correlation_id,
        })
        pipe.expire(state_key, _ttl_s(event.delivery_day))
        # Announce what the order needs before looking for it (see requests.py).
        for shop_id in shop_ids(order):
            pipe.sadd(keys.waiting_for_shop(shop_id), order.order_id)
        pipe.sadd(keys.waiting_for_point(event.pickup_point_id), order.order_id)
        await pipe.execute()
    outcome = await request_shipments(redis, producer, order.order_id, rules, caused_by=event)
    if outcome.unplannable:
        reasons = "; ".join(p.reason for p in outcome.unplannable)
        raise InvalidEvent(f"OrderConfirmed {order.order_id}: cannot schedule {len(outcome.unplannable)} "
                           f"shipment(s): {reasons}")
    return outcome


async def cancel_order(event: OrderCancelled, redis: Redis) -> None:
    """Withdraw the order's shipments: those not requested yet never will be, those
    requested but not collected leave planning (the read model shows WITHDRAWN)."""
    at = event.meta.occurred_at.isoformat()
    order = await load_order(redis, event.order_id)
    ttl_s = _ttl_s(order.delivery_day) if order else None
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(keys.order_state(event.order_id), mapping={"cancelled": "1", "cancelled_at": at})
        pipe.set(keys.cancelled(event.order_id), at)
        if ttl_s is not None:
            pipe.expire(keys.order_state(event.order_id), ttl_s)
        await pipe.execute()


def _long_past(delivery_day) -> bool:
    return _expiry(delivery_day) <= utc_now()


def _ttl_s(delivery_day) -> int:
    """Seconds until the order's keys may go, reckoned on the platform's clock, not
    Redis's: an absolute expiry would be judged by Redis's wall clock, and a simulated
    past day's keys would vanish as they are written (`nahnetz simulate`)."""
    return max(1, int((_expiry(delivery_day) - utc_now()).total_seconds()))


def _expiry(delivery_day) -> datetime:
    end = datetime.combine(delivery_day, time(0), tzinfo=BERLIN).astimezone(timezone.utc)
    return end + KEEP_AFTER_DELIVERY
