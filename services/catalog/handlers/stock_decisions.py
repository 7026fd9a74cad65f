"""catalog.stock-requests: the owner of a product's partition decides, once per
order, whether the order gets the product's units (step 2 of the order flow),
gives them back when the order ends without collection (step 5), and sells them
when the order is collected (they leave the stock for good).

Each step reads the stock with its keys watched, asks the pure domain, queues
the change and returns the event it decided; the `Outbox` commits the change
with the processed marker (which remembers the event) in one MULTI/EXEC, then
publishes the event. A crash before the publish re-publishes the very same
event (same event id; consumers dedupe on it); once published, a redelivered
request publishes nothing and decides nothing anew.
"""

from __future__ import annotations

import logging
from typing import Any, Union

from nahnetz.events import Event, new_event
from nahnetz.messaging.handling import InvalidEvent
from nahnetz.messaging.idempotency import Transaction
from nahnetz.messaging.outbox import Outbox
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import (OrderCancelled, OrderCollected, OrderExpired, OrderPlaced, OrderRejected, StockLine,
                             StockRejected, StockReleased, StockReleaseReason, StockReserved, StockSold)
from redis.asyncio import Redis

from .. import keys
from ..domain import stock
from ..queries import load_stock

log = logging.getLogger(__name__)

PRODUCER = "catalog-worker"
CONSUMER = "catalog.decide_stock"
OrderEnded = Union[OrderRejected, OrderCancelled, OrderExpired]
StockRequest = Union[OrderPlaced, OrderEnded, OrderCollected]
RELEASE_REASONS = {OrderRejected: StockReleaseReason.ORDER_REJECTED, OrderCancelled: StockReleaseReason.CANCELLED,
                   OrderExpired: StockReleaseReason.EXPIRED}


def outbox(redis: Redis, producer: EventProducer) -> Outbox:
    return Outbox(redis, producer, consumer=CONSUMER)


def decision_ref(product_id: str, order_id: str) -> str:
    # The hash tag puts the marker in the product's slot (Redis Cluster).
    return f"{{{product_id}}}:{order_id}"


def release_ref(product_id: str, order_id: str) -> str:
    return f"{{{product_id}}}:{order_id}:release"


def sale_ref(product_id: str, order_id: str) -> str:
    return f"{{{product_id}}}:{order_id}:sale"


def stock_keys(product_id: str) -> list[str]:
    return [keys.stock(product_id), keys.held(product_id)]


def stock_reads(product_id: str) -> list[tuple[str, ...]]:
    """What `load_stock` reads, sent ahead with the decision's marker (one round trip)."""
    return [("HGETALL", key) for key in stock_keys(product_id)]


async def handle_stock_request(event: StockRequest, product_id: str, redis: Redis, producer: EventProducer
                               ) -> list[Event]:
    """An order event copied to catalog.stock-requests for `product_id` (the record
    key); returns the decision or release it published now, if any."""
    if isinstance(event, OrderPlaced):
        return await reserve(event, product_id, redis, producer)
    if isinstance(event, tuple(RELEASE_REASONS)):
        return await release(event, product_id, redis, producer)
    if isinstance(event, OrderCollected):
        return await sell(event, product_id, redis, producer)
    # The topic's registry entry keeps other types out; be explicit anyway.
    raise InvalidEvent(f"{event.type} is not a stock request")


def decision_event(decision: stock.Decision, order: OrderPlaced) -> StockReserved | StockRejected:
    if isinstance(decision, stock.Reserved):
        return new_event(StockReserved, producer=PRODUCER, caused_by=order, order_id=decision.order_id,
                         lines=list(decision.lines))
    return new_event(StockRejected, producer=PRODUCER, caused_by=order, order_id=decision.order_id,
                     lines=list(decision.lines))


async def reserve(order: OrderPlaced, product_id: str, redis: Redis, producer: EventProducer) -> list[Event]:
    """Decide the lines of `product_id` in the order: StockReserved or StockRejected."""
    lines = stock.lines_of(order.lines, product_id)
    if not lines:
        raise InvalidEvent(f"order {order.order_id} has no line of product {product_id}: "
                           "the request was keyed by a product the order does not hold")

    async def step(tx: Transaction) -> list[Event]:
        before = await load_stock(tx.read, product_id)
        decision = stock.decide(before, order.order_id, lines)
        if isinstance(decision, stock.Reserved) and before is not None and decision.state is not before:
            write_available(tx.write, product_id, decision.state.available)
            hold(tx.write, product_id, order.order_id, decision.quantity)
        return [decision_event(decision, order)]

    published = await outbox(redis, producer).decide(decision_ref(product_id, order.order_id), step,
                                                      read_ahead=stock_reads(product_id))
    if published:
        log.info("stock decided: %s", published[0].type, extra={"order_id": order.order_id,
                                                                 "product_id": product_id})
    else:
        # Decided and published before (a redelivery), or released before it was
        # decided (see `release`): the order is over.
        log.info("no stock decision to publish", extra={"order_id": order.order_id, "product_id": product_id})
    return published


async def release(ended: OrderEnded, product_id: str, redis: Redis, producer: EventProducer) -> list[Event]:
    """Give back what the order holds of `product_id` (StockReleased); a no-op
    when it holds nothing (rejected, never reserved, released before)."""
    order_id = ended.order_id
    box = outbox(redis, producer)
    reservation_marker = box.markers.key(decision_ref(product_id, order_id))

    async def step(tx: Transaction) -> list[Event]:
        before = await load_stock(tx.read, product_id)
        decided = await tx.read.exists(reservation_marker)
        released = stock.release(before, order_id)
        if not decided:
            # The order ended before its request was decided (it cannot overtake it on
            # this partition, but a request older than its marker's life could come
            # back): never reserve for an ended order.
            tx.write.set(reservation_marker, "", px=box.markers.ttl_ms)
        if released is None or before is None:
            return []
        write_available(tx.write, product_id, released.state.available)
        unhold(tx.write, product_id, order_id, released.quantity)
        return [new_event(StockReleased, producer=PRODUCER, caused_by=ended, order_id=order_id,
                          reason=RELEASE_REASONS[type(ended)],
                          lines=[StockLine(product_id=product_id, shop_id=before.shop_id,
                                           quantity=released.quantity)])]

    published = await box.decide(release_ref(product_id, order_id), step,
                                 read_ahead=[*stock_reads(product_id), ("EXISTS", reservation_marker)])
    if not published:
        log.info("nothing held to release", extra={"order_id": order_id, "product_id": product_id})
    return published


async def sell(collected: OrderCollected, product_id: str, redis: Redis, producer: EventProducer) -> list[Event]:
    """The collected order's units of `product_id` are sold (StockSold): held no
    more, and not back on the shelf; a no-op when it holds nothing."""
    order_id = collected.order_id

    async def step(tx: Transaction) -> list[Event]:
        before = await load_stock(tx.read, product_id)
        sold = stock.sell(before, order_id)
        if sold is None or before is None:
            return []
        unhold(tx.write, product_id, order_id, sold.quantity)
        return [new_event(StockSold, producer=PRODUCER, caused_by=collected, order_id=order_id,
                          lines=[StockLine(product_id=product_id, shop_id=before.shop_id, quantity=sold.quantity)])]

    published = await outbox(redis, producer).decide(sale_ref(product_id, order_id), step,
                                                     read_ahead=stock_reads(product_id))
    if not published:
        log.info("nothing held to sell", extra={"order_id": order_id, "product_id": product_id})
    return published


# -- the stock hashes, written inside the atomic step -----------------------------------------
def write_available(writer: Any, product_id: str, available: int) -> None:
    writer.hset(keys.stock(product_id), "available", available)


def hold(writer: Any, product_id: str, order_id: str, units: int) -> None:
    writer.hset(keys.held(product_id), order_id, units)
    writer.hincrby(keys.stock(product_id), "reserved", units)


def unhold(writer: Any, product_id: str, order_id: str, units: int) -> None:
    writer.hdel(keys.held(product_id), order_id)
    writer.hincrby(keys.stock(product_id), "reserved", -units)
