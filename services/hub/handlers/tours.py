"""Drivers' reports (logistics.tours) turned into shipment events.

TourDispatched is kept (`hub:tour:<id>`, the event itself) so a later report at
stop n reads what kind of stop n is from its typed `Stop`; all events of a tour
share its partition, so the dispatch is always there first. A report may name a
shipment whose request the hub has not decided yet (orders.orders is read beside
logistics.tours, e.g. when a new consumer group replays history): that is
retried (`NotRequestedYet`) until the orders side catches up, and dead-lettered
only if it never does. Each shipment event goes through the `Outbox` once per
shipment, step and tour, so a repeated report publishes nothing new. See
`domain/progress.py` for what each report means.
"""

from __future__ import annotations

import json
import logging

from redis.asyncio import Redis

from nahnetz.events import Event, new_event
from nahnetz.messaging.handling import InvalidEvent
from nahnetz.messaging.idempotency import Transaction
from nahnetz.messaging.outbox import Outbox, pack, unpack
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import (
    ShipmentAtHub,
    ShipmentCollected,
    ShipmentDelivered,
    ShipmentRequested,
    Stop,
    StopCompleted,
    StopFailed,
    TourDispatched,
)

from .. import keys
from ..domain.opening_hours import local_day
from ..domain.progress import (
    ReportMismatch,
    Transition,
    delivered_compartments,
    is_missed_collection,
    reported_shipments,
    stop_at,
    transition_for,
)
from ..domain.shipments import CollectionRules, collection_day_of, rescheduled
from .places import load_point, load_shop
from .requests import PRODUCER
from .stored import load_event

log = logging.getLogger(__name__)

SHIPMENT_PROGRESS = "hub.shipment_progress"
MISSED_COLLECTION = "hub.missed_collection"


class NotRequestedYet(RuntimeError):
    """A report names a shipment the hub has not requested (yet): try again later."""


async def on_tour_event(event: Event, redis: Redis, producer: EventProducer, *, hub_id: str,
                        rules: CollectionRules) -> list[Event]:
    """The shipment events published for this tour event."""
    if isinstance(event, TourDispatched):
        await redis.set(keys.tour(event.tour_id), pack([event]))
        return []
    if isinstance(event, StopCompleted):
        return await stop_completed(event, redis, producer, hub_id)
    if isinstance(event, StopFailed):
        return await stop_failed(event, redis, producer, rules)
    return []  # TourCompleted: the shipments have been reported stop by stop


async def _stop_of(event: StopCompleted | StopFailed, redis: Redis) -> Stop:
    tour = await load_event(redis, keys.tour(event.tour_id))
    if tour is None:
        raise InvalidEvent(f"{event.type} for tour {event.tour_id}, which was never dispatched")
    try:
        return stop_at(tour, event.stop_index)
    except ReportMismatch as exc:
        raise InvalidEvent(str(exc)) from exc


async def current_request(redis: Redis, shipment_id: str) -> ShipmentRequested | None:
    return await load_event(redis, keys.request(shipment_id))


async def stop_completed(event: StopCompleted, redis: Redis, producer: EventProducer, hub_id: str) -> list[Event]:
    stop = await _stop_of(event, redis)
    try:
        transition = transition_for(stop, event.kind)
    except ReportMismatch as exc:
        raise InvalidEvent(f"tour {event.tour_id} stop {event.stop_index}: {exc}") from exc
    if transition is None:
        return []
    outbox = Outbox(redis, producer, SHIPMENT_PROGRESS)
    published, unknown = [], []
    for shipment_id in reported_shipments(stop, event.shipment_ids):
        request = await current_request(redis, shipment_id)
        if request is None:
            unknown.append(shipment_id)
            continue
        progress = _progress_event(transition, request, event, hub_id)
        published += await outbox.publish_once(f"{shipment_id}:{transition.value}:{event.tour_id}", progress)
    if unknown:
        raise NotRequestedYet(f"StopCompleted on tour {event.tour_id} names shipments the hub has not requested: "
                              f"{', '.join(unknown)}")
    return published


def _progress_event(transition: Transition, request: ShipmentRequested, report: StopCompleted,
                    hub_id: str) -> Event:
    ids = {"shipment_id": request.shipment_id, "order_id": request.order_id}
    if transition is Transition.COLLECTED:
        return new_event(ShipmentCollected, producer=PRODUCER, caused_by=report, **ids, tour_id=report.tour_id,
                         proof=report.proof)
    if transition is Transition.AT_HUB:
        return new_event(ShipmentAtHub, producer=PRODUCER, caused_by=report, **ids, hub_id=hub_id)
    return new_event(ShipmentDelivered, producer=PRODUCER, caused_by=report, **ids,
                     pickup_point_id=request.pickup_point_id, tour_id=report.tour_id,
                     # The report names the compartments of every order unloaded at the stop: this
                     # shipment's are those reserved for its order among them (not its neighbours').
                     compartment_ids=list(delivered_compartments(report.compartment_ids,
                                                                 request.compartment_ids)))


async def stop_failed(event: StopFailed, redis: Redis, producer: EventProducer, rules: CollectionRules) -> list[Event]:
    stop = await _stop_of(event, redis)
    shipment_ids = reported_shipments(stop, event.shipment_ids)
    if not is_missed_collection(stop, event.reason):
        for shipment_id in shipment_ids:
            await _record_exception(redis, shipment_id, event, stop)
        return []
    published = []
    for shipment_id in shipment_ids:
        published += await _request_again(event, redis, producer, shipment_id, rules)
    return published


async def _request_again(event: StopFailed, redis: Redis, producer: EventProducer, shipment_id: str,
                         rules: CollectionRules) -> list[Event]:
    """A missed collection: the same shipment, requested for the next possible day."""
    request = await current_request(redis, shipment_id)
    if request is None:
        raise NotRequestedYet(f"StopFailed on tour {event.tour_id} names shipment {shipment_id}, "
                              "which the hub has not requested")
    shop = await load_shop(redis, request.shop_id)
    point = await load_point(redis, request.pickup_point_id)
    if shop is None or point is None:
        raise InvalidEvent(f"shipment {shipment_id}: shop or pick-up point unknown, cannot reschedule")
    request_key = keys.request(shipment_id)
    at = event.meta.occurred_at

    async def decide(tx: Transaction) -> list[Event]:
        [current] = unpack(await tx.read.get(request_key))
        missed_on = collection_day_of(current) or local_day(at)
        again = rescheduled(current, shop, point, missed_on, rules)
        if again is None:
            tx.write.set(keys.exception(shipment_id), json.dumps({
                "kind": "MISSED_COLLECTION", "reason": event.reason.value, "tour_id": event.tour_id,
                "note": f"no day within {rules.reschedule_horizon_days} days on which {shop.name} and "
                        f"{point.name} are both open: the operator must arrange it",
                "at": at.isoformat()}))
            return []
        requested = new_event(ShipmentRequested, producer=PRODUCER, caused_by=event, **again.event_fields())
        tx.write.set(request_key, pack([requested]))
        tx.write.set(keys.exception(shipment_id), json.dumps({
            "kind": "MISSED_COLLECTION", "reason": event.reason.value, "tour_id": event.tour_id,
            "note": event.note, "at": at.isoformat(),
            "rescheduled_to": again.plan.collection_day.isoformat(), "attempt": again.attempt}))
        return [requested]

    return await Outbox(redis, producer, MISSED_COLLECTION).decide(
        f"{shipment_id}:{event.tour_id}", decide, watch=[request_key])


async def _record_exception(redis: Redis, shipment_id: str, event: StopFailed, stop: Stop) -> None:
    log.warning("stop failed: %s", event.reason.value, extra={"shipment_id": shipment_id, "tour_id": event.tour_id})
    await redis.set(keys.exception(shipment_id), json.dumps({
        "kind": f"{stop.kind.value}_FAILED", "reason": event.reason.value, "tour_id": event.tour_id,
        "stop_index": event.stop_index, "place_id": stop.place_id, "note": event.note,
        "at": event.meta.occurred_at.isoformat()}))
