"""One handler per topic family: read what the fold keeps of the entity, fold the
event (pure, `domain/`), write the new trace and the changes with the event's
processed marker in one transaction. A redelivered event finds its marker and
changes nothing; an event the fold cannot place (an order event without its
OrderPlaced) is an `InvalidEvent`: dead-lettered by the handling loop, skipped by
the rebuild alike.

    await handle_order_event(event, redis)
"""

from __future__ import annotations

import json

from redis.asyncio import Redis

from nahnetz.messaging.handling import InvalidEvent
from nahnetz.messaging.idempotency import ProcessedMarkers, Transaction
from nahnetz.records import (
    PickupPointRegistered, PickupPointUpdated, ProductDelisted, ProductListed, RoutePlanned,
    ShopClosed, ShopRegistered, ShopUpdated, TripOffered,
)
from nahnetz.records.base import EventRecord

from .. import keys
from ..domain.changes import LOAD, TRIP
from ..domain.compartments import fold_reservation
from ..domain.freight import MatchTrace, fold_listing, fold_match
from ..domain.orders import OrderNotPlaced, OrderTrace, fold_order
from ..domain.tours import TourNotDispatched, TourTrace, fold_tour, planned_tours
from ..domain.trade import fold_catalog
from .cells import stage
from .places import dump, project_point, read_doc, staged_shop


async def handle_order_event(event: EventRecord, redis: Redis) -> None:
    key = keys.order(event.order_id)

    async def step(tx: Transaction) -> None:
        doc = await read_doc(tx.read, key)
        try:
            trace, changes = fold_order(None if doc is None else OrderTrace.from_json(doc), event)
        except OrderNotPlaced as exc:
            raise InvalidEvent(str(exc)) from None
        if trace is not None:
            tx.write.set(key, dump(trace.as_json()))
        stage(tx.write, changes)

    await ProcessedMarkers(redis, keys.ORDER_EVENT).apply(event.event_id, step, read_ahead=[("GET", key)])


async def handle_reservation_event(event: EventRecord, redis: Redis) -> None:
    changes = fold_reservation(event)
    if not changes:
        return

    async def step(tx: Transaction) -> None:
        stage(tx.write, changes)

    await ProcessedMarkers(redis, keys.RESERVATION_EVENT).apply(event.event_id, step)


async def handle_point_event(event: EventRecord, redis: Redis) -> None:
    # The latest document wins: a redelivery writes the same one again.
    if isinstance(event, (PickupPointRegistered, PickupPointUpdated)):
        await project_point(event, redis)


async def handle_catalog_event(event: EventRecord, redis: Redis) -> None:
    """catalog.shops and catalog.products: the shop's document and the trade deltas."""
    if isinstance(event, (ShopRegistered, ShopUpdated, ShopClosed)):
        key = keys.shop(event.shop_id)

        async def step(tx: Transaction) -> None:
            before = await read_doc(tx.read, key)
            active = before is not None and before.get("open", True)
            changes = fold_catalog(event, active) if not isinstance(event, ShopUpdated) else []
            staged_shop(tx.write, event, before)
            stage(tx.write, changes)

        await ProcessedMarkers(redis, keys.CATALOG_EVENT).apply(event.event_id, step, watch=[key])
    elif isinstance(event, (ProductListed, ProductDelisted)):
        key = keys.listed(event.product_id)
        # The set earlier versions kept is still read, so a product listed then stays
        # listed; it only shrinks (SREM of a product not in it changes nothing a WATCH sees).
        reads = [("EXISTS", key), ("SISMEMBER", keys.LISTED, event.product_id)]

        async def step(tx: Transaction) -> None:
            listed = bool(await tx.read.exists(key)) or bool(await tx.read.sismember(keys.LISTED, event.product_id))
            changes = fold_catalog(event, listed)
            if isinstance(event, ProductListed):
                tx.write.set(key, "1")
            else:
                tx.write.delete(key)
            tx.write.srem(keys.LISTED, event.product_id)
            stage(tx.write, changes)

        await ProcessedMarkers(redis, keys.CATALOG_EVENT).apply(event.event_id, step, read_ahead=reads)


async def handle_tour_event(event: EventRecord, redis: Redis, on_time_tolerance_s: int) -> None:
    key = keys.tour(event.tour_id)

    async def step(tx: Transaction) -> None:
        doc = await read_doc(tx.read, key)
        try:
            trace, changes = fold_tour(None if doc is None else TourTrace.from_json(doc), event, on_time_tolerance_s)
        except TourNotDispatched as exc:
            raise InvalidEvent(str(exc)) from None
        if trace is not None:
            tx.write.set(key, dump(trace.as_json()))
        stage(tx.write, changes)

    await ProcessedMarkers(redis, keys.TOUR_EVENT).apply(event.event_id, step, watch=[key])


async def handle_plan_event(event: EventRecord, redis: Redis) -> None:
    """The plan's figures per tour (tour ids are made from the plan id: a re-plan writes its own)."""
    if not isinstance(event, RoutePlanned):
        return
    planned = planned_tours(event)
    if planned:
        await redis.mset({keys.tour_plan(tour_id): json.dumps(figures, sort_keys=True)
                          for tour_id, figures in planned.items()})


async def handle_listing_event(event: EventRecord, redis: Redis) -> None:
    """freight.trips and freight.loads: where each starts, and its count."""
    origin, changes = fold_listing(event)
    if origin is None:
        return
    kind, ref = (TRIP, event.trip_id) if isinstance(event, TripOffered) else (LOAD, event.load_id)

    async def step(tx: Transaction) -> None:
        tx.write.set(keys.origin(kind, ref), dump({"name": origin.name, "lat": origin.lat, "lon": origin.lon}))
        stage(tx.write, changes)

    await ProcessedMarkers(redis, keys.LISTING_EVENT).apply(event.event_id, step)


async def handle_match_event(event: EventRecord, redis: Redis) -> None:
    key = keys.match(event.match_id)

    async def step(tx: Transaction) -> None:
        doc = await read_doc(tx.read, key)
        trace, changes = fold_match(None if doc is None else MatchTrace.from_json(doc), event)
        if trace is not None:
            tx.write.set(key, dump(trace.as_json()))
        stage(tx.write, changes)

    await ProcessedMarkers(redis, keys.MATCH_EVENT).apply(event.event_id, step, watch=[key])
