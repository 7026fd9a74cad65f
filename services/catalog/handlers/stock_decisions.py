"""The owner of a product's partition on catalog.stock-requests decides, once
per order, whether the order gets the product's units (step 2 of the order
flow), and gives them back when the order ends without collection (step 5).

Each step reads the stock with its keys watched, asks the pure domain, and
writes the change together with the processed marker in one MULTI/EXEC
(`ProcessedMarkers.apply`). The marker remembers the decision event, so a
redelivered request publishes the very same event again (same event id;
consumers dedupe on it) instead of deciding anew.
"""

from __future__ import annotations

import logging

from nahnetz.events import Event, new_event, read_event
from nahnetz.messaging.handling import InvalidEvent
from nahnetz.messaging.idempotency import ProcessedMarkers, Transaction
from nahnetz.messaging.producer import EventProducer
from redis.asyncio import Redis

from ..domain import stock
from .stock_state import hold, load_stock, stock_keys, unhold, write_available

log = logging.getLogger(__name__)

PRODUCER = "catalog-worker"
CONSUMER = "catalog.decide_stock"
RELEASE_REASONS = {"OrderRejected": "ORDER_REJECTED", "OrderCancelled": "CANCELLED", "OrderExpired": "EXPIRED"}


def markers(redis: Redis) -> ProcessedMarkers:
    return ProcessedMarkers(redis, consumer=CONSUMER)


def decision_ref(product_id: str, order_id: str) -> str:
    # The hash tag puts the marker in the product's slot (Redis Cluster).
    return f"{{{product_id}}}:{order_id}"


def release_ref(product_id: str, order_id: str) -> str:
    return f"{{{product_id}}}:{order_id}:release"


async def handle_stock_request(event: Event, product_id: str, redis: Redis, producer: EventProducer
                               ) -> Event | None:
    """An order event copied to catalog.stock-requests for `product_id` (the record
    key); returns the decision or release it published, if any."""
    if event.type == "OrderPlaced":
        return await reserve(event, product_id, redis, producer)
    if event.type in RELEASE_REASONS:
        return await release(event, product_id, redis, producer)
    else:  # the topic's registry entry keeps other types out; be explicit anyway
        raise InvalidEvent(f"{event.type} is not a stock request")


def requested_lines(order: Event, product_id: str) -> list[stock.RequestedLine]:
    return [stock.RequestedLine(line["product_id"], line["shop_id"], int(line["quantity"]))
            for line in order.lines if line["product_id"] == product_id]


def decision_event(decision: stock.Decision, order: Event) -> Event:
    if isinstance(decision, stock.Reserved):
        return new_event("StockReserved", producer=PRODUCER, caused_by=order, order_id=decision.order_id,
                         lines=[{"product_id": l.product_id, "shop_id": l.shop_id, "quantity": l.quantity}
                                for l in decision.lines])
    return new_event("StockRejected", producer=PRODUCER, caused_by=order, order_id=decision.order_id,
                     lines=[{"product_id": l.product_id, "shop_id": l.shop_id, "quantity": l.quantity,
                             "reason": l.reason, "available": l.available} for l in decision.lines])


async def reserve(order: Event, product_id: str, redis: Redis, producer: EventProducer) -> Event | None:
    """Decide the lines of `product_id` in the order: StockReserved or StockRejected."""
    lines = requested_lines(order, product_id)
    if not lines:
        raise InvalidEvent(f"order {order.order_id} has no line of product {product_id}: "
                           "the request was keyed by a product the order does not hold")

    async def step(tx: Transaction) -> bytes:
        before = await load_stock(tx.read, product_id)
        decision = stock.decide(before, order.order_id, lines)
        if isinstance(decision, stock.Reserved) and before is not None and decision.state is not before:
            write_available(tx.write, product_id, decision.state.available)
            hold(tx.write, product_id, order.order_id, decision.quantity)
        return decision_event(decision, order).encode()

    outcome = await markers(redis).apply(decision_ref(product_id, order.order_id), step,
                                         watch=stock_keys(product_id))
    if outcome.result is None:
        # Released before it was decided (see `release`): the order is over.
        log.info("order already released; no stock decision", extra={"order_id": order.order_id,
                                                                      "product_id": product_id})
        return None
    decided = read_event(outcome.result)
    await producer.publish(decided)
    log.info("stock decided: %s", decided.type, extra={"order_id": order.order_id, "product_id": product_id,
                                                        "replayed": not outcome.applied})
    return decided


async def release(ended: Event, product_id: str, redis: Redis, producer: EventProducer) -> Event | None:
    """Give back what the order holds of `product_id` (StockReleased); a no-op
    when it holds nothing (rejected, never reserved, released before)."""
    order_id = ended.order_id
    reservation_marker = markers(redis).key(decision_ref(product_id, order_id))

    async def step(tx: Transaction) -> bytes | None:
        before = await load_stock(tx.read, product_id)
        decided = await tx.read.exists(reservation_marker)
        released = stock.release(before, order_id)
        if not decided:
            # The order ended before its request was decided (it cannot overtake it on
            # this partition, but a request older than its marker's life could come
            # back): never reserve for an ended order.
            tx.write.set(reservation_marker, b"", px=markers(redis).ttl_ms)
        if released is None:
            return None
        write_available(tx.write, product_id, released.state.available)
        unhold(tx.write, product_id, order_id, released.quantity)
        return new_event("StockReleased", producer=PRODUCER, caused_by=ended, order_id=order_id,
                         reason=RELEASE_REASONS[ended.type],
                         lines=[{"product_id": product_id, "shop_id": before.shop_id,  # type: ignore[union-attr]
                                 "quantity": released.quantity}]).encode()

    outcome = await markers(redis).apply(release_ref(product_id, order_id), step,
                                         watch=[*stock_keys(product_id), reservation_marker])
    if outcome.result is None:
        log.info("nothing held to release", extra={"order_id": order_id, "product_id": product_id})
        return None
    released = read_event(outcome.result)
    await producer.publish(released)
    return released
