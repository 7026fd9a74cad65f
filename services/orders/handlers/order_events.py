"""orders.orders: the order's life as the resident and the shops see it.

OrderPlaced creates the order's view and starts the saga (which may decide at
once, if answers overtook it); every later event moves the view's status, a
decision or cancellation closes the saga, and news for the resident becomes a
NotificationRequested. OrderDeliveryMoved moves one part to its new day (and the
shop's packing list with it) and tells the resident.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Callable

from redis.asyncio import Redis

from nahnetz.events import Event
from nahnetz.messaging.handling import InvalidEvent
from nahnetz.messaging.idempotency import Transaction
from nahnetz.messaging.outbox import Outbox
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import OrderCancelled, OrderConfirmed, OrderDeliveryMoved, OrderPlaced, OrderRejected

from .. import keys
from ..domain import saga
from ..domain.lifecycle import OrderEvent, OrderStatus, OrderView, advance, move_part, placed_order
from ..domain.move_notice import moved_notice
from ..domain.notices import Suggestion, notice_for
from .events_out import decision_event, notification_event
from .store import dumps, load_point, load_saga, load_shop, load_view, write_saga

log = logging.getLogger(__name__)

Clock = Callable[[], float]  # epoch seconds

# orders.orders events that end the wait for answers.
CLOSING_PHASE: dict[type, saga.Phase] = {OrderConfirmed: saga.Phase.CONFIRMED,
                                         OrderRejected: saga.Phase.REJECTED,
                                         OrderCancelled: saga.Phase.CANCELLED}


async def apply_order_event(event: OrderEvent, redis: Redis, producer: EventProducer, *,
                            saga_timeout_s: float, clock: Clock = time.time) -> list[Event]:
    """Project the event into the order's view; OrderPlaced starts the saga,
    a decision or cancellation closes it; news for the resident becomes a
    NotificationRequested. Returns the events published."""
    order_id = event.order_id

    async def step(tx: Transaction) -> list[Event]:
        view = await load_view(tx.read, order_id)
        state = await load_saga(tx.read, order_id)
        if isinstance(event, OrderPlaced):
            replaced = None
            if event.replaces:
                await tx.watch(keys.order(event.replaces))
                replaced = await load_view(tx.read, event.replaces)
            return _place(tx, event, view, state, saga_timeout_s, clock, replaced)
        if view is None:
            raise InvalidEvent(f"{event.type} for order {order_id}, which was never placed")
        point = await load_point(tx.read, view.pickup_point_id)
        if isinstance(event, OrderDeliveryMoved):
            return await _move(tx, view, event, point.name if point else None)
        out: list[Event] = []
        moved = advance(view, event)
        if moved.changed:
            suggestion = await _suggestion(tx, moved.view)  # every read before the first write
            tx.write.set(keys.order(order_id), dumps(moved.view.to_dict()))
            if moved.view.status is OrderStatus.CONFIRMED:
                for shop_id in moved.view.shop_ids:
                    tx.write.sadd(keys.packing(shop_id, moved.view.delivery_day), order_id)
            notice = notice_for(moved.view, point.name if point else None, suggestion)
            if notice is not None:
                out.append(notification_event(notice, caused_by=event))
        else:
            log.info("order %s: %s changes nothing: %s", order_id, event.type, moved.why_not,
                     extra={"order_id": order_id})
        phase = CLOSING_PHASE.get(type(event))
        if phase is not None and state.awaiting:
            write_saga(tx, saga.close(state, phase))
            tx.write.zrem(keys.SAGA_DEADLINES, order_id)
        return out

    outbox = Outbox(redis, producer, keys.LIFECYCLE)
    return await outbox.decide(event.event_id, step,
                               read_ahead=[("GET", keys.order(order_id)), ("GET", keys.saga(order_id))])


async def _move(tx: Transaction, view: OrderView, event: OrderDeliveryMoved, point_name: str | None) -> list[Event]:
    """The part's new day in the view and the shop's packing list; the resident is told."""
    moved = move_part(view, event)
    if not moved.changed:
        log.info("order %s: %s changes nothing: %s", view.order_id, event.type, moved.why_not,
                 extra={"order_id": view.order_id})
        return []
    shop = await load_shop(tx.read, event.shop_id)  # every read before the first write
    tx.write.set(keys.order(view.order_id), dumps(moved.view.to_dict()))
    tx.write.srem(keys.packing(event.shop_id, view.part_day(event.shop_id)), view.order_id)
    tx.write.sadd(keys.packing(event.shop_id, event.to_day), view.order_id)
    notice = moved_notice(moved.view, event, shop.name if shop else None, point_name)
    return [notification_event(notice, caused_by=event)]


async def _suggestion(tx: Transaction, view: OrderView) -> Suggestion | None:
    """The first thing the rejected order could become instead, named for people."""
    if view.status is not OrderStatus.REJECTED or view.rejection is None or not view.rejection.alternatives:
        return None
    first = view.rejection.alternatives[0]
    point = await load_point(tx.read, first.pickup_point_id)
    return Suggestion(point.name if point else first.pickup_point_id, first.delivery_day)


def _place(tx: Transaction, event: OrderPlaced, view: OrderView | None, state: saga.SagaState,
           saga_timeout_s: float, clock: Clock, replaced: OrderView | None = None) -> list[Event]:
    order_id = event.order_id
    if view is not None:
        # Another OrderPlaced with this id was first; an order is placed once.
        raise InvalidEvent(f"order {order_id} was already placed (event {view.history[0].event_id})")
    if not event.lines:
        raise InvalidEvent(f"order {order_id} has no lines")
    view = placed_order(event)
    # The deadline counts from when we start waiting, so a replay of old orders
    # does not time them out before their answers are replayed too.
    state, decision = saga.start(state, saga.Placement.of(event), clock() + saga_timeout_s)
    placed_ms = int(view.placed_at.timestamp() * 1000)
    tx.write.set(keys.order(order_id), dumps(view.to_dict()))
    tx.write.zadd(keys.resident_orders(view.resident_id), {order_id: placed_ms})
    tx.write.zadd(keys.RECENT, {order_id: placed_ms})
    write_saga(tx, state)
    if replaced is not None and replaced.replaced_by is None:
        tx.write.set(keys.order(replaced.order_id), dumps(replace(replaced, replaced_by=order_id).to_dict()))
    if state.awaiting and state.deadline is not None:
        tx.write.zadd(keys.SAGA_DEADLINES, {order_id: state.deadline})
    return [decision_event(order_id, decision, caused_by=event)] if decision else []
