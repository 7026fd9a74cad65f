"""Collecting a parcel with its code (API): the doors open once for the right code;
wrong codes are counted against whoever typed them (`domain/collection.py`): the
resident's side locks the code, anyone else only locks themselves out.

The parcel's state changes in one WATCH/MULTI step (`domain/collection.py`
decides), so two terminals racing with the right code get one 201 and one 409.
ParcelCollected is published after that step; should it fail, the step is
undone and the doors stay shut. A lock is announced (PickupCodeLocked and the
operator's alert, with the event id the lock step chose) until it went out once.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from nahnetz.events import Actor, new_event
from nahnetz.kit.errors import NotFound
from nahnetz.kit.publishing import publish
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import CollectionMethod, NotificationRequested, ParcelCollected, PickupCodeLocked

from .. import keys
from ..domain.codes import EnteredCode
from ..domain.collection import (
    COLLECTED, DEPOSITED, Caller, Decision, Outcome, collection_method, decide_collection, refusal,
)
from ..domain.notices import code_locked
from ..domain.parcels import caller_failures, compartments_of, failed_by, is_holder, state_of, to_ms
from ..settings import PickupSettings
from .parcels import OpenedDoors, change_parcel
from .points import load_point

log = logging.getLogger(__name__)

API = "pickup-api"


@dataclass(frozen=True)
class Collection(OpenedDoors):
    """The doors a right code opened."""


async def collect_with_code(*, pickup_point_id: str, code: EnteredCode, collector: Actor, staff_id: str | None,
                            redis: Redis, producer: EventProducer, settings: PickupSettings,
                            now: datetime) -> Collection:
    """Open the parcel's compartments for the right code, once; count and lock wrong ones."""
    order_id = code.order_id
    parcel = await redis.hgetall(keys.parcel(order_id))
    if not parcel or parcel.get("pickup_point_id") != pickup_point_id:
        raise NotFound(f"no parcel of order {order_id} is waiting at pick-up point {pickup_point_id}")
    code_ok = code.matches(settings.code_key, parcel["salt"], parcel["code_hash"], parcel["qr_hash"])
    holder = is_holder(parcel, collector, staff_id)
    decision, parcel = await _decide(redis, order_id, code_ok, now, settings, staff_id,
                                     caller_id=None if holder else collector.user_id)

    if decision.outcome is Outcome.COLLECTED:
        return await _record_collection(redis, producer, parcel, collector, staff_id,
                                        collection_method(code.scanned, staff_id))
    if decision.outcome in (Outcome.LOCKED_NOW, Outcome.LOCKED):
        try:
            await _announce_lock(redis, producer, parcel, settings)
        except Exception:
            # The lock holds in Redis; the next attempt at this parcel announces it again.
            log.exception("could not announce the locked code of order %s", order_id)
    raise refusal(decision, order_id)


async def _decide(redis: Redis, order_id: str, code_ok: bool, now: datetime, settings: PickupSettings,
                  staff_id: str | None, caller_id: str | None) -> tuple[Decision, dict[str, str]]:
    """`caller_id` None: the resident's side, whose wrong codes count against the code itself."""
    key = keys.parcel(order_id)

    async def decide(pipe: Pipeline) -> tuple[Decision, dict[str, str]]:
        parcel = await pipe.hgetall(key)
        caller = Caller(holder=caller_id is None,
                        failed_attempts=caller_failures(parcel, caller_id) if caller_id else 0)
        decision = decide_collection(state_of(parcel), code_ok, now, caller, settings.max_failed_attempts,
                                     settings.max_stranger_failures)
        changes: dict[str, str] = {}
        if decision.outcome is Outcome.COLLECTED:
            changes = {"status": COLLECTED, "collected_at": now.isoformat(), "collection_id": str(uuid.uuid4()),
                       "handed_over_by": staff_id or ""}
        elif decision.outcome in (Outcome.WRONG_CODE, Outcome.LOCKED_OUT_NOW, Outcome.LOCKED_NOW):
            if caller_id is None:
                changes = {"failed_attempts": str(decision.failed_attempts)}
            else:
                changes = {failed_by(caller_id): str(decision.failed_attempts),
                           "stranger_failures": str(decision.stranger_failures)}
            if decision.outcome is Outcome.LOCKED_NOW:
                changes |= {"locked": "1", "lock_event_id": str(uuid.uuid4()), "locked_at_ms": str(to_ms(now))}
        if changes:
            pipe.multi()
            pipe.hset(key, mapping=changes)
            if decision.outcome is Outcome.COLLECTED:
                pipe.zrem(keys.DUE, order_id)
        return decision, {**parcel, **changes}

    return await change_parcel(redis, order_id, decide)


async def _record_collection(redis: Redis, producer: EventProducer, parcel: dict[str, str], collector: Actor,
                             staff_id: str | None, method: CollectionMethod) -> Collection:
    order_id, point_id = parcel["order_id"], parcel["pickup_point_id"]
    compartments = compartments_of(parcel)
    collected = new_event(
        ParcelCollected, producer=API, actor=collector, event_id=parcel["collection_id"],
        correlation_id=parcel.get("correlation_id"), order_id=order_id, pickup_point_id=point_id,
        compartment_ids=compartments, method=method, handed_over_by=staff_id)
    try:
        await publish(producer, collected)
    except Exception:
        await _undo_collection(redis, order_id, parcel["collection_id"], int(parcel["expires_at_ms"]))
        raise
    point = await load_point(redis, point_id)
    doors = point.doors(compartments) if point else list(compartments)
    return Collection(order_id, point_id, compartments, doors, collected.event_id)


async def _undo_collection(redis: Redis, order_id: str, collection_id: str, deadline_ms: int) -> None:
    """The doors stay shut when the collection could not be recorded: back to deposited."""
    key = keys.parcel(order_id)

    async def undo(pipe: Pipeline) -> None:
        if await pipe.hget(key, "collection_id") != collection_id:
            return
        pipe.multi()
        pipe.hset(key, mapping={"status": DEPOSITED})
        pipe.hdel(key, "collection_id", "collected_at", "handed_over_by")
        pipe.zadd(keys.DUE, {order_id: deadline_ms})

    await change_parcel(redis, order_id, undo)


async def _announce_lock(redis: Redis, producer: EventProducer, parcel: dict[str, str],
                         settings: PickupSettings) -> None:
    """PickupCodeLocked and the operator's alert, until they went out once (same event id each time)."""
    if parcel.get("lock_published") == "1" or not parcel.get("lock_event_id"):
        return
    order_id, point_id = parcel["order_id"], parcel["pickup_point_id"]
    locked = new_event(PickupCodeLocked, producer=API, event_id=parcel["lock_event_id"],
                       correlation_id=parcel.get("correlation_id"), order_id=order_id, pickup_point_id=point_id,
                       failed_attempts=int(parcel["failed_attempts"]) + int(parcel.get("stranger_failures", 0)),
                       locked_until=None)
    point = await load_point(redis, point_id)
    notice = code_locked(lock_id=locked.event_id, operator_id=settings.operator_recipient, order_id=order_id,
                         pickup_point_id=point_id, point_name=point.name if point else point_id,
                         failed_attempts=locked.failed_attempts)
    await publish(producer, locked, new_event(NotificationRequested, producer=API, caused_by=locked,
                                              **asdict(notice)))
    await redis.hset(keys.parcel(order_id), "lock_published", "1")
