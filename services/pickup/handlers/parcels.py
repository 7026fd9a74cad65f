"""pickup.parcels -> the parcel's hash and the due index; a collected or expired
parcel frees its compartments.

A parcel lives in `pickup:parcel:<order_id>` (see `domain/parcels.py`) and, while
it waits, in the sorted set `pickup:parcels:due` by its deadline. The API writes
it first (deposit, collection); this projection keeps it in step with the topic,
so a replay rebuilds it (wrong attempts that did not lock are no events: a
rebuild counts them from 0). Every change of a parcel happens in one WATCH/MULTI
step on its hash (`change_parcel`), so a collection, a second terminal and the
expiry job never both win.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import WatchError

from nahnetz.events import Event
from nahnetz.kit.errors import Unavailable
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import ParcelCollected, ParcelDeposited, ParcelExpired, PickupCodeLocked, PickupCodeReissued

from .. import keys
from ..domain.allocation import RELEASE_REASONS
from ..domain.collection import COLLECTED, DEPOSITED, EXPIRED
from ..domain.parcels import after_reissue, lock_was_cleared, parcel_record, to_ms, took_reissue
from . import reservations

MAX_CONFLICTS = 10


@dataclass(frozen=True)
class OpenedDoors:
    """What a deposit or a collection tells the terminal: which compartments open."""

    order_id: str
    pickup_point_id: str
    compartment_ids: list[str]
    doors: list[str]
    event_id: str


async def change_parcel(redis: Redis, order_id: str, step: Callable[[Pipeline], Awaitable[Any]]) -> Any:
    """Run `step` on a pipeline watching the parcel's hash until no one changed it
    meanwhile; `step` reads, then calls `pipe.multi()` and queues its writes (or not)."""
    key = keys.parcel(order_id)
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


async def handle_parcel_event(event: Event, redis: Redis, producer: EventProducer) -> None:
    """The agent on pickup.parcels: project the parcel and free the compartments of a
    collected or expired parcel."""
    await project_parcel(event, redis)
    if isinstance(event, (ParcelCollected, ParcelExpired)):
        await reservations.release_compartments(event.order_id, RELEASE_REASONS[event.type], event, redis,
                                                producer)


async def project_parcel(event: Event, redis: Redis) -> None:
    """Keep the parcel hash in step with pickup.parcels. Idempotent."""
    order_id = event.order_id
    key = keys.parcel(order_id)
    match event:
        case ParcelDeposited():
            order = await redis.hgetall(keys.order(order_id))
            record = parcel_record(event, resident_id=order.get("resident_id", ""),
                                   delivery_day=order.get("delivery_day", ""))

            async def deposit(pipe: Pipeline) -> None:
                if await pipe.exists(key):
                    return  # the API wrote it, or an earlier replay did
                pipe.multi()
                pipe.hset(key, mapping=record)
                pipe.zadd(keys.DUE, {order_id: to_ms(event.expires_at)})

            await change_parcel(redis, order_id, deposit)
            return
        case PickupCodeReissued():
            await change_parcel(redis, order_id, lambda pipe: apply_reissue(pipe, event))
            return
        case ParcelCollected():
            changes = {"status": COLLECTED, "collection_id": event.event_id}
        case ParcelExpired():
            changes = {"status": EXPIRED}
        case PickupCodeLocked():
            changes = {"locked": "1", "lock_published": "1", "failed_attempts": str(event.failed_attempts),
                       "lock_event_id": event.event_id}
        case _:
            return

    async def update(pipe: Pipeline) -> None:
        if not await pipe.exists(key):
            return  # a replay that starts after the deposit: nothing to update
        current = await pipe.hget(key, "status")
        if isinstance(event, PickupCodeLocked) and lock_was_cleared(await pipe.hgetall(key), event.event_id):
            return  # a new code ended this lock before its event got here
        pipe.multi()
        if isinstance(event, PickupCodeLocked) or current == DEPOSITED or current == changes["status"]:
            pipe.hset(key, mapping=changes)
        if not isinstance(event, PickupCodeLocked):
            pipe.zrem(keys.DUE, order_id)

    await change_parcel(redis, order_id, update)


async def apply_reissue(pipe: Pipeline, reissued: PickupCodeReissued) -> bool:
    """Give the parcel the new code of `reissued` (a `change_parcel` step); False when it
    has it already (the API wrote it, or an earlier replay did) or waits no more."""
    key = keys.parcel(reissued.order_id)
    record = await pipe.hgetall(key)
    if not record or took_reissue(record, reissued.event_id) or record.get("status") != DEPOSITED:
        return False
    changes, stale = after_reissue(record, reissued)
    pipe.multi()
    pipe.hset(key, mapping=changes)
    if stale:
        pipe.hdel(key, *stale)
    return True
