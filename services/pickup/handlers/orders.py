"""orders.orders -> pickup.reservation-requests: each order event that reserves,
moves or frees compartments is copied, keyed by the order's pick-up point, so the
one worker owning that point's partition decides its compartments (consistency by
partitioning).

OrderPlaced names the point; the point, day, resident, the flow's correlation id
and the order's shops (its parts, each delivered on its own) are kept in
`pickup:order:<order_id>` so the later OrderRejected / OrderCancelled (which do
not name the point) reach the same partition, a deposit can tell the resident,
and a delivery knows whether the whole order is in. OrderDeliveryMoved (a part
comes on another day) moves that part's hold. Both events of one order come through one orders.orders partition
in order, so the record is there before the release is routed. A copy is no
decision: a redelivery copies again, and the decider's outbox ignores the repeat.
"""

from __future__ import annotations

import json
import logging

from redis.asyncio import Redis

from nahnetz.events import Event
from nahnetz.messaging.handling import InvalidEvent
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import OrderCancelled, OrderDeliveryMoved, OrderExpired, OrderPlaced, OrderRejected
from nahnetz.topics import PICKUP_RESERVATION_REQUESTS

from .. import keys

log = logging.getLogger(__name__)


async def route_order_event(event: Event, redis: Redis, producer: EventProducer) -> str | None:
    """The pick-up point the event was routed to, or None when it concerns no point of ours."""
    match event:
        case OrderPlaced():
            await remember_order(event, redis)
            point_id = event.pickup_point_id
        case OrderRejected() | OrderCancelled() | OrderExpired() | OrderDeliveryMoved():
            point_id = await redis.hget(keys.order(event.order_id), "pickup_point_id")
            if not point_id and isinstance(event, (OrderExpired, OrderDeliveryMoved)):
                point_id = event.pickup_point_id
            if not point_id:
                # An order we never saw placed holds nothing here.
                log.info("%s for an order without a pick-up point here: nothing to release", event.type,
                         extra={"order_id": event.order_id})
                return None
        case _:
            return None  # confirmations, collection... change nothing in compartments
    await producer.publish(event, to=PICKUP_RESERVATION_REQUESTS, key=point_id)
    return point_id


async def remember_order(placed: OrderPlaced, redis: Redis) -> None:
    """What later steps need of an OrderPlaced (also replayed by a rebuild)."""
    if not placed.pickup_point_id or not placed.order_id:
        raise InvalidEvent("OrderPlaced without an order id or pick-up point")
    await redis.hset(keys.order(placed.order_id), mapping={
        "pickup_point_id": placed.pickup_point_id, "delivery_day": placed.delivery_day.isoformat(),
        "resident_id": placed.resident_id, "correlation_id": placed.correlation_id,
        # One part per shop: the parcel is deposited once every part is in.
        "shops": json.dumps(list(dict.fromkeys(line.shop_id for line in placed.lines))),
    })
