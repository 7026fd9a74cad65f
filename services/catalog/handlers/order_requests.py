"""Order events on orders.orders, re-keyed to the products they concern
(steps 2 and 5 of the order flow, and the sale when an order is collected).

An OrderPlaced is copied to catalog.stock-requests once per distinct product,
keyed by the product id, value = the event's bytes, so the worker owning the
product's partition decides it. Which products an order has is remembered
(`catalog:order-products:<order_id>`), so when the order is rejected,
cancelled, expires or is collected the same copies go to the same partitions,
behind the request they end. Copying again after a redelivery is harmless: the deciders
dedupe per order.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from nahnetz.events import Event
from nahnetz.messaging.handling import InvalidEvent
from nahnetz.messaging.producer import EventProducer, event_headers
from nahnetz.records import OrderCancelled, OrderCollected, OrderExpired, OrderPlaced, OrderRejected
from nahnetz.topics import CATALOG_STOCK_REQUESTS
from redis.asyncio import Redis

from .. import keys

log = logging.getLogger(__name__)

# Ended without collection (the units come back) or collected (they are sold).
ENDINGS = (OrderRejected, OrderCancelled, OrderExpired, OrderCollected)


def products_of(order: OrderPlaced) -> list[str]:
    """The order's distinct products, in the order of its lines."""
    return list(dict.fromkeys(line.product_id for line in order.lines))


async def route_order_event(event: Event, redis: Redis, producer: EventProducer, *,
                            remember_for: timedelta = timedelta(days=60)) -> list[str]:
    """Copy a placed or ended order to the partitions of its products; return
    the product ids it went to. Other order events concern the catalog not."""
    if isinstance(event, OrderPlaced):
        products = products_of(event)
        if not products:
            raise InvalidEvent(f"order {event.order_id} has no lines: nothing to reserve")
        async with redis.pipeline(transaction=True) as pipe:
            pipe.sadd(keys.order_products(event.order_id), *products)
            pipe.expire(keys.order_products(event.order_id), int(remember_for.total_seconds()))
            await pipe.execute()
    elif isinstance(event, ENDINGS):
        products = sorted(await redis.smembers(keys.order_products(event.order_id)))
        if not products:
            # Its OrderPlaced never reached the catalog (dead-lettered, or older than
            # what we remember): nothing can be held for it.
            log.info("ended order has no products on record; nothing to release",
                     extra={"order_id": event.order_id, "event_type": event.type})
            return []
    else:
        return []
    value, headers = event.encode(), event_headers(event)
    # One record per product, each to its own partition; all acknowledged before
    # the handler returns (and the offset is committed).
    await asyncio.gather(*(producer.publish_raw(CATALOG_STOCK_REQUESTS, value, key=product_id, headers=headers)
                           for product_id in products))
    return products
