"""The decision "carry this shop's part of the order": ShipmentRequested, once
per shipment and attempt.

A confirmed order is requested as soon as the hub knows its lines, its shops
and its pick-up point. The topics carrying them are read side by side, so a shop
or point may arrive after the confirmation (a new consumer group replaying
history, a shop registered a moment ago): the order then waits in
`hub:waiting:shop:<id>` / `hub:waiting:point:<id>` and the projection of the
shop or point tries again. Each side first writes what it brings and then looks
for the other, so one of the two always finds both.

The request is decided through the `Outbox`: stored with its processed marker in
one MULTI/EXEC, watching the order's state so a cancellation handled at the same
moment wins, then published. The shipment id comes from order and shop, so any
number of tries make one shipment (two handlers reaching it at the same moment
may both publish it, with the same event id).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from redis.asyncio import Redis

from nahnetz.events import Event, new_event
from nahnetz.messaging.idempotency import Transaction
from nahnetz.messaging.outbox import Outbox, pack
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import OrderPlaced, ShipmentRequested

from .. import keys
from ..domain.shipments import (CollectionRules, ShipmentRequest, Unplannable, part_compartments, shipment_for_shop,
                                shop_ids)
from .places import load_point, load_shop
from .stored import load_event

log = logging.getLogger(__name__)

PRODUCER = "hub-worker"
REQUEST_SHIPMENT = "hub.request_shipment"


@dataclass
class RequestOutcome:
    requested: list[str] = field(default_factory=list)  # shipment ids published by this call
    waiting_for: list[str] = field(default_factory=list)  # shop or point ids not known yet
    unplannable: list[Unplannable] = field(default_factory=list)
    skipped: str | None = None  # why nothing was requested (not confirmed, cancelled)


async def load_order(redis: Redis, order_id: str) -> OrderPlaced | None:
    return await load_event(redis, keys.order(order_id))


async def request_shipments(redis: Redis, producer: EventProducer, order_id: str, rules: CollectionRules,
                            caused_by: Event | None = None) -> RequestOutcome:
    """Request every shipment of the confirmed order the hub can request now."""
    outcome = RequestOutcome()
    order = await load_order(redis, order_id)
    state = await redis.hgetall(keys.order_state(order_id))
    if order is None or state.get("confirmed") != "1":
        outcome.skipped = "not confirmed"
        return outcome
    if state.get("cancelled") == "1":
        outcome.skipped = "cancelled"
        await _stop_waiting(redis, order)
        return outcome
    point = await load_point(redis, state["pickup_point_id"])
    if point is None:
        outcome.waiting_for.append(state["pickup_point_id"])
        return outcome
    # The point and day as confirmed (the pick-up service decided them).
    order = replace(order, pickup_point_id=point.pickup_point_id,
                    delivery_day=date.fromisoformat(state["delivery_day"]))
    outbox = Outbox(redis, producer, REQUEST_SHIPMENT)
    compartments, parts = json.loads(state["compartment_ids"]), json.loads(state.get("parts") or "{}")
    for shop_id in shop_ids(order):
        shop = await load_shop(redis, shop_id)
        if shop is None:
            outcome.waiting_for.append(shop_id)
            continue
        planned = shipment_for_shop(order, shop, point, part_compartments(parts, shop_id, compartments),
                                    date.fromisoformat(state["earliest_collection_day"]), rules)
        if isinstance(planned, Unplannable):
            outcome.unplannable.append(planned)
            await redis.set(keys.exception(planned.shipment_id), json.dumps(
                {"kind": "UNPLANNABLE", "order_id": order_id, "shop_id": shop_id, "reason": planned.reason}))
            continue
        if await _decide(outbox, planned, state, caused_by):
            outcome.requested.append(planned.shipment_id)
    if not outcome.waiting_for and not outcome.unplannable:
        await _stop_waiting(redis, order)
    return outcome


async def _decide(outbox: Outbox, planned: ShipmentRequest, state: dict[str, Any],
                  caused_by: Event | None) -> list[Event]:
    order_state = keys.order_state(planned.order_id)

    async def step(tx: Transaction) -> list[Event]:
        if await tx.read.hget(order_state, "cancelled") == "1":
            return []  # cancelled meanwhile: nothing to carry
        event = new_event(ShipmentRequested, producer=PRODUCER, caused_by=caused_by,
                          correlation_id=None if caused_by else state.get("correlation_id"),
                          **planned.event_fields())
        tx.write.set(keys.request(planned.shipment_id), pack([event]))
        tx.write.sadd(keys.order_shipments(planned.order_id), planned.shipment_id)
        return [event]

    return await outbox.decide(f"{planned.shipment_id}:{planned.attempt}", step,
                               read_ahead=[("HGET", order_state, "cancelled")])


async def _stop_waiting(redis: Redis, order: OrderPlaced) -> None:
    async with redis.pipeline(transaction=True) as pipe:
        for shop_id in shop_ids(order):
            pipe.srem(keys.waiting_for_shop(shop_id), order.order_id)
        pipe.srem(keys.waiting_for_point(order.pickup_point_id), order.order_id)
        await pipe.execute()


async def retry_waiting_orders(redis: Redis, producer: EventProducer, order_ids: list[str],
                               rules: CollectionRules) -> None:
    """A shop or point the orders waited for arrived: try them again."""
    for order_id in order_ids:
        outcome = await request_shipments(redis, producer, order_id, rules)
        if outcome.requested:
            log.info("requested shipments of a waiting order", extra={"order_id": order_id,
                                                                      "shipment_ids": outcome.requested})
        for problem in outcome.unplannable:
            log.error("cannot schedule a shipment: %s", problem.reason,
                      extra={"order_id": order_id, "shipment_id": problem.shipment_id})
