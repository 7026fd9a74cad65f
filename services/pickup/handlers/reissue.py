"""A new pick-up code (API): the resident asks for one, or an operator issues one
(`domain/reissue.py` says when). The new PIN exists only in this request and the
resident's notification, like at the deposit; the event carries its keyed hashes,
salted with the event's own id. One new code at a time per parcel, so the code
the resident got last is the one that opens, here and after a rebuild.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime

from redis.asyncio import Redis

from nahnetz.events import Actor, new_event
from nahnetz.kit.errors import Conflict, Forbidden, NotFound
from nahnetz.kit.publishing import publish
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import NotificationRequested, PickupCodeReissued

from .. import keys
from ..domain import codes
from ..domain.notices import code_reissued
from ..domain.parcels import from_ms, is_holder, is_staff, state_of
from ..domain.reissue import check_reissue
from ..settings import PickupSettings
from .parcels import apply_reissue, change_parcel
from .points import load_point

API = "pickup-api"
BUSY_SECONDS = 30  # how long one request holds the parcel's "new code" claim at most


@dataclass(frozen=True)
class Reissue:
    order_id: str
    pickup_point_id: str
    sent_to: str   # the resident's id: the code went to them, never to the caller
    event_id: str


async def reissue_code(*, order_id: str, actor: Actor, reason: str | None, redis: Redis, producer: EventProducer,
                       settings: PickupSettings, now: datetime) -> Reissue:
    """PickupCodeReissued, and the new code to the parcel's resident."""
    parcel = await redis.hgetall(keys.parcel(order_id))
    if not parcel:
        raise NotFound(f"no parcel of order {order_id} was deposited")
    staff = is_staff(actor)
    if not staff and not is_holder(parcel, actor, None):
        raise Forbidden(f"only the resident of order {order_id} or an operator may ask for a new code")
    check_reissue(state_of(parcel), now, order_id, by_staff=staff, reissues=int(parcel.get("reissues", 0)),
                  max_reissues=settings.max_code_reissues)
    resident_id = parcel.get("resident_id")
    if not resident_id:
        raise Conflict(f"the resident of order {order_id} is not known here yet; try again shortly")
    busy = keys.reissuing(order_id)
    if not await redis.set(busy, actor.user_id, nx=True, ex=BUSY_SECONDS):
        raise Conflict(f"a new code for order {order_id} is being sent right now", headers={"Retry-After": "5"})
    try:
        return await _send_new_code(parcel, resident_id, actor, reason, redis, producer, settings)
    finally:
        await redis.delete(busy)


async def _send_new_code(parcel: dict[str, str], resident_id: str, actor: Actor, reason: str | None, redis: Redis,
                         producer: EventProducer, settings: PickupSettings) -> Reissue:
    order_id, point_id = parcel["order_id"], parcel["pickup_point_id"]
    code = codes.new_pickup_code(order_id)
    reissue_id = str(uuid.uuid4())  # also the salt of the new hashes
    reissued = new_event(
        PickupCodeReissued, producer=API, actor=actor, event_id=reissue_id,
        correlation_id=parcel.get("correlation_id"), order_id=order_id, pickup_point_id=point_id,
        code_hash=codes.pin_hash(settings.code_key, reissue_id, order_id, code.pin),
        qr_hash=codes.qr_hash(settings.code_key, reissue_id, order_id, code.qr_payload),
        hash_key_id=settings.code_key_id, reason=reason,
        cleared_lock_event_id=parcel.get("lock_event_id") if parcel.get("locked") == "1" else None)
    point = await load_point(redis, point_id)
    notice = code_reissued(reissue_id=reissue_id, order_id=order_id, resident_id=resident_id, pin=code.pin,
                           qr_payload=code.qr_payload, point_name=point.name if point else point_id,
                           collect_by=from_ms(parcel["expires_at_ms"]))
    # Nothing changed yet: should this fail, the old code still opens and the caller may repeat.
    await publish(producer, new_event(NotificationRequested, producer=API, caused_by=reissued, **asdict(notice)),
                  reissued)
    if not await change_parcel(redis, order_id, lambda pipe: apply_reissue(pipe, reissued)):
        # The worker may have projected our own event first: then the parcel has the new code.
        if await redis.hget(keys.parcel(order_id), "salt") != reissue_id:
            raise Conflict(f"the parcel of order {order_id} was collected or taken out meanwhile")
    return Reissue(order_id, point_id, resident_id, reissue_id)
