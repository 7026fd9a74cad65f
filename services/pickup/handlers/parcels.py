"""Parcels: deposit (API), collection with a code (API), expiry (worker), and the
projection of pickup.parcels (worker).

A parcel lives in `pickup:parcel:<order_id>` (a hash) and, while it waits, in
the sorted set `pickup:parcels:due` by its deadline. Every change of its status
happens in one WATCH/MULTI step on its hash, so a collection, a second terminal
and the expiry job never both win. The PIN and the QR payload exist only in the
deposit request and the resident's notification; Redis and the events hold
their keyed hashes (see `domain/codes.py`), salted with the deposit's event id.

Rebuild: replay pickup.parcels with `project_parcel_event` (the deposit event
carries the hashes, the salt is its event id).
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable

from redis.asyncio import Redis
from redis.exceptions import WatchError

from nahnetz.events import Actor, Event, new_event, read_event
from nahnetz.kit.errors import BadRequest, Conflict, DomainError, NotFound, Unavailable, Unprocessable
from nahnetz.messaging.producer import EventProducer, event_headers
from nahnetz.topics import PICKUP_PARCELS

from .. import keys
from ..domain import codes
from ..domain.collection import COLLECTED, DEPOSITED, EXPIRED, Decision, Outcome, ParcelState, decide_collection
from ..domain.expiry import ExpiryStep, expires_at, expiry_step
from ..domain.notices import code_locked, parcel_ready
from ..domain.points import PickupPoint
from ..domain.rate_limit import over_limit, window_of
from ..settings import PickupSettings
from . import reservations
from .points import load_point
from .publishing import notification_event

log = logging.getLogger(__name__)

API = "pickup-api"
WORKER = "pickup-worker"
MAX_CONFLICTS = 10


# -- refusals the API shows as they are ----------------------------------------------------------
class WrongCode(DomainError):
    status_code = 403
    code = "wrong_code"


class CodeLocked(DomainError):
    status_code = 423
    code = "code_locked"


class AlreadyCollected(DomainError):
    status_code = 409
    code = "already_collected"


class ParcelGone(DomainError):
    status_code = 410
    code = "parcel_expired"


class TooManyAttempts(DomainError):
    status_code = 429
    code = "too_many_attempts"


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _from_ms(ms: str | int) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, tz=timezone.utc)


# -- deposit ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Deposit:
    order_id: str
    pickup_point_id: str
    compartment_ids: list[str]
    doors: list[str]
    expires_at: datetime
    event_id: str


async def deposit_parcel(*, order_id: str, compartment_ids: list[str] | None, tour_id: str | None,
                         actor: Actor, deposited_by: str, redis: Redis, producer: EventProducer,
                         settings: PickupSettings, now: datetime) -> Deposit:
    """ParcelDeposited, and the resident's notification with the code."""
    order = keys.texts(await redis.hgetall(keys.order(order_id)))
    if not order.get("pickup_point_id"):
        raise NotFound(f"no compartment reservation is known for order {order_id}")
    if order.get("status") != reservations.RESERVED:
        raise Conflict(f"order {order_id} holds no compartments (its reservation is "
                       f"{order.get('status') or 'not decided yet'}); nothing can be deposited")
    point = await load_point(redis, order["pickup_point_id"])
    if point is None:
        raise NotFound(f"pick-up point {order['pickup_point_id']} is not known")
    reserved = json.loads(order["compartment_ids"])
    chosen = list(dict.fromkeys(compartment_ids)) if compartment_ids else reserved
    await _check_compartments(redis, point, order, order_id, chosen)

    deadline = expires_at(now, point.hold_days, settings.expiry_seconds)
    code = codes.new_pickup_code(order_id)
    deposit_id = str(uuid.uuid4())  # also the salt of this parcel's hashes
    deposited = new_event(
        "ParcelDeposited", producer=API, actor=actor, event_id=deposit_id,
        correlation_id=order.get("correlation_id"),
        order_id=order_id, pickup_point_id=point.pickup_point_id, compartment_ids=chosen,
        code_hash=codes.pin_hash(settings.code_key, deposit_id, order_id, code.pin),
        qr_hash=codes.qr_hash(settings.code_key, deposit_id, order_id, code.qr_payload),
        hash_key_id=settings.code_key_id, deposited_by=deposited_by, tour_id=tour_id, expires_at=deadline,
    )
    record = parcel_record(deposited, resident_id=order.get("resident_id", ""),
                           delivery_day=order.get("delivery_day", ""))
    if not await _claim(redis, order_id, record, deadline):
        raise Conflict(f"the parcel of order {order_id} was deposited already")
    doors = [point.compartment(c).door if point.compartment(c) else c for c in chosen]
    notice = parcel_ready(deposit_id=deposit_id, order_id=order_id, resident_id=order.get("resident_id", ""),
                          pin=code.pin, qr_payload=code.qr_payload, point_name=point.name,
                          point_address=point.address_line, access_note=point.access_note, doors=doors,
                          collect_by=deadline, counter=point.kind == "COUNTER")
    try:
        # The code exists only in this request: tell the resident first. Should the deposit
        # then fail, the driver repeats it and the resident gets a new code (the newer wins);
        # the other way round a lost notification would leave a parcel nobody can open.
        await producer.publish(notification_event(notice, producer=API, caused_by=deposited))
        await producer.publish(deposited)
    except Exception as exc:
        # Without its event the deposit did not happen: free the claim so it can be repeated.
        await _unclaim(redis, order_id, deposit_id)
        raise Unavailable(f"the deposit could not be recorded ({type(exc).__name__}); please try again",
                          headers={"Retry-After": "2"}) from exc
    return Deposit(order_id, point.pickup_point_id, chosen, doors, deadline, deposit_id)


async def _check_compartments(redis: Redis, point: PickupPoint, order: dict[str, str], order_id: str,
                              chosen: list[str]) -> None:
    unknown = [c for c in chosen if point.compartment(c) is None]
    if unknown:
        raise Unprocessable(f"pick-up point {point.pickup_point_id} has no compartment(s) {', '.join(unknown)}")
    occupancy = keys.texts(await redis.hgetall(keys.day(point.pickup_point_id, order["delivery_day"])))
    taken = [c for c in chosen if occupancy.get(c) not in (None, order_id)]
    if taken:
        raise Conflict(f"compartment(s) {', '.join(taken)} are held for another order that day")


def parcel_record(deposited: Event, *, resident_id: str, delivery_day: str) -> dict[str, str]:
    """The parcel's hash as a ParcelDeposited event describes it."""
    return {
        "order_id": deposited.order_id, "pickup_point_id": deposited.pickup_point_id,
        "compartment_ids": json.dumps(list(deposited.compartment_ids)), "status": DEPOSITED,
        "code_hash": deposited.code_hash, "qr_hash": deposited.qr_hash, "salt": deposited.event_id,
        "hash_key_id": deposited.hash_key_id, "deposited_by": deposited.deposited_by,
        "deposited_at": deposited.meta["occurred_at"].isoformat(),
        "expires_at_ms": str(_ms(deposited.expires_at)), "failed_attempts": "0", "locked": "0",
        "deposit_event_id": deposited.event_id, "correlation_id": deposited.correlation_id,
        "resident_id": resident_id, "delivery_day": delivery_day,
    }


async def _claim(redis: Redis, order_id: str, record: dict[str, str], deadline: datetime) -> bool:
    """Write the parcel unless there is one already (one deposit per order)."""
    key = keys.parcel(order_id)

    async def step(pipe) -> bool:
        if await pipe.exists(key):
            return False
        pipe.multi()
        pipe.hset(key, mapping=record)
        pipe.zadd(keys.DUE, {order_id: _ms(deadline)})
        return True

    return await _atomically(redis, key, step)


async def _unclaim(redis: Redis, order_id: str, deposit_id: str) -> None:
    key = keys.parcel(order_id)

    async def step(pipe) -> None:
        if keys.text(await pipe.hget(key, "deposit_event_id")) != deposit_id:
            return
        pipe.multi()
        pipe.delete(key)
        pipe.zrem(keys.DUE, order_id)

    await _atomically(redis, key, step)


async def _atomically(redis: Redis, key: str, step: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run `step` on a pipeline watching `key` until no one changed it meanwhile."""
    for _ in range(MAX_CONFLICTS):
        async with redis.pipeline(transaction=True) as pipe:
            await pipe.watch(key)
            result = await step(pipe)
            try:
                if pipe.explicit_transaction:
                    await pipe.execute()
            except WatchError:
                continue
            return result
    raise Unavailable("the parcel is being changed by many requests at once; try again",
                      headers={"Retry-After": "1"})


# -- collection ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Collection:
    order_id: str
    pickup_point_id: str
    compartment_ids: list[str]
    doors: list[str]
    event_id: str


async def count_attempt(redis: Redis, scope: str, ident: str, limit: int, window_s: int, now: datetime) -> None:
    """Count one code attempt; 429 with Retry-After when the window's limit is passed."""
    window = window_of(now.timestamp(), window_s)
    key = keys.attempts(scope, ident, window.index)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, window_s + 1)
        count, _ = await pipe.execute()
    if over_limit(int(count), limit):
        what = "this pick-up point" if scope == "point" else "this parcel"
        raise TooManyAttempts(
            f"Zu viele Versuche an {what}; bitte in {window.retry_after} s erneut versuchen. "
            f"Too many attempts for {what}; try again in {window.retry_after} s.",
            headers={"Retry-After": str(window.retry_after)})


async def collect_parcel(*, pickup_point_id: str, order_id: str | None, pin: str | None, qr: str | None,
                         collector: Actor, staff_id: str | None, redis: Redis, producer: EventProducer,
                         settings: PickupSettings, now: datetime) -> Collection:
    """Open the parcel's compartments for the right code, once; count and lock wrong ones."""
    if qr:
        try:
            order_id = codes.parse_qr(qr)
        except ValueError as exc:
            raise Unprocessable(f"{exc}") from None
    elif not (order_id and pin):
        raise BadRequest("give either order_id and code, or the qr payload")
    window = settings.attempt_window_seconds
    await count_attempt(redis, "point", pickup_point_id, settings.point_attempts_per_window, window, now)
    await count_attempt(redis, "parcel", order_id, settings.parcel_attempts_per_window, window, now)

    parcel = keys.texts(await redis.hgetall(keys.parcel(order_id)))
    if not parcel or parcel.get("pickup_point_id") != pickup_point_id:
        raise NotFound(f"no parcel of order {order_id} is waiting at pick-up point {pickup_point_id}")
    key = settings.code_key
    code_ok = (codes.verify_qr(key, parcel["salt"], order_id, qr, parcel["qr_hash"]) if qr
               else codes.verify_pin(key, parcel["salt"], order_id, pin or "", parcel["code_hash"]))
    decision, parcel = await _decide(redis, order_id, code_ok, now, settings.max_failed_attempts, staff_id)

    if decision.outcome is Outcome.COLLECTED:
        return await _publish_collection(redis, producer, parcel, collector, staff_id,
                                         method="QR" if qr else ("COUNTER_STAFF" if staff_id else "PIN"))
    if decision.outcome is Outcome.WRONG_CODE:
        raise WrongCode(f"Falscher Code; noch {decision.attempts_left} Versuche. "
                        f"Wrong code; {decision.attempts_left} attempts left.",
                        details={"attempts_left": decision.attempts_left})
    if decision.outcome in (Outcome.LOCKED_NOW, Outcome.LOCKED):
        try:
            await _announce_lock(redis, producer, parcel, settings)
        except Exception:
            # The lock holds in Redis; the next attempt at this parcel announces it again.
            log.exception("could not announce the locked code of order %s", order_id)
        raise CodeLocked("Der Abholcode ist nach zu vielen Fehlversuchen gesperrt; das Service-Team ist "
                         "informiert. The pick-up code is locked after too many wrong attempts; "
                         "the operator has been told.")
    if decision.outcome is Outcome.ALREADY_COLLECTED:
        raise AlreadyCollected(f"Die Sendung {order_id} wurde bereits abgeholt; der Code öffnet nur einmal. "
                               f"The parcel of order {order_id} was collected already; a code opens once.")
    raise ParcelGone(f"Die Abholfrist für {order_id} ist abgelaufen; die Ware geht zurück. "
                     f"The pick-up period of order {order_id} has ended; the goods go back.")


async def _decide(redis: Redis, order_id: str, code_ok: bool, now: datetime, max_failed: int,
                  staff_id: str | None) -> tuple[Decision, dict[str, str]]:
    key = keys.parcel(order_id)

    async def step(pipe) -> tuple[Decision, dict[str, str]]:
        parcel = keys.texts(await pipe.hgetall(key))
        state = ParcelState(parcel["status"], int(parcel.get("failed_attempts", 0)),
                            parcel.get("locked") == "1", _from_ms(parcel["expires_at_ms"]))
        decision = decide_collection(state, code_ok, now, max_failed)
        changes: dict[str, str] = {}
        if decision.outcome is Outcome.COLLECTED:
            changes = {"status": COLLECTED, "collected_at": now.isoformat(), "collection_id": str(uuid.uuid4()),
                       "handed_over_by": staff_id or ""}
        elif decision.outcome is Outcome.WRONG_CODE:
            changes = {"failed_attempts": str(decision.failed_attempts)}
        elif decision.outcome is Outcome.LOCKED_NOW:
            changes = {"failed_attempts": str(decision.failed_attempts), "locked": "1",
                       "lock_event_id": str(uuid.uuid4()), "locked_at_ms": str(_ms(now))}
        if changes:
            pipe.multi()
            pipe.hset(key, mapping=changes)
            if decision.outcome is Outcome.COLLECTED:
                pipe.zrem(keys.DUE, order_id)
        return decision, {**parcel, **changes}

    return await _atomically(redis, key, step)


async def _publish_collection(redis: Redis, producer: EventProducer, parcel: dict[str, str], collector: Actor,
                              staff_id: str | None, method: str) -> Collection:
    order_id = parcel["order_id"]
    compartments = json.loads(parcel["compartment_ids"])
    collected = new_event(
        "ParcelCollected", producer=API, actor=collector, event_id=parcel["collection_id"],
        correlation_id=parcel.get("correlation_id"), order_id=order_id,
        pickup_point_id=parcel["pickup_point_id"], compartment_ids=compartments, method=method,
        handed_over_by=staff_id)
    try:
        await producer.publish(collected)
    except Exception as exc:
        await _undo_collection(redis, order_id, parcel["collection_id"], int(parcel["expires_at_ms"]))
        raise Unavailable(f"the collection could not be recorded ({type(exc).__name__}); please try again",
                          headers={"Retry-After": "2"}) from exc
    point = await load_point(redis, parcel["pickup_point_id"])
    doors = [(point.compartment(c).door if point and point.compartment(c) else c) for c in compartments]
    return Collection(order_id, parcel["pickup_point_id"], compartments, doors, collected.event_id)


async def _undo_collection(redis: Redis, order_id: str, collection_id: str, deadline_ms: int) -> None:
    """The doors stay shut when the collection could not be recorded: back to deposited."""
    key = keys.parcel(order_id)

    async def step(pipe) -> None:
        if keys.text(await pipe.hget(key, "collection_id")) != collection_id:
            return
        pipe.multi()
        pipe.hset(key, mapping={"status": DEPOSITED})
        pipe.hdel(key, "collection_id", "collected_at", "handed_over_by")
        pipe.zadd(keys.DUE, {order_id: deadline_ms})

    await _atomically(redis, key, step)


async def _announce_lock(redis: Redis, producer: EventProducer, parcel: dict[str, str],
                         settings: PickupSettings) -> None:
    """PickupCodeLocked and the operator's alert, until they went out once (same event id each time)."""
    if parcel.get("lock_published") == "1" or not parcel.get("lock_event_id"):
        return
    order_id = parcel["order_id"]
    locked = new_event("PickupCodeLocked", producer=API, event_id=parcel["lock_event_id"],
                       correlation_id=parcel.get("correlation_id"), order_id=order_id,
                       pickup_point_id=parcel["pickup_point_id"],
                       failed_attempts=int(parcel["failed_attempts"]), locked_until=None)
    point = await load_point(redis, parcel["pickup_point_id"])
    notice = code_locked(lock_id=locked.event_id, operator_id=settings.operator_recipient, order_id=order_id,
                         pickup_point_id=parcel["pickup_point_id"],
                         point_name=point.name if point else parcel["pickup_point_id"],
                         failed_attempts=locked.failed_attempts)
    await producer.publish(locked)
    await producer.publish(notification_event(notice, producer=API, caused_by=locked))
    await redis.hset(keys.parcel(order_id), "lock_published", "1")


# -- expiry (worker) -------------------------------------------------------------------------------
async def expire_due_parcels(redis: Redis, producer: EventProducer, now: datetime, limit: int = 100) -> list[str]:
    """Expire the parcels whose deadline passed; the order ids whose ParcelExpired went out."""
    due = [keys.text(o) for o in await redis.zrangebyscore(keys.DUE, "-inf", _ms(now), start=0, num=limit)]
    published = []
    for order_id in due:
        if await expire_parcel(order_id, redis, producer, now):
            published.append(order_id)
    return published


async def expire_parcel(order_id: str, redis: Redis, producer: EventProducer, now: datetime) -> bool:
    """ParcelExpired once: the status changes with the event's bytes stored, then the
    event is published and the entry leaves the due index; a crash in between
    publishes the same event (same id) on the next run."""
    key = keys.parcel(order_id)

    async def step(pipe) -> bytes | None:
        parcel = keys.texts(await pipe.hgetall(key))
        deadline = _from_ms(parcel["expires_at_ms"]) if parcel.get("expires_at_ms") else None
        todo = expiry_step(parcel.get("status"), deadline, now, parcel.get("expired_published") == "1")
        if todo is ExpiryStep.WAIT:
            return None
        if todo is ExpiryStep.DROP:
            pipe.multi()
            pipe.zrem(keys.DUE, order_id)
            return None
        if todo is ExpiryStep.REPUBLISH:
            return base64.b64decode(parcel["expired_event"])
        expired = new_event("ParcelExpired", producer=WORKER, correlation_id=parcel.get("correlation_id"),
                            order_id=order_id, pickup_point_id=parcel["pickup_point_id"],
                            compartment_ids=json.loads(parcel["compartment_ids"]), expired_at=deadline)
        encoded = expired.encode()
        pipe.multi()
        pipe.hset(key, mapping={"status": EXPIRED, "expired_event": base64.b64encode(encoded).decode()})
        return encoded

    encoded = await _atomically(redis, key, step)
    if encoded is None:
        return False
    event = read_event(encoded)
    await producer.publish_raw(PICKUP_PARCELS, encoded, key=order_id, headers=event_headers(event))
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(key, "expired_published", "1")
        pipe.zrem(keys.DUE, order_id)
        await pipe.execute()
    log.info("parcel expired", extra={"order_id": order_id, "event_id": event.event_id})
    return True


# -- projection of pickup.parcels (worker, rebuild) ------------------------------------------------
async def handle_parcel_event(event: Event, redis: Redis, producer: EventProducer) -> None:
    """The agent on pickup.parcels: project the parcel and free the compartments of a
    collected or expired parcel."""
    await project_parcel(event, redis)
    if event.type in ("ParcelCollected", "ParcelExpired"):
        await reservations.release_compartments(event.order_id, reservations.RELEASE_REASONS[event.type], event,
                                                redis, producer)


async def project_parcel(event: Event, redis: Redis) -> None:
    """Keep the parcel hash in step with pickup.parcels, so a replay rebuilds it
    (wrong attempts that did not lock are not events: a rebuild counts them from 0).
    Idempotent."""
    order_id = event.order_id
    key = keys.parcel(order_id)
    if event.type == "ParcelDeposited":
        order = keys.texts(await redis.hgetall(keys.order(order_id)))
        record = parcel_record(event, resident_id=order.get("resident_id", ""),
                               delivery_day=order.get("delivery_day", ""))

        async def step(pipe) -> None:
            if await pipe.exists(key):
                return  # the API wrote it, or an earlier replay did
            pipe.multi()
            pipe.hset(key, mapping=record)
            pipe.zadd(keys.DUE, {order_id: _ms(event.expires_at)})

        await _atomically(redis, key, step)
        return
    if event.type == "ParcelCollected":
        changes = {"status": COLLECTED, "collection_id": event.event_id}
    elif event.type == "ParcelExpired":
        changes = {"status": EXPIRED, "expired_published": "1"}
    elif event.type == "PickupCodeLocked":
        changes = {"locked": "1", "lock_published": "1", "failed_attempts": str(event.failed_attempts),
                   "lock_event_id": event.event_id}
    else:
        return

    async def update(pipe) -> None:
        if not await pipe.exists(key):
            return  # a replay that starts after the deposit: nothing to update
        current = keys.text(await pipe.hget(key, "status"))
        pipe.multi()
        if event.type == "PickupCodeLocked" or current == DEPOSITED or current == changes["status"]:
            pipe.hset(key, mapping=changes)
        if event.type != "PickupCodeLocked":
            pipe.zrem(keys.DUE, order_id)

    await _atomically(redis, key, update)
