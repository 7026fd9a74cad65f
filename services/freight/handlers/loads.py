"""freight.loads -> the loads in Redis; a withdrawn load frees its trip's room.

LoadPosted stores the load and asks for a matching round, unless no trip of the
exchange could ever carry it (then it is stored as unmatchable, with the reason
people see). LoadWithdrawn takes it off: its proposal or agreed match is
cancelled and the driver told. Both are decided once per event (`Outbox`).
"""

from __future__ import annotations

from redis.asyncio import Redis

from nahnetz.events import Event, new_event
from nahnetz.messaging.handling import InvalidEvent
from nahnetz.messaging.idempotency import Transaction
from nahnetz.messaging.outbox import Outbox
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import LoadPosted, LoadWithdrawn, MatchCancelled

from .. import keys
from ..domain import lifecycle
from ..domain.listings import load_problems, unmatchable_reason
from ..settings import FreightSettings
from .notices import PRODUCER, derived_id, match_params, notice
from .state import Doc, dump, ms, place_json, read_doc, stage_match


def load_doc(event: LoadPosted, settings: FreightSettings) -> Doc:
    actor = event.meta.actor
    return {
        "load_id": event.load_id, "participant_id": event.participant_id,
        "participant_kind": str(event.participant_kind), "participant_name": event.participant_name,
        "recipient_name": event.recipient_name,
        "origin": place_json(event.origin), "destination": place_json(event.destination),
        "description": event.description, "weight_g": event.weight_g, "volume_ml": event.volume_ml,
        "parcels": event.parcels, "temperature": str(event.temperature_class),
        "pickup_start": ms(event.pickup_window.start), "pickup_end": ms(event.pickup_window.end),
        "delivery_start": ms(event.delivery_window.start), "delivery_end": ms(event.delivery_window.end),
        "max_price_cents": event.offered_price.amount_cents if event.offered_price else None,
        "handling_notes": event.handling_notes, "shipment_id": event.shipment_id,
        "channel": str(event.channel), "entered_by": actor.user_id if actor else None,
        "assisted": bool(actor and actor.on_behalf_of),
        "status": lifecycle.OPEN, "match_id": None, "posted_at": ms(event.meta.occurred_at),
        "unmatchable_reason": unmatchable_reason(event.weight_g, event.volume_ml, settings.max_load_g,
                                                 settings.max_load_ml),
        "unmatched_reason": None, "version": event.event_id,
    }


def check_load(doc: Doc) -> None:
    problems = load_problems(
        pickup_start=doc["pickup_start"], pickup_end=doc["pickup_end"], delivery_start=doc["delivery_start"],
        delivery_end=doc["delivery_end"], weight_g=doc["weight_g"], volume_ml=doc["volume_ml"],
        parcels=doc["parcels"])
    if problems:
        raise InvalidEvent(f"load {doc['load_id']}: " + "; ".join(f"{p.field}: {p.message}" for p in problems))


async def handle_load_event(event: Event, redis: Redis, producer: EventProducer,
                            settings: FreightSettings) -> list[Event]:
    if isinstance(event, LoadPosted):
        return await Outbox(redis, producer, keys.LOAD_EVENT).decide(
            event.event_id, lambda tx: _posted(tx, event, settings), watch=[keys.load(event.load_id)])
    if isinstance(event, LoadWithdrawn):
        return await Outbox(redis, producer, keys.LOAD_EVENT).decide(
            event.event_id, lambda tx: _withdrawn(tx, event), watch=[keys.load(event.load_id)])
    return []


async def _posted(tx: Transaction, event: LoadPosted, settings: FreightSettings) -> list[Event]:
    doc = load_doc(event, settings)
    check_load(doc)
    if await tx.read.exists(keys.load(event.load_id)):
        return []  # a load is posted once; its id was claimed by the API
    w = tx.write
    w.set(keys.load(doc["load_id"]), dump(doc))
    w.sadd(keys.participant(doc["participant_id"]), f"load:{doc['load_id']}")
    if not doc["unmatchable_reason"]:
        w.sadd(keys.LOADS_OPEN, doc["load_id"])
        w.set(keys.MATCHING_DUE, "1")
    return []


async def _withdrawn(tx: Transaction, event: LoadWithdrawn) -> list[Event]:
    load = await read_doc(tx.read, keys.load(event.load_id))
    if load is None:
        raise InvalidEvent(f"load {event.load_id} was never posted")
    if load["status"] in ("WITHDRAWN", lifecycle.PICKED_UP, lifecycle.DELIVERED):
        return []
    events: list[Event] = []
    match = None
    if load.get("match_id"):
        await tx.watch(keys.match(load["match_id"]))
        match = await read_doc(tx.read, keys.match(load["match_id"]))
    trip = None
    if match is not None:
        await tx.watch(keys.trip(match["trip_id"]))
        trip = await read_doc(tx.read, keys.trip(match["trip_id"]))
    load = {**load, "status": "WITHDRAWN", "withdrawn_at": ms(event.meta.occurred_at)}
    if match is not None and match["status"] in (lifecycle.PROPOSED, lifecycle.AGREED):
        was_agreed = match["status"] == lifecycle.AGREED
        match = {**match, "status": lifecycle.CANCELLED, "cancel_reason": str(event.reason)}
        stage_match(tx.write, match, load)
        cancelled = new_event(MatchCancelled, producer=PRODUCER, caused_by=event,
                              event_id=derived_id("cancelled", match["match_id"]), match_id=match["match_id"],
                              trip_id=match["trip_id"], load_id=match["load_id"], cancelled_by="LOAD_PROVIDER",
                              reason=str(event.reason), was_agreed=was_agreed)
        events.append(cancelled)
        if trip is not None:
            events.append(notice("freight_load_withdrawn", trip["participant_id"], trip.get("channel"),
                                 match_params(match, trip, load), caused_by=cancelled, key=match["match_id"]))
    w = tx.write
    w.set(keys.load(event.load_id), dump(load))
    w.srem(keys.LOADS_OPEN, event.load_id)
    return events


async def project_load(event: Event, redis: Redis, settings: FreightSettings) -> None:
    """For a rebuild: the load's own state (its matches come with freight.matches)."""
    if isinstance(event, LoadPosted):
        doc = load_doc(event, settings)
        async with redis.pipeline(transaction=True) as pipe:
            pipe.set(keys.load(doc["load_id"]), dump(doc))
            pipe.sadd(keys.participant(doc["participant_id"]), f"load:{doc['load_id']}")
            if not doc["unmatchable_reason"]:
                pipe.sadd(keys.LOADS_OPEN, doc["load_id"])
            await pipe.execute()
    elif isinstance(event, LoadWithdrawn):
        current = await read_doc(redis, keys.load(event.load_id))
        if current is None:
            return
        current |= {"status": "WITHDRAWN", "withdrawn_at": ms(event.meta.occurred_at)}
        async with redis.pipeline(transaction=True) as pipe:
            pipe.set(keys.load(event.load_id), dump(current))
            pipe.srem(keys.LOADS_OPEN, event.load_id)
            await pipe.execute()
