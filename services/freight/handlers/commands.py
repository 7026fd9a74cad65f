"""What the API's writes become: offering and withdrawing trips, posting and
withdrawing loads, answering a proposal, handing a load over with its code and
delivering it with proof.

Each takes plain values (the routes convert the request at the edge, resolve
places and decide who acts for whom) and raises `nahnetz.kit.errors` for what it
refuses; events are published acknowledged, or the request fails with one 503.
Who acted is in each event's `meta.actor` (an assistant: `on_behalf_of` the
participant) and the channel it came by in the event.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redis.asyncio import Redis

from nahnetz.events import Actor, new_event
from nahnetz.kit.errors import Conflict, DomainError, Forbidden, NotFound, Unprocessable
from nahnetz.kit.publishing import publish
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import (
    LoadDelivered, LoadPickedUp, LoadPosted, LoadWithdrawn, MatchAccepted, MatchDeclined, TripOffered, TripWithdrawn,
)

from .. import keys
from ..domain import lifecycle
from ..domain.handover import code_matches
from ..domain.listings import Problem
from ..settings import FreightSettings
from .state import Doc, read_doc

API = "freight-api"


class Locked(DomainError, status_code=429, code="too_many_attempts"):
    """Too many wrong hand-over codes (429)."""


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def refuse(problems: list[Problem]) -> None:
    """422 naming each field that breaks a rule."""
    if problems:
        raise Unprocessable("; ".join(f"{p.field}: {p.message}" for p in problems),
                            details={"problems": [p.as_json() for p in problems]})


async def _claim(redis: Redis, key: str, kind: str, ident: str) -> None:
    if not await redis.set(key, "1", nx=True):
        raise Conflict(f"a {kind} with the id {ident} exists already")


async def offer_trips(offers: list[dict[str, Any]], *, actor: Actor, redis: Redis,
                      producer: EventProducer) -> list[TripOffered]:
    """TripOffered for each dated offer (one, or the weeks of a weekly trip)."""
    claimed = []
    try:
        for fields in offers:
            await _claim(redis, keys.trip_claim(fields["trip_id"]), "trip", fields["trip_id"])
            claimed.append(keys.trip_claim(fields["trip_id"]))
        events = [new_event(TripOffered, producer=API, actor=actor, **fields) for fields in offers]
        await publish(producer, *events)
    except Exception:
        if claimed:
            await redis.delete(*claimed)
        raise
    return events


async def post_load(fields: dict[str, Any], *, actor: Actor, redis: Redis, producer: EventProducer) -> LoadPosted:
    await _claim(redis, keys.load_claim(fields["load_id"]), "load", fields["load_id"])
    try:
        posted = new_event(LoadPosted, producer=API, actor=actor, **fields)
        await publish(producer, posted)
    except Exception:
        await redis.delete(keys.load_claim(fields["load_id"]))
        raise
    return posted


async def withdraw_trip(trip: Doc, *, reason: str, note: str | None, actor: Actor,
                        producer: EventProducer) -> TripWithdrawn:
    if trip["status"] == "WITHDRAWN":
        raise Conflict(f"trip {trip['trip_id']} is withdrawn already")
    event = new_event(TripWithdrawn, producer=API, actor=actor, trip_id=trip["trip_id"],
                      participant_id=trip["participant_id"], reason=reason, note=note)
    await publish(producer, event)
    return event


async def withdraw_load(load: Doc, *, reason: str, note: str | None, actor: Actor,
                        producer: EventProducer) -> LoadWithdrawn:
    if load["status"] == "WITHDRAWN":
        raise Conflict(f"load {load['load_id']} is withdrawn already")
    if load["status"] in (lifecycle.PICKED_UP, lifecycle.DELIVERED):
        raise Conflict(f"load {load['load_id']} is on its way already ({load['status']})")
    event = new_event(LoadWithdrawn, producer=API, actor=actor, load_id=load["load_id"],
                      participant_id=load["participant_id"], reason=reason, note=note)
    await publish(producer, event)
    return event


async def existing_match(redis: Redis, match_id: str) -> Doc:
    match = await read_doc(redis, keys.match(match_id))
    if match is None:
        raise NotFound(f"no match {match_id}")
    return match


async def accept(match: Doc, *, side: str, channel: str, actor: Actor, producer: EventProducer) -> MatchAccepted:
    if match["status"] != lifecycle.PROPOSED:
        raise Conflict(f"match {match['match_id']} is {match['status']}, not open for answers")
    if side in match.get("accepted_by", []):
        raise Conflict(f"the {side} side accepted match {match['match_id']} already")
    event = new_event(MatchAccepted, producer=API, actor=actor, match_id=match["match_id"], trip_id=match["trip_id"],
                      load_id=match["load_id"], price={"amount_cents": match["price_cents"]}, accepted_by=side,
                      channel=channel)
    await publish(producer, event)
    return event


async def decline(match: Doc, *, side: str, reason: str, note: str | None, channel: str, actor: Actor,
                  producer: EventProducer) -> MatchDeclined:
    if match["status"] != lifecycle.PROPOSED:
        raise Conflict(f"match {match['match_id']} is {match['status']}, not open for answers")
    event = new_event(MatchDeclined, producer=API, actor=actor, match_id=match["match_id"], trip_id=match["trip_id"],
                      load_id=match["load_id"], declined_by=side, reason=reason, note=note, channel=channel)
    await publish(producer, event)
    return event


async def _check_code(redis: Redis, match: Doc, code: str, caller: str, settings: FreightSettings,
                      now: datetime) -> None:
    window = int(now.timestamp()) // settings.attempt_window_seconds
    key = keys.attempts(match["match_id"], f"{caller}:{window}")
    tries = await redis.incr(key)
    if tries == 1:
        await redis.expire(key, settings.attempt_window_seconds)
    if tries > settings.code_attempts:
        raise Locked(f"too many hand-over codes tried for match {match['match_id']}; wait a few minutes",
                     headers={"Retry-After": str(settings.attempt_window_seconds)})
    if not code_matches(settings.code_key, match["match_id"], code):
        raise Forbidden("the hand-over code is wrong")


async def pick_up(match: Doc, *, code: str, actor: Actor, redis: Redis, producer: EventProducer,
                  settings: FreightSettings, now: datetime) -> LoadPickedUp:
    if match["status"] != lifecycle.AGREED:
        raise Conflict(f"match {match['match_id']} is {match['status']}: only an agreed match is picked up")
    await _check_code(redis, match, code, actor.user_id, settings, now)
    event = new_event(LoadPickedUp, producer=API, actor=actor, match_id=match["match_id"], trip_id=match["trip_id"],
                      load_id=match["load_id"], proof={"signature_name": None})
    await publish(producer, event)
    return event


@dataclass(frozen=True)
class Proof:
    code: str
    received_by: str
    photo_ref: str | None


async def deliver(match: Doc, *, proof: Proof, actor: Actor, redis: Redis, producer: EventProducer,
                  settings: FreightSettings, now: datetime) -> LoadDelivered:
    if match["status"] != lifecycle.PICKED_UP:
        raise Conflict(f"match {match['match_id']} is {match['status']}: only a picked-up load is delivered")
    await _check_code(redis, match, proof.code, actor.user_id, settings, now)
    event = new_event(LoadDelivered, producer=API, actor=actor, match_id=match["match_id"], trip_id=match["trip_id"],
                      load_id=match["load_id"],
                      proof={"signature_name": proof.received_by, "photo_ref": proof.photo_ref},
                      km_avoided=match.get("km_avoided"), co2_kg_avoided=match.get("co2_kg_avoided"))
    await publish(producer, event)
    return event
