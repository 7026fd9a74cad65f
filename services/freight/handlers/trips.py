"""freight.trips -> the trip offers in Redis; a withdrawn trip gives its loads back.

TripOffered stores (or, for the same trip id, changes) the offer and asks for a
matching round. TripWithdrawn takes it off the exchange: proposals and agreed
matches on it are cancelled (MatchCancelled), their loads go back into matching
and the senders are told (NotificationRequested). A load already picked up stays
with its driver. Both are decided once per event (`Outbox`).
"""

from __future__ import annotations

from redis.asyncio import Redis

from nahnetz.events import Event, new_event
from nahnetz.messaging.handling import InvalidEvent
from nahnetz.messaging.idempotency import Transaction
from nahnetz.messaging.outbox import Outbox
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import MatchCancelled, TripOffered, TripWithdrawn

from .. import keys
from ..domain import lifecycle
from ..domain.listings import trip_problems
from .notices import PRODUCER, derived_id, match_params, notice
from .state import Doc, dump, ms, place_json, read_doc, stage_match


def trip_doc(event: TripOffered) -> Doc:
    actor = event.meta.actor
    return {
        "trip_id": event.trip_id, "participant_id": event.participant_id,
        "participant_kind": str(event.participant_kind), "participant_name": event.participant_name,
        "origin": place_json(event.origin), "destination": place_json(event.destination),
        "via": [place_json(p) for p in event.via],
        "depart_start": ms(event.departure.start), "depart_end": ms(event.departure.end),
        "arrive_by": ms(event.arrive_by), "spare_weight_g": event.spare_weight_g,
        "spare_volume_ml": event.spare_volume_ml, "spare_parcels": event.spare_parcels,
        "temperature": str(event.temperature_class),
        "max_detour_m": None if event.max_detour_km is None else round(event.max_detour_km * 1000),
        "max_detour_s": None if event.max_detour_min is None else event.max_detour_min * 60,
        "price_rule": str(event.price_rule),
        "price_per_km_cents": event.price_per_km.amount_cents if event.price_per_km else None,
        "fixed_price_cents": event.fixed_price.amount_cents if event.fixed_price else None,
        "recurrence_id": event.recurrence_id, "tour_id": event.tour_id, "plan_id": event.plan_id,
        "channel": str(event.channel), "note": event.note,
        "entered_by": actor.user_id if actor else None,
        "assisted": bool(actor and actor.on_behalf_of),
        "status": "OPEN", "offered_at": ms(event.meta.occurred_at), "version": event.event_id,
    }


def check_trip(doc: Doc) -> None:
    problems = trip_problems(
        departure_start=doc["depart_start"], departure_end=doc["depart_end"], arrive_by=doc["arrive_by"],
        spare_weight_g=doc["spare_weight_g"], spare_volume_ml=doc["spare_volume_ml"],
        spare_parcels=doc["spare_parcels"], max_detour_m=doc["max_detour_m"], max_detour_s=doc["max_detour_s"],
        price_rule=doc["price_rule"], price_per_km_cents=doc["price_per_km_cents"],
        fixed_price_cents=doc["fixed_price_cents"])
    if problems:
        raise InvalidEvent(f"trip {doc['trip_id']}: " + "; ".join(f"{p.field}: {p.message}" for p in problems))


async def handle_trip_event(event: Event, redis: Redis, producer: EventProducer) -> list[Event]:
    if isinstance(event, TripOffered):
        return await Outbox(redis, producer, keys.TRIP_EVENT).decide(
            event.event_id, lambda tx: _offered(tx, event), watch=[keys.trip(event.trip_id)])
    if isinstance(event, TripWithdrawn):
        return await Outbox(redis, producer, keys.TRIP_EVENT).decide(
            event.event_id, lambda tx: _withdrawn(tx, event), watch=[keys.trip(event.trip_id),
                                                                     keys.holding(event.trip_id)])
    return []


async def _offered(tx: Transaction, event: TripOffered) -> list[Event]:
    doc = trip_doc(event)
    check_trip(doc)
    current = await read_doc(tx.read, keys.trip(event.trip_id))
    if current is not None and current["status"] == "WITHDRAWN":
        return []  # withdrawn stays withdrawn
    if current is not None and current.get("offered_at", 0) > doc["offered_at"]:
        return []  # an older version arriving late
    cancelled: list[Event] = []
    if current is not None:
        # A changed offer (e.g. a re-planned hub tour) that has less room than it promised gives
        # the promised loads back rather than overfill the vehicle.
        held = [m for m in await _holding(tx, event.trip_id) if m["status"] in (lifecycle.PROPOSED, lifecycle.AGREED)]
        loads = {m["load_id"]: await read_doc(tx.read, keys.load(m["load_id"])) for m in held}
        promised = sum(l["weight_g"] for l in loads.values() if l)
        if held and (promised > doc["spare_weight_g"] or doc["depart_start"] != current["depart_start"]):
            cancelled = _cancel_all(tx, held, loads, {**current, **doc}, event, reason="PLANS_CHANGED")
        doc["status"] = current["status"]
    _write_trip(tx, doc)
    return cancelled


def _write_trip(tx: Transaction, doc: Doc) -> None:
    w = tx.write
    w.set(keys.trip(doc["trip_id"]), dump(doc))
    w.sadd(keys.TRIPS_OPEN, doc["trip_id"])
    w.sadd(keys.participant(doc["participant_id"]), f"trip:{doc['trip_id']}")
    if doc.get("plan_id"):
        w.sadd(keys.plan_trips(doc["plan_id"]), doc["trip_id"])
    w.set(keys.MATCHING_DUE, "1")


async def _holding(tx: Transaction, trip_id: str) -> list[Doc]:
    found = []
    for match_id in sorted(await tx.read.smembers(keys.holding(trip_id))):
        await tx.watch(keys.match(match_id))
        match = await read_doc(tx.read, keys.match(match_id))
        if match is not None:
            found.append(match)
    for match in found:
        await tx.watch(keys.load(match["load_id"]))
    return found


def _cancel_all(tx: Transaction, held: list[Doc], loads: dict[str, Doc | None], trip: Doc, cause: Event,
                reason: str) -> list[Event]:
    events: list[Event] = []
    for match in held:
        was_agreed = match["status"] == lifecycle.AGREED
        match = {**match, "status": lifecycle.CANCELLED, "cancel_reason": reason}
        load = loads.get(match["load_id"])
        stage_match(tx.write, match, load)
        cancelled = new_event(MatchCancelled, producer=PRODUCER, caused_by=cause,
                              event_id=derived_id("cancelled", match["match_id"]), match_id=match["match_id"],
                              trip_id=match["trip_id"], load_id=match["load_id"], cancelled_by="TRIP_PROVIDER",
                              reason=reason, was_agreed=was_agreed)
        events.append(cancelled)
        params = match_params(match, trip, load)
        if load is not None:
            events.append(notice("freight_trip_cancelled", load["participant_id"], load.get("channel"), params,
                                 caused_by=cancelled, key=match["match_id"]))
    return events


async def _withdrawn(tx: Transaction, event: TripWithdrawn) -> list[Event]:
    trip = await read_doc(tx.read, keys.trip(event.trip_id))
    if trip is None:
        raise InvalidEvent(f"trip {event.trip_id} was never offered")
    if trip["status"] == "WITHDRAWN":
        return []
    held = [m for m in await _holding(tx, event.trip_id) if m["status"] in (lifecycle.PROPOSED, lifecycle.AGREED)]
    loads = {m["load_id"]: await read_doc(tx.read, keys.load(m["load_id"])) for m in held}
    trip = {**trip, "status": "WITHDRAWN", "withdrawn_at": ms(event.meta.occurred_at),
            "withdraw_reason": str(event.reason)}
    events = _cancel_all(tx, held, loads, trip, event, reason=str(event.reason))
    tx.write.set(keys.trip(event.trip_id), dump(trip))
    tx.write.srem(keys.TRIPS_OPEN, event.trip_id)
    tx.write.set(keys.MATCHING_DUE, "1")
    return events


async def project_trip(event: Event, redis: Redis) -> None:
    """For a rebuild: the trip's own state only (what it meant for matches comes with the
    MatchCancelled events that followed it)."""
    if isinstance(event, TripOffered):
        doc = trip_doc(event)
        current = await read_doc(redis, keys.trip(event.trip_id))
        if current is not None:
            if current["status"] == "WITHDRAWN":
                return
            doc["status"] = current["status"]
        async with redis.pipeline(transaction=True) as pipe:
            pipe.set(keys.trip(doc["trip_id"]), dump(doc))
            pipe.sadd(keys.TRIPS_OPEN, doc["trip_id"])
            pipe.sadd(keys.participant(doc["participant_id"]), f"trip:{doc['trip_id']}")
            if doc.get("plan_id"):
                pipe.sadd(keys.plan_trips(doc["plan_id"]), doc["trip_id"])
            await pipe.execute()
    elif isinstance(event, TripWithdrawn):
        current = await read_doc(redis, keys.trip(event.trip_id))
        if current is None:
            return
        current |= {"status": "WITHDRAWN", "withdrawn_at": ms(event.meta.occurred_at),
                    "withdraw_reason": str(event.reason)}
        async with redis.pipeline(transaction=True) as pipe:
            pipe.set(keys.trip(event.trip_id), dump(current))
            pipe.srem(keys.TRIPS_OPEN, event.trip_id)
            await pipe.execute()
