"""The orders worker's handlers: events in, Redis state and events out.

Each takes its dependencies as arguments (Redis, the producer, a clock) and is
idempotent: a state change happens in one Redis step together with the event's
processed marker (`ProcessedMarkers.apply`), and the events decided in that step
are remembered and published after it (see outbox.py).

| handler | consumes | does |
|---|---|---|
| project_product | catalog.products | keeps orders:product:* (prices, shops, weights for new orders) |
| project_pickup_point | pickup.points | keeps orders:pickup-point:* |
| apply_order_event | orders.orders | the order's view and history; starts and closes the saga; notifies the resident |
| apply_stock_decision | catalog.stock-reservations | records a product's answer in the saga; may decide |
| apply_compartment_decision | pickup.reservations | records the compartment answer; may decide |
| reject_overdue_orders | (timer) | rejects awaiting orders past their deadline with TIMEOUT |
| apply_parcel_event | pickup.parcels | OrderReadyForPickup / OrderCollected / OrderExpired, once each |
"""

from __future__ import annotations

import logging
import time
from typing import Callable

from redis.asyncio import Redis

from nahnetz.events import Event
from nahnetz.messaging.handling import InvalidEvent
from nahnetz.messaging.idempotency import ProcessedMarkers, Transaction
from nahnetz.messaging.producer import EventProducer

from . import keys, outbox
from .domain import saga
from .domain.lifecycle import OrderStatus, advance, placed_order
from .domain.listings import PickupPointListing, ProductListing
from .domain.notices import notice_for
from .domain.parcels import ParcelProgress, next_order_event
from .order_events import EventRef, decision_event, notification_event, parcel_order_event
from .store import dumps, load_point, load_product, load_saga, load_view, loads

log = logging.getLogger(__name__)

Clock = Callable[[], float]  # epoch seconds

LIFECYCLE = "orders.lifecycle"
STOCK_DECISIONS = "orders.stock_decisions"
COMPARTMENT_DECISIONS = "orders.compartment_decisions"
SAGA_TIMEOUT = "orders.saga_timeout"
PARCELS = "orders.parcels"

# The saga's state must outlive every redelivery of its answers, like the markers.
SAGA_TTL_S = 30 * 24 * 3600
# orders.orders events that end the wait for answers.
CLOSING_PHASE = {"OrderConfirmed": saga.Phase.CONFIRMED, "OrderRejected": saga.Phase.REJECTED,
                 "OrderCancelled": saga.Phase.CANCELLED}


# -- projections of other services' public topics ----------------------------------------
async def project_product(event: Event, redis: Redis) -> None:
    """catalog.products -> orders:product:<id>. Values are absolute (the whole listing,
    the new stock level), so applying an event again gives the same state."""
    key = keys.product(event.product_id)
    previous = await load_product(redis, event.product_id)
    if event.type in ("ProductListed", "ProductUpdated"):
        listing = ProductListing.from_listing(event.data, previous)
    elif previous is None:
        raise InvalidEvent(f"{event.type} for product {event.product_id}, which was never listed")
    elif event.type == "StockAdjusted":
        listing = previous.with_stock(event.new_level)
    else:  # ProductDelisted
        listing = previous.delist()
    await redis.set(key, dumps(listing.to_dict()))


async def project_pickup_point(event: Event, redis: Redis) -> None:
    """pickup.points -> orders:pickup-point:<id> (each event carries the whole description)."""
    point = PickupPointListing.from_description(event.data)
    await redis.set(keys.pickup_point(point.pickup_point_id), dumps(point.to_dict()))


# -- orders.orders: the order's life ---------------------------------------------------------
async def apply_order_event(event: Event, redis: Redis, producer: EventProducer, *,
                            saga_timeout_s: float, clock: Clock = time.time) -> list[Event]:
    """Project the event into the order's view; OrderPlaced starts the saga,
    a decision or cancellation closes it; news for the resident becomes a
    NotificationRequested. Returns the events published."""
    markers = ProcessedMarkers(redis, LIFECYCLE)
    order_id = event.order_id
    view_key, saga_key = keys.order(order_id), keys.saga(order_id)

    async def step(tx: Transaction) -> bytes | None:
        view = await load_view(tx.read, order_id)
        state = await load_saga(tx.read, order_id)
        if event.type == "OrderPlaced":
            return await _place(tx, event, view, state, saga_timeout_s, clock)
        if view is None:
            raise InvalidEvent(f"{event.type} for order {order_id}, which was never placed")
        point = await load_point(tx.read, view.pickup_point_id)
        out: list[Event] = []
        moved = advance(view, event.type, event.data)
        if moved.changed:
            tx.write.set(view_key, dumps(moved.view.to_dict()))
            if moved.view.status is OrderStatus.CONFIRMED:
                for shop_id in moved.view.shop_ids:
                    tx.write.sadd(keys.packing(shop_id, moved.view.delivery_day), order_id)
            notice = notice_for(moved.view, point.name if point else None)
            if notice is not None:
                out.append(notification_event(notice, caused_by=event))
        else:
            log.info("order %s: %s changes nothing: %s", order_id, event.type, moved.why_not,
                     extra={"order_id": order_id})
        phase = CLOSING_PHASE.get(event.type)
        if phase is not None and state.awaiting:
            _write_saga(tx, saga.close(state, phase))
            tx.write.zrem(keys.SAGA_DEADLINES, order_id)
        return outbox.pack(out)

    outcome = await markers.apply(event.event_id, step, watch=[view_key, saga_key])
    return await outbox.publish_outcome(markers, event.event_id, outcome, producer)


async def _place(tx: Transaction, event: Event, view, state: saga.SagaState, saga_timeout_s: float,
                 clock: Clock) -> bytes | None:
    order_id = event.order_id
    if view is not None:
        # Another OrderPlaced with this id was first; an order is placed once.
        raise InvalidEvent(f"order {order_id} was already placed (event {view.history[0].event_id})")
    if not event.lines:
        raise InvalidEvent(f"order {order_id} has no lines")
    view = placed_order(event.data)
    placement = saga.Placement(frozenset(line["product_id"] for line in event.lines),
                               event.pickup_point_id, event.delivery_day, event.correlation_id,
                               event.event_id)
    # The deadline counts from when we start waiting, so a replay of old orders
    # does not time them out before their answers are replayed too.
    state, decision = saga.start(state, placement, clock() + saga_timeout_s)
    placed_ms = int(view.placed_at.timestamp() * 1000)
    tx.write.set(keys.order(order_id), dumps(view.to_dict()))
    tx.write.zadd(keys.resident_orders(view.resident_id), {order_id: placed_ms})
    tx.write.zadd(keys.RECENT, {order_id: placed_ms})
    _write_saga(tx, state)
    if state.awaiting and state.deadline is not None:
        tx.write.zadd(keys.SAGA_DEADLINES, {order_id: state.deadline})
    return outbox.pack([decision_event(order_id, decision, caused_by=event)] if decision else [])


def _write_saga(tx: Transaction, state: saga.SagaState) -> None:
    tx.write.set(keys.saga(state.order_id), dumps(state.to_dict()), ex=SAGA_TTL_S)


# -- the answers ------------------------------------------------------------------------------
async def apply_stock_decision(event: Event, redis: Redis, producer: EventProducer) -> list[Event]:
    """StockReserved / StockRejected: one product's answer (StockReleased is not an answer)."""
    if event.type == "StockReleased":
        return []
    if not event.lines:
        raise InvalidEvent(f"{event.type} for order {event.order_id} has no lines")
    if event.type == "StockReserved":
        answers = [saga.StockAnswer(line["product_id"], True) for line in event.lines]
    else:
        answers = [saga.StockAnswer(line["product_id"], False, saga.RejectedLine(
            line["product_id"], line["shop_id"], line["reason"], line.get("available")))
            for line in event.lines]
    return await _answer(event, redis, producer, STOCK_DECISIONS,
                         lambda state: saga.record_stock(state, answers))


async def apply_compartment_decision(event: Event, redis: Redis, producer: EventProducer) -> list[Event]:
    """CompartmentReserved / CompartmentRejected (CompartmentReleased is not an answer)."""
    if event.type == "CompartmentReleased":
        return []
    if event.type == "CompartmentReserved":
        answer = saga.CompartmentAnswer(True, tuple(event.compartment_ids))
    else:
        answer = saga.CompartmentAnswer(False, (), event.reason)
    return await _answer(event, redis, producer, COMPARTMENT_DECISIONS,
                         lambda state: saga.record_compartment(state, answer))


async def _answer(event: Event, redis: Redis, producer: EventProducer, consumer: str,
                  record: Callable[[saga.SagaState], saga.Step]) -> list[Event]:
    markers = ProcessedMarkers(redis, consumer)
    order_id = event.order_id

    async def step(tx: Transaction) -> bytes | None:
        before = await load_saga(tx.read, order_id)
        after, decision = record(before)
        if after == before:
            log.info("order %s: %s changes nothing (late or repeated answer)", order_id, event.type,
                     extra={"order_id": order_id, "phase": before.phase.value})
            return None
        _write_saga(tx, after)
        if decision is None:
            return None
        tx.write.zrem(keys.SAGA_DEADLINES, order_id)
        return outbox.pack([decision_event(order_id, decision, caused_by=event)])

    outcome = await markers.apply(event.event_id, step, watch=[keys.saga(order_id)])
    return await outbox.publish_outcome(markers, event.event_id, outcome, producer)


# -- the deadline -----------------------------------------------------------------------------
class _NothingToDecide(Exception):
    """Leaves a timeout step without writing its marker: there may be a deadline later."""


async def reject_overdue_orders(redis: Redis, producer: EventProducer, *, clock: Clock = time.time,
                                batch: int = 100) -> list[Event]:
    """Reject every awaiting order whose deadline has passed (TIMEOUT), once.
    Safe on several workers at once: the saga step is atomic per order."""
    now = clock()
    due = await redis.zrangebyscore(keys.SAGA_DEADLINES, "-inf", now, start=0, num=batch)
    published: list[Event] = []
    for raw_id in due:
        order_id = raw_id.decode() if isinstance(raw_id, bytes) else raw_id
        published += await _time_out(order_id, redis, producer, now)
    return published


async def _time_out(order_id: str, redis: Redis, producer: EventProducer, now: float) -> list[Event]:
    markers = ProcessedMarkers(redis, SAGA_TIMEOUT)

    async def step(tx: Transaction) -> bytes | None:
        state = await load_saga(tx.read, order_id)
        after, decision = saga.time_out(state, now)
        if decision is None or state.placement is None:
            raise _NothingToDecide
        _write_saga(tx, after)
        cause = EventRef(state.placement.placed_event_id, state.placement.correlation_id)
        return outbox.pack([decision_event(order_id, decision, caused_by=cause)])

    try:
        outcome = await markers.apply(order_id, step, watch=[keys.saga(order_id)])
    except _NothingToDecide:
        # Decided meanwhile (or its state is gone): the deadline is moot.
        await redis.zrem(keys.SAGA_DEADLINES, order_id)
        return []
    events = await outbox.publish_outcome(markers, order_id, outcome, producer)
    # Only now: had we died before the publish, the next scan would publish it.
    await redis.zrem(keys.SAGA_DEADLINES, order_id)
    if events:
        log.info("order %s rejected: no complete answer in time", order_id, extra={"order_id": order_id})
    return events


# -- pickup.parcels ---------------------------------------------------------------------------
async def apply_parcel_event(event: Event, redis: Redis, producer: EventProducer) -> list[Event]:
    """A parcel deposited, collected or expired becomes the order's event, once."""
    if event.type == "PickupCodeLocked":
        # The pickup service alerts the operators; the order's status does not change.
        log.info("order %s: pick-up code locked", event.order_id, extra={"order_id": event.order_id})
        return []
    markers = ProcessedMarkers(redis, PARCELS)
    order_id = event.order_id
    parcel_key = keys.parcel(order_id)

    async def step(tx: Transaction) -> bytes | None:
        data = loads(await tx.read.get(parcel_key))
        progress = ParcelProgress() if data is None else ParcelProgress.from_dict(data)
        order = await load_view(tx.read, order_id)
        after, order_event = next_order_event(progress, event.type)
        if order_event is None:
            log.info("order %s: %s changes nothing", order_id, event.type, extra={"order_id": order_id})
            return None
        tx.write.set(parcel_key, dumps(after.to_dict()))
        return outbox.pack([parcel_order_event(order_event, event, order)])

    outcome = await markers.apply(event.event_id, step, watch=[parcel_key])
    return await outbox.publish_outcome(markers, event.event_id, outcome, producer)
