"""The API's commands: validate, publish the event (acknowledged), answer.

The API decides nothing that needs a partition's owner: placing publishes
OrderPlaced and the saga decides; cancelling publishes OrderCancelled once and
catalog and pickup release what they hold. A broker that does not answer is the
kit's one 503 (`nahnetz.kit.publishing.publish`): nothing was recorded, the
client may retry (with its Idempotency-Key).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from redis.asyncio import Redis
from redis.exceptions import RedisError

from nahnetz.events import Actor, new_event
from nahnetz.kit.errors import Conflict
from nahnetz.kit.publishing import publish
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import Channel, Money, OrderCancelled, OrderPlaced

from .. import keys
from ..domain.alternatives import Choice, replacement
from ..domain.booking import BookingRules
from ..domain.channels import Ordering
from ..domain.lifecycle import OrderView, placed_order
from ..domain.placement import OrderRequest, validate_order
from .store import dumps, load_point, load_products, load_shops

PRODUCER = "orders-api"
log = logging.getLogger(__name__)
# Long enough to answer a status request until the worker has projected the order.
SUBMITTED_TTL_S = 3600
CANCEL_CLAIM_TTL_S = 30 * 24 * 3600
# A replacement claim's value while its order is being placed.
PENDING = "pending"


async def place_order(request: OrderRequest, actor: Actor, redis: Redis, producer: EventProducer,
                      rules: BookingRules, now: datetime, replaces: str | None = None) -> OrderView:
    """Validate and price against the projections, publish OrderPlaced; return the
    order as accepted (status PLACED). `replaces`: the rejected order it is placed instead of."""
    products = await load_products(redis, (line.product_id for line in request.lines))
    point = await load_point(redis, request.pickup_point_id)
    shops = await load_shops(redis, (p.shop_id for p in products.values() if p is not None))
    priced = validate_order(request, products, point, rules, now, shops=shops)
    placed = new_event(
        OrderPlaced, producer=PRODUCER, actor=actor,
        order_id=str(uuid.uuid4()), resident_id=request.resident_id, lines=list(priced.lines),
        pickup_point_id=request.pickup_point_id, delivery_day=request.delivery_day,
        payment_method=request.payment_method, channel=request.channel, entered_by=request.entered_by,
        delivery_fee=Money(amount_cents=priced.delivery_fee_cents, currency=priced.currency),
        total=Money(amount_cents=priced.total_cents, currency=priced.currency), note=request.note,
        replaces=replaces,
    )
    await publish(producer, placed)
    view = placed_order(placed)
    try:
        await redis.set(keys.submitted(view.order_id), dumps(view.to_dict()), ex=SUBMITTED_TTL_S)
    except RedisError as exc:
        # The order is recorded (the broker acknowledged it): a 503 now would make the
        # client place it again. The status shows once the worker has projected it.
        log.warning("order %s placed; its status is not cached (Redis: %s)", view.order_id, exc)
    return view


async def take_alternative(order: OrderView, choice: Choice, actor: Actor, ordering: Ordering, redis: Redis,
                           producer: EventProducer, rules: BookingRules, now: datetime) -> OrderView:
    """Place the order again as `choice` says, once: 409 naming the order placed instead
    when it was taken again already (or is being taken); 422 as for any new order."""
    request = replacement(order, choice, ordering.entered_by, ordering.channel)
    claim = keys.replacement_claim(order.order_id)
    if not await redis.set(claim, PENDING, nx=True, ex=CANCEL_CLAIM_TTL_S):
        taken = await redis.get(claim)
        raise Conflict("the order was taken again already", details={
            "replaced_by": None if taken in (None, PENDING) else taken})
    try:
        placed = await place_order(request, actor, redis, producer, rules, now, replaces=order.order_id)
    except BaseException:
        await redis.delete(claim)  # nothing was placed: the resident may choose again
        raise
    await redis.set(claim, placed.order_id, ex=CANCEL_CLAIM_TTL_S)
    return placed


async def cancel_order(order: OrderView, actor: Actor, reason: str | None, channel: Channel, redis: Redis,
                       producer: EventProducer) -> str:
    """Publish OrderCancelled once for the order; 409 when it cannot be cancelled
    any more, or another cancel request was first. Returns the event id."""
    if not order.cancellable:
        raise Conflict(f"the order is {order.status.value} and can no longer be cancelled",
                       details={"status": order.status.value})
    claim = keys.cancel_claim(order.order_id)
    if not await redis.set(claim, actor.user_id, nx=True, ex=CANCEL_CLAIM_TTL_S):
        raise Conflict("the order is already being cancelled", details={"status": "CANCELLED"})
    cancelled = new_event(OrderCancelled, producer=PRODUCER, actor=actor,
                          correlation_id=order.correlation_id, order_id=order.order_id,
                          reason=reason, channel=channel)
    try:
        await publish(producer, cancelled)
    except BaseException:
        await redis.delete(claim)  # nothing was published: a retry may cancel
        raise
    return cancelled.event_id
