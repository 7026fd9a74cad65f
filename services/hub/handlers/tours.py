"""Drivers' reports (logistics.tours) turned into shipment events.

TourDispatched is kept (`hub:tour:<id>`) so a later report at stop n knows what
kind of stop n is; all events of a tour share its partition, so the dispatch is
always there first. A report may name a shipment whose request the hub has not
decided yet (orders.orders is read beside logistics.tours, e.g. when a new
consumer group replays history): that is retried (`NotRequestedYet`) until the
orders side catches up, and dead-lettered only if it never does. Each shipment event is decided once per shipment, step and
tour (processed marker holding the event), so a repeated report publishes
nothing new. See `domain/progress.py` for what each report means.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from redis.asyncio import Redis

from nahnetz.events import Event, new_event, read_event
from nahnetz.messaging.handling import InvalidEvent
from nahnetz.messaging.idempotency import ProcessedMarkers, Transaction
from nahnetz.messaging.producer import EventProducer

from .. import keys
from ..domain.opening_hours import local_day
from ..domain.progress import (
    DispatchedTour,
    ReportMismatch,
    Transition,
    TourStop,
    delivered_compartments,
    is_missed_collection,
    reported_shipments,
    transition_for,
)
from ..domain.shipments import CollectionRules, collection_day_of, rescheduled
from .places import load_point, load_shop
from .publishing import publish_decided
from .requests import PRODUCER

log = logging.getLogger(__name__)

SHIPMENT_PROGRESS = "hub.shipment_progress"


class NotRequestedYet(RuntimeError):
    """A report names a shipment the hub has not requested (yet): try again later."""

MISSED_COLLECTION = "hub.missed_collection"


async def on_tour_event(event: Event, redis: Redis, producer: EventProducer, *, hub_id: str,
                        rules: CollectionRules) -> list[Event]:
    """The shipment events published for this tour event."""
    if event.type == "TourDispatched":
        tour = DispatchedTour.from_event(event.data)
        await redis.set(keys.tour(tour.tour_id), json.dumps(tour.as_json()))
        return []
    if event.type == "StopCompleted":
        return await stop_completed(event, redis, producer, hub_id)
    if event.type == "StopFailed":
        return await stop_failed(event, redis, producer, rules)
    return []  # TourCompleted: the shipments have been reported stop by stop


async def _stop_of(event: Event, redis: Redis) -> TourStop:
    raw = await redis.get(keys.tour(event.tour_id))
    if raw is None:
        raise InvalidEvent(f"{event.type} for tour {event.tour_id}, which was never dispatched")
    try:
        return DispatchedTour.from_json(json.loads(raw)).stop(event.stop_index)
    except ReportMismatch as exc:
        raise InvalidEvent(str(exc)) from exc


async def current_request(redis: Redis, shipment_id: str) -> Event | None:
    raw = await redis.get(keys.request(shipment_id))
    return None if raw is None else read_event(raw)


async def stop_completed(event: Event, redis: Redis, producer: EventProducer, hub_id: str) -> list[Event]:
    stop = await _stop_of(event, redis)
    try:
        transition = transition_for(stop, event.kind)
    except ReportMismatch as exc:
        raise InvalidEvent(f"tour {event.tour_id} stop {event.stop_index}: {exc}") from exc
    if transition is None:
        return []
    markers = ProcessedMarkers(redis, SHIPMENT_PROGRESS)
    published, unknown = [], []
    for shipment_id in reported_shipments(stop, event.shipment_ids):
        request = await current_request(redis, shipment_id)
        if request is None:
            unknown.append(shipment_id)
            continue
        fields = _progress_fields(transition, request, event, hub_id)

        async def decide(tx: Transaction, fields: dict[str, Any] = fields) -> bytes:
            return new_event(f"Shipment{_EVENT_SUFFIX[transition]}", producer=PRODUCER, caused_by=event,
                             **fields).encode()

        outcome = await markers.apply(f"{shipment_id}:{transition.value}:{event.tour_id}", decide)
        published.append(await publish_decided(redis, producer, outcome.result))
    if unknown:
        raise NotRequestedYet(f"StopCompleted on tour {event.tour_id} names shipments the hub has not requested: "
                              f"{', '.join(unknown)}")
    return published


_EVENT_SUFFIX = {Transition.COLLECTED: "Collected", Transition.AT_HUB: "AtHub",
                 Transition.DELIVERED: "Delivered"}


def _progress_fields(transition: Transition, request: Event, report: Event, hub_id: str) -> dict[str, Any]:
    base = {"shipment_id": request.shipment_id, "order_id": request.order_id}
    if transition is Transition.COLLECTED:
        return {**base, "tour_id": report.tour_id, "proof": report.proof}
    if transition is Transition.AT_HUB:
        return {**base, "hub_id": hub_id}
    return {**base, "pickup_point_id": request.pickup_point_id, "tour_id": report.tour_id,
            # The report names the compartments of every order unloaded at the stop: this
            # shipment's are those reserved for its order among them (not its neighbours').
            "compartment_ids": list(delivered_compartments(report.compartment_ids, request.compartment_ids))}


async def stop_failed(event: Event, redis: Redis, producer: EventProducer, rules: CollectionRules) -> list[Event]:
    stop = await _stop_of(event, redis)
    shipment_ids = reported_shipments(stop, event.shipment_ids)
    if not is_missed_collection(stop, event.reason):
        for shipment_id in shipment_ids:
            await _record_exception(redis, shipment_id, event, stop)
        return []
    published = []
    for shipment_id in shipment_ids:
        again = await _request_again(event, redis, shipment_id, rules)
        if again is not None:
            published.append(await publish_decided(redis, producer, again))
    return published


async def _request_again(event: Event, redis: Redis, shipment_id: str, rules: CollectionRules) -> bytes | None:
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

    async def decide(tx: Transaction) -> bytes:
        current = read_event(await tx.read.get(request_key))
        missed_on = collection_day_of(current.data) or local_day(event.meta["occurred_at"])
        again = rescheduled(current.data, shop, point, missed_on, rules)
        if again is None:
            tx.write.set(keys.exception(shipment_id), json.dumps({
                "kind": "MISSED_COLLECTION", "reason": event.reason, "tour_id": event.tour_id,
                "note": f"no day within {rules.reschedule_horizon_days} days on which {shop.name} and "
                        f"{point.name} are both open: the operator must arrange it",
                "at": event.meta["occurred_at"].isoformat()}))
            return b""
        encoded = new_event("ShipmentRequested", producer=PRODUCER, caused_by=event,
                            **again.event_fields()).encode()
        tx.write.set(request_key, encoded)
        tx.write.set(keys.exception(shipment_id), json.dumps({
            "kind": "MISSED_COLLECTION", "reason": event.reason, "tour_id": event.tour_id, "note": event.note,
            "at": event.meta["occurred_at"].isoformat(),
            "rescheduled_to": again.plan.collection_day.isoformat(), "attempt": again.attempt}))
        return encoded

    outcome = await ProcessedMarkers(redis, MISSED_COLLECTION).apply(
        f"{shipment_id}:{event.tour_id}", decide, watch=[request_key])
    return outcome.result or None


async def _record_exception(redis: Redis, shipment_id: str, event: Event, stop: TourStop) -> None:
    log.warning("stop failed: %s", event.reason, extra={"shipment_id": shipment_id, "tour_id": event.tour_id})
    await redis.set(keys.exception(shipment_id), json.dumps({
        "kind": f"{stop.kind}_FAILED", "reason": event.reason, "tour_id": event.tour_id,
        "stop_index": event.stop_index, "place_id": stop.place_id, "note": event.note,
        "at": event.meta["occurred_at"].isoformat()}))
