"""What the API's writes become: registering and changing a pick-up point,
depositing a parcel, collecting one with its code, sending a new code.

Each takes plain values (the routes convert the request at the edge) and raises
`nahnetz.kit.errors` for what it refuses; events are published acknowledged, or
the request fails with one 503 (`nahnetz.kit.publishing`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from redis.asyncio import Redis

from nahnetz.events import Actor, new_event
from nahnetz.kit.errors import Conflict, Forbidden, NotFound, Unprocessable
from nahnetz.kit.roles import Role
from nahnetz.kit.publishing import publish
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import PickupPointRegistered, PickupPointUpdated

from .. import keys
from ..domain.codes import entered_code
from ..domain.deposit import Reservation, check_reserved
from ..domain.points import PickupPoint, description_problems
from ..domain.rate_limit import CALLER, CALLER_PARCEL
from ..settings import PickupSettings
from .code_attempts import count_attempt
from .collection import Collection, collect_with_code
from .deposits import Deposit, deposit_parcel
from .points import load_point
from .reissue import Reissue, reissue_code
from .tour_deliveries import record_parts

API = "pickup-api"


def new_point_id() -> str:
    return f"pp-{uuid.uuid4().hex[:12]}"


def _check(point: PickupPoint) -> None:
    problems = description_problems(point)
    if problems:
        raise Unprocessable("; ".join(problems), details={"problems": problems})


async def register_point(point: PickupPoint, *, actor: Actor, redis: Redis,
                         producer: EventProducer) -> PickupPointRegistered:
    """PickupPointRegistered for a new id (409 for one taken)."""
    _check(point)
    # Claim the id here, so two registrations of one id cannot both be accepted.
    if not await redis.sadd(keys.POINTS, point.pickup_point_id):
        raise Conflict(f"pick-up point {point.pickup_point_id} exists already; change it with PUT")
    registered = new_event(PickupPointRegistered, producer=API, actor=actor, **point.event_fields())
    try:
        await publish(producer, registered)
    except Exception:
        await redis.srem(keys.POINTS, point.pickup_point_id)
        raise
    return registered


async def update_point(point: PickupPoint, *, hold_days: int | None, actor: Actor, redis: Redis,
                       producer: EventProducer) -> PickupPointUpdated:
    """PickupPointUpdated with the whole description; without `hold_days` the point keeps its own."""
    current = await load_point(redis, point.pickup_point_id)
    if current is None:
        raise NotFound(f"pick-up point {point.pickup_point_id} is not known")
    point = replace(point, hold_days=hold_days or current.hold_days or point.hold_days)
    _check(point)
    updated = new_event(PickupPointUpdated, producer=API, actor=actor, in_service=point.in_service,
                        **point.event_fields())
    await publish(producer, updated)
    return updated


@dataclass(frozen=True)
class PartsIn:
    """Parts of an order of several shops are in their compartments; others are still to come."""

    parts_in: tuple[str, ...]
    waiting_for: tuple[str, ...]


async def deposit(order_id: str, *, compartment_ids: list[str] | None, tour_id: str | None, depositor: Actor,
                  redis: Redis, producer: EventProducer, settings: PickupSettings, now: datetime,
                  shop_ids: list[str] | None = None) -> Deposit | PartsIn:
    """A driver or counter staff put the order's goods in: ParcelDeposited and the resident's code.
    A driver only for an order that a tour of theirs brings to its point; staff for any (recorded).
    `shop_ids`: only these parts of the order came; the parcel is deposited with its last part."""
    await must_carry(redis, depositor, order_id)
    if shop_ids is not None:
        waiting = await _record_parts_put_in(redis, order_id, shop_ids)
        if waiting is not None:
            return waiting
    return await deposit_parcel(order_id=order_id, compartment_ids=compartment_ids, tour_id=tour_id,
                                actor=depositor, deposited_by=depositor.user_id, redis=redis, producer=producer,
                                settings=settings, now=now)


async def _record_parts_put_in(redis: Redis, order_id: str, shop_ids: list[str]) -> PartsIn | None:
    """Record the parts as in; what is still to come (None when the order is whole now)."""
    reservation = Reservation.from_record(order_id, await redis.hgetall(keys.order(order_id)))
    check_reserved(reservation)
    if await redis.exists(keys.parcel(order_id)):
        raise Conflict(f"the parcel of order {order_id} was deposited already")
    unknown = sorted(set(shop_ids) - set(reservation.shops)) if reservation.shops else []
    if unknown:
        raise Unprocessable(f"order {order_id} has no part of {', '.join(unknown)}; its parts are those of "
                            f"{', '.join(reservation.shops)}")
    missing = await record_parts(redis, order_id, set(shop_ids))
    if not missing:
        return None
    return PartsIn(tuple(s for s in reservation.shops if s not in missing), missing)


async def collect(pickup_point_id: str, *, order_id: str | None, pin: str | None, qr: str | None,
                  collector: Actor, staff_id: str | None, redis: Redis, producer: EventProducer,
                  settings: PickupSettings, now: datetime) -> Collection:
    """Open a parcel at a terminal with the typed PIN or the scanned QR code; every
    attempt counts against the caller's limits first (never the parcel's or the point's)."""
    code = entered_code(order_id, pin, qr)
    window = settings.attempt_window_seconds
    caller = collector.user_id
    await count_attempt(redis, CALLER, caller, settings.caller_attempts_per_window, window, now)
    await count_attempt(redis, CALLER_PARCEL, f"{caller}:{code.order_id}", settings.parcel_attempts_per_window,
                        window, now)
    return await collect_with_code(pickup_point_id=pickup_point_id, code=code, collector=collector,
                                   staff_id=staff_id, redis=redis, producer=producer, settings=settings, now=now)


async def new_code(order_id: str, *, reason: str | None, actor: Actor, redis: Redis, producer: EventProducer,
                   settings: PickupSettings, now: datetime) -> Reissue:
    """A new pick-up code for a waiting parcel, sent to its resident (`handlers/reissue.py`)."""
    return await reissue_code(order_id=order_id, actor=actor, reason=reason, redis=redis, producer=producer,
                              settings=settings, now=now)


async def must_carry(redis: Redis, who: Actor, order_id: str) -> None:
    """A driver may deposit and read only the parcels their own dispatched tours deliver;
    staff may handle any (their actor is recorded in the event)."""
    if who.role != Role.DRIVER.event_role:
        return
    if not await redis.sismember(keys.carriers(order_id), who.user_id):
        raise Forbidden(f"order {order_id} is not on a tour dispatched to driver {who.user_id}")
