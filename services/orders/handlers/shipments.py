"""logistics.shipments: the hub's requests as the order sees them. A request that
moves a shop's part to another day (`moved_from`) becomes the order's
OrderDeliveryMoved, once: through the Outbox by the request's event id, and with
an event id derived from shipment and attempt, so a replay publishes the same
event. The view and the resident's message follow on orders.orders
(order_events.py), and the pick-up point moves the part's compartments.

The request can overtake the order's confirmation (another topic, another
agent): it is retried (`NotConfirmedYet`) until the view shows the order
confirmed, and dead-lettered only if it never does.
"""

from __future__ import annotations

import logging

from redis.asyncio import Redis

from nahnetz.events import Event, new_event
from nahnetz.messaging.idempotency import Transaction
from nahnetz.messaging.outbox import Outbox
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import OrderDeliveryMoved, ShipmentRequested

from .. import keys
from ..domain.lifecycle import OrderStatus
from ..domain.parts import move_of
from .events_out import PRODUCER, derived_id
from .store import load_view

log = logging.getLogger(__name__)


class NotConfirmedYet(RuntimeError):
    """The hub moved a part of an order whose confirmation is not projected yet: try again."""


async def apply_shipment_event(event: Event, redis: Redis, producer: EventProducer) -> list[Event]:
    """OrderDeliveryMoved for a request that moves a part of the order; nothing otherwise."""
    if not isinstance(event, ShipmentRequested) or event.moved_from is None:
        return []  # collected, at the hub, delivered, or requested for the day it was due
    order_id = event.order_id

    async def step(tx: Transaction) -> list[Event]:
        view = await load_view(tx.read, order_id)
        if view is None or view.status is OrderStatus.PLACED:
            raise NotConfirmedYet(f"the hub moved shipment {event.shipment_id} of order {order_id}, "
                                  "whose confirmation is not projected yet")
        if view.status is not OrderStatus.CONFIRMED:
            log.info("order %s is %s: its moved shipment changes nothing", order_id, view.status.value,
                     extra={"order_id": order_id, "shipment_id": event.shipment_id})
            return []
        move = move_of(view.parts, view.delivery_day, event)
        if move is None:
            return []
        return [new_event(OrderDeliveryMoved, producer=PRODUCER, caused_by=event,
                          event_id=derived_id(order_id, OrderDeliveryMoved.__name__, event.shipment_id,
                                              str(event.attempt)),
                          order_id=order_id, shop_id=move.shop_id, shipment_id=move.shipment_id,
                          pickup_point_id=event.pickup_point_id, from_day=move.from_day, to_day=move.to_day,
                          reason=move.reason)]

    return await Outbox(redis, producer, keys.SHIPMENTS).decide(event.event_id, step,
                                                                read_ahead=[("GET", keys.order(order_id))])
