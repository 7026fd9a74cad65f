"""Depositing a parcel: the terminal's deposit (API) and a driver's delivered stop
(worker, `tour_deliveries`, once every part of the order is in) both come here.

The PIN and the QR payload exist only in this step and the resident's
notification; Redis and the events hold their keyed hashes (`domain/codes.py`),
salted with the deposit's event id. The parcel's hash is claimed first (one
deposit per order), then the notification and ParcelDeposited are published;
without them the deposit did not happen, so the claim is freed and the driver
repeats it.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from nahnetz.events import Actor, new_event
from nahnetz.kit.errors import Conflict
from nahnetz.kit.publishing import publish
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import NotificationRequested, ParcelDeposited

from .. import keys
from ..domain import codes
from ..domain.deposit import Reservation, check_reserved, occupancy_for_deposit, plan_deposit
from ..domain.notices import parcel_ready
from ..domain.parcels import parcel_record
from ..settings import PickupSettings
from .parcels import OpenedDoors, change_parcel
from .points import load_point

API = "pickup-api"


@dataclass(frozen=True)
class Deposit(OpenedDoors):
    """The doors to put the parcel in, and until when it may be collected."""

    expires_at: datetime


async def deposit_parcel(*, order_id: str, compartment_ids: list[str] | None, tour_id: str | None,
                         actor: Actor, deposited_by: str, redis: Redis, producer: EventProducer,
                         settings: PickupSettings, now: datetime) -> Deposit:
    """ParcelDeposited, and the resident's notification with the code."""
    reservation = Reservation.from_record(order_id, await redis.hgetall(keys.order(order_id)))
    point_id = check_reserved(reservation)
    point = await load_point(redis, point_id)
    # A part delivered on an earlier day waits in compartments held for the order that day.
    days = {reservation.delivery_day, *reservation.held_on()}
    by_day = {day: await redis.hgetall(keys.day(point_id, day)) for day in days}
    plan = plan_deposit(reservation, point, occupancy_for_deposit(reservation, by_day), compartment_ids, now,
                        settings.expiry_seconds)

    code = codes.new_pickup_code(order_id)
    deposit_id = str(uuid.uuid4())  # also the salt of this parcel's hashes
    deposited = new_event(
        ParcelDeposited, producer=API, actor=actor, event_id=deposit_id, correlation_id=reservation.correlation_id,
        order_id=order_id, pickup_point_id=point_id, compartment_ids=plan.compartment_ids,
        code_hash=codes.pin_hash(settings.code_key, deposit_id, order_id, code.pin),
        qr_hash=codes.qr_hash(settings.code_key, deposit_id, order_id, code.qr_payload),
        hash_key_id=settings.code_key_id, deposited_by=deposited_by, tour_id=tour_id, expires_at=plan.expires_at,
    )
    record = parcel_record(deposited, resident_id=reservation.resident_id, delivery_day=reservation.delivery_day)
    if not await _claim(redis, order_id, record):
        raise Conflict(f"the parcel of order {order_id} was deposited already")
    notice = parcel_ready(deposit_id=deposit_id, order_id=order_id, resident_id=reservation.resident_id,
                          pin=code.pin, qr_payload=code.qr_payload, point_name=point.name,
                          point_address=point.address_line, access_note=point.access_note, doors=plan.doors,
                          collect_by=plan.expires_at, counter=point.kind == "COUNTER")
    try:
        # The code exists only in this request: tell the resident first. Should the deposit
        # then fail, the driver repeats it and the resident gets a new code (the newer wins);
        # the other way round a lost notification would leave a parcel nobody can open.
        await publish(producer, new_event(NotificationRequested, producer=API, caused_by=deposited,
                                          **asdict(notice)), deposited)
    except Exception:
        # Without its event the deposit did not happen: free the claim so it can be repeated.
        await _unclaim(redis, order_id, deposit_id)
        raise
    return Deposit(order_id, point_id, plan.compartment_ids, plan.doors, event_id=deposit_id,
                   expires_at=plan.expires_at)


async def _claim(redis: Redis, order_id: str, record: dict[str, str]) -> bool:
    """Write the parcel unless there is one already (one deposit per order)."""
    key = keys.parcel(order_id)

    async def claim(pipe: Pipeline) -> bool:
        if await pipe.exists(key):
            return False
        pipe.multi()
        pipe.hset(key, mapping=record)
        pipe.zadd(keys.DUE, {order_id: int(record["expires_at_ms"])})
        return True

    return await change_parcel(redis, order_id, claim)


async def _unclaim(redis: Redis, order_id: str, deposit_id: str) -> None:
    key = keys.parcel(order_id)

    async def unclaim(pipe: Pipeline) -> None:
        if await pipe.hget(key, "deposit_event_id") != deposit_id:
            return
        pipe.multi()
        pipe.delete(key)
        pipe.zrem(keys.DUE, order_id)

    await change_parcel(redis, order_id, unclaim)
