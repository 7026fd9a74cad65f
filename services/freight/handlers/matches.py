"""freight.matches -> a match's life in Redis, and the agreement.

| event | does |
|---|---|
| MatchProposed | stores the proposal (the matching round wrote it already; a rebuild or another worker did not) |
| MatchAccepted | records the side; once both sides have accepted the match is agreed if the trip still has the room with everything else it carries (MatchAgreed, the hand-over code to the sender, word to the driver), else cancelled (MatchCancelled, NO_CAPACITY_LEFT) and its load matched again |
| MatchDeclined | the pair is excluded, the load matched again, the other side told |
| MatchAgreed, MatchCancelled | projected (the decision wrote them already) |
| LoadPickedUp, LoadDelivered | the hand-over (the API checked the code) |

The agreement is the one step that must never promise room twice: it reads the
trip's held matches and their loads under WATCH and commits in one MULTI/EXEC with
its processed marker (`Outbox`), so two acceptances for one trip on two partitions
decide one after the other, and a redelivered acceptance decides nothing again.
"""

from __future__ import annotations

import logging

from redis.asyncio import Redis

from nahnetz.events import Event, new_event
from nahnetz.messaging.handling import InvalidEvent
from nahnetz.messaging.idempotency import Transaction
from nahnetz.messaging.outbox import Outbox
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import (
    LoadDelivered, LoadPickedUp, MatchAccepted, MatchAgreed, MatchCancelled, MatchDeclined, MatchProposed,
)

from .. import keys
from ..domain import lifecycle
from ..domain.handover import handover_code
from ..domain.routes import best_route
from ..settings import FreightSettings
from .notices import PRODUCER, derived_id, match_params, notice
from .places import travel_times
from .state import Doc, domain_load, domain_trip, dump, ms, places_of, read_doc, stage_match

log = logging.getLogger(__name__)


def proposal_doc(event: MatchProposed) -> Doc:
    return {
        "match_id": event.match_id, "trip_id": event.trip_id, "load_id": event.load_id,
        "trip_participant_id": event.trip_participant_id, "load_participant_id": event.load_participant_id,
        "status": lifecycle.PROPOSED, "accepted_by": [], "price_cents": event.price.amount_cents,
        "detour_km": event.detour_km, "detour_min": event.detour_min, "km_avoided": event.empty_km_avoided,
        "co2_kg_avoided": event.co2_kg_avoided, "pickup_eta": ms(event.pickup_eta),
        "respond_by": ms(event.respond_by), "proposed_at": ms(event.meta.occurred_at),
        "stops": [{"action": str(s.action), "load_id": s.load_id, "name": s.place.name,
                   "lat": s.place.location.lat, "lon": s.place.location.lon, "eta": ms(s.eta)} for s in event.stops],
    }


async def handle_match_event(event: Event, redis: Redis, producer: EventProducer,
                             settings: FreightSettings) -> list[Event]:
    match_id = getattr(event, "match_id", None)
    if match_id is None:
        return []
    watch = [keys.match(match_id), keys.load(event.load_id), keys.trip(event.trip_id), keys.holding(event.trip_id)]
    return await Outbox(redis, producer, keys.MATCH_EVENT).decide(
        event.event_id, lambda tx: _decide(tx, event, settings), watch=watch)


async def _decide(tx: Transaction, event: Event, settings: FreightSettings) -> list[Event]:
    match = await read_doc(tx.read, keys.match(event.match_id))
    load = await read_doc(tx.read, keys.load(event.load_id))
    if isinstance(event, MatchProposed):
        if match is not None:
            return []  # the matching round that proposed it wrote it already
        trip = await read_doc(tx.read, keys.trip(event.trip_id))
        if (load is None or load["status"] != lifecycle.OPEN or trip is None or trip["status"] != "OPEN"):
            # Proposed by a matcher that had not seen the load or trip go: void at once.
            return _cancel(tx, event, proposal_doc(event), load, None, "OTHER", notify=False)
        stage_match(tx.write, proposal_doc(event), load)
        return []
    if match is None:
        raise InvalidEvent(f"{event.type}: match {event.match_id} was never proposed")
    if (match["trip_id"], match["load_id"]) != (event.trip_id, event.load_id):
        raise InvalidEvent(f"{event.type}: match {event.match_id} is of trip {match['trip_id']} and "
                           f"load {match['load_id']}, not {event.trip_id} and {event.load_id}")
    if isinstance(event, MatchAccepted):
        return await _accepted(tx, event, match, load, settings)
    if isinstance(event, MatchDeclined):
        return await _declined(tx, event, match, load)
    _project(tx, event, match, load)
    return []


def _project(tx: Transaction, event: Event, match: Doc, load: Doc | None) -> None:
    """The state an event of the match means, when it moves the match forward (else nothing)."""
    target = {MatchAgreed: lifecycle.AGREED, MatchCancelled: lifecycle.CANCELLED, MatchDeclined: lifecycle.DECLINED,
              LoadPickedUp: lifecycle.PICKED_UP, LoadDelivered: lifecycle.DELIVERED}.get(type(event))
    if target is None or not lifecycle.may_become(match["status"], target):
        return
    match = {**match, "status": target}
    when = ms(event.meta.occurred_at)
    if isinstance(event, LoadPickedUp):
        match["picked_up_at"] = when
    elif isinstance(event, LoadDelivered):
        match["delivered_at"] = when
        if event.proof is not None:
            match["proof"] = {"name": event.proof.signature_name, "photo_ref": event.proof.photo_ref}
    elif isinstance(event, MatchAgreed):
        match["agreed_at"] = when
    stage_match(tx.write, match, load)


async def _accepted(tx: Transaction, event: MatchAccepted, match: Doc, load: Doc | None,
                    settings: FreightSettings) -> list[Event]:
    if match["status"] != lifecycle.PROPOSED:
        return []  # decided already (agreed, declined or cancelled)
    sides = sorted(set(match["accepted_by"]) | {str(event.accepted_by)})
    match = {**match, "accepted_by": sides}
    if not lifecycle.both_accepted(set(sides)):
        tx.write.set(keys.match(match["match_id"]), dump(match))
        return []
    trip = await read_doc(tx.read, keys.trip(match["trip_id"]))
    if trip is None or load is None or trip["status"] != "OPEN" or load["status"] == "WITHDRAWN":
        return _cancel(tx, event, match, load, trip, "NO_CAPACITY_LEFT")
    # The trip's agreed loads (and those on board) with this one: still one feasible route?
    others = []
    for match_id in sorted(await tx.read.smembers(keys.holding(match["trip_id"]))):
        if match_id == match["match_id"]:
            continue
        await tx.watch(keys.match(match_id))
        other = await read_doc(tx.read, keys.match(match_id))
        if other is not None and other["status"] in (lifecycle.AGREED, lifecycle.PICKED_UP):
            other_load = await read_doc(tx.read, keys.load(other["load_id"]))
            if other_load is not None:
                others.append(other_load)
    if not await _still_fits(trip, [*others, load], settings):
        return _cancel(tx, event, match, load, trip, "NO_CAPACITY_LEFT")
    match = {**match, "status": lifecycle.AGREED, "agreed_at": ms(event.meta.occurred_at)}
    stage_match(tx.write, match, load)
    agreed = new_event(MatchAgreed, producer=PRODUCER, caused_by=event, event_id=derived_id("agreed", match["match_id"]),
                       match_id=match["match_id"], trip_id=match["trip_id"], load_id=match["load_id"],
                       price={"amount_cents": match["price_cents"]}, detour_km=match["detour_km"],
                       km_avoided=match["km_avoided"], co2_kg_avoided=match.get("co2_kg_avoided") or 0.0)
    params = match_params(match, trip, load)
    code = handover_code(settings.code_key, match["match_id"])
    return [agreed,
            notice("freight_match_agreed_sender", load["participant_id"], load.get("channel"),
                   params | {"code": code}, caused_by=agreed, key=match["match_id"]),
            notice("freight_match_agreed_driver", trip["participant_id"], trip.get("channel"), params,
                   caused_by=agreed, key=match["match_id"])]


async def _still_fits(trip: Doc, loads: list[Doc], settings: FreightSettings) -> bool:
    points, index = places_of([trip], loads)
    times = await travel_times(points, settings.circuity)
    return best_route(domain_trip(trip, index), [domain_load(l, index) for l in loads], times) is not None


def _cancel(tx: Transaction, cause: Event, match: Doc, load: Doc | None, trip: Doc | None, reason: str, *,
            notify: bool = True) -> list[Event]:
    match = {**match, "status": lifecycle.CANCELLED, "cancel_reason": reason}
    stage_match(tx.write, match, load)
    cancelled = new_event(MatchCancelled, producer=PRODUCER, caused_by=cause,
                          event_id=derived_id("cancelled", match["match_id"]), match_id=match["match_id"],
                          trip_id=match["trip_id"], load_id=match["load_id"], cancelled_by="SYSTEM", reason=reason,
                          was_agreed=False, note="the trip has no room left for this load"
                          if reason == "NO_CAPACITY_LEFT" else "the load or trip is no longer on offer")
    events: list[Event] = [cancelled]
    if not notify:
        return events
    params = match_params(match, trip, load)
    for side in (load, trip):
        if side is not None:
            events.append(notice("freight_match_overtaken", side["participant_id"], side.get("channel"), params,
                                 caused_by=cancelled, key=match["match_id"]))
    return events


async def _declined(tx: Transaction, event: MatchDeclined, match: Doc, load: Doc | None) -> list[Event]:
    if match["status"] != lifecycle.PROPOSED:
        return []
    trip = await read_doc(tx.read, keys.trip(match["trip_id"]))
    match = {**match, "status": lifecycle.DECLINED, "declined_by": str(event.declined_by),
             "decline_reason": str(event.reason)}
    stage_match(tx.write, match, load)
    params = match_params(match, trip, load)
    if str(event.declined_by) not in (lifecycle.LOAD_SIDE, lifecycle.TRIP_SIDE):
        # Nobody answered in time: both sides learn that the proposal lapsed, the sender
        # that the search goes on (a letter or SMS must not leave anyone waiting).
        return [notice("freight_match_lapsed", side["participant_id"], side.get("channel"), params,
                       caused_by=event, key=f"{match['match_id']}:{role}")
                for role, side in (("trip", trip), ("load", load)) if side is not None]
    # The other side learns it (the one who declined knows).
    other = trip if str(event.declined_by) == lifecycle.LOAD_SIDE else load
    if other is None:
        return []
    return [notice("freight_match_declined", other["participant_id"], other.get("channel"),
                   params, caused_by=event, key=match["match_id"])]


async def project_match(event: Event, redis: Redis) -> None:
    """For a rebuild: each match event's state, without new decisions (those are on the topic)."""
    match_id = getattr(event, "match_id", None)
    if match_id is None:
        return
    async with redis.pipeline(transaction=True) as pipe:
        await pipe.watch(keys.match(match_id))
        match = await read_doc(pipe, keys.match(match_id))
        load = await read_doc(pipe, keys.load(event.load_id))
        tx = Transaction(pipe)
        if isinstance(event, MatchProposed):
            if match is None:
                trip = await read_doc(pipe, keys.trip(event.trip_id))
                proposal = proposal_doc(event)
                if load is None or load["status"] != lifecycle.OPEN or trip is None or trip["status"] != "OPEN":
                    proposal["status"] = lifecycle.CANCELLED  # void at once, as the worker decided
                stage_match(tx.write, proposal, load)
        elif match is not None:
            if isinstance(event, MatchAccepted):
                if match["status"] == lifecycle.PROPOSED:
                    match = {**match, "accepted_by": sorted(set(match["accepted_by"]) | {str(event.accepted_by)})}
                    tx.write.set(keys.match(match_id), dump(match))
            else:
                _project(tx, event, match, load)
        tx.write.set(keys.MATCHING_DUE, "1")  # (every step writes at least this)
        await pipe.execute()
