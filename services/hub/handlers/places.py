"""Project shops (catalog.shops) and pick-up points (pickup.points) into the
hub's own keys: what planning a shipment needs of them.

Each key keeps the place's latest profile event itself (ShopRegistered /
ShopUpdated, PickupPointRegistered / PickupPointUpdated carry the whole
description), so the hub reads the typed fields back; a ShopClosed marks the
shop closed for good.

Rebuild: delete `hub:shop:*` and `hub:point:*` and replay both topics from the
beginning.
"""

from __future__ import annotations

from redis.asyncio import Redis

from nahnetz.messaging.outbox import pack, unpack
from nahnetz.records import PickupPointRegistered, PickupPointUpdated, ShopClosed, ShopRegistered, ShopUpdated

from .. import keys
from ..domain.places import PickupPoint, Shop
from .stored import load_event

PROFILE, CLOSED_FOR_GOOD = "profile", "closed_for_good"


async def project_shop(event: ShopRegistered | ShopUpdated | ShopClosed, redis: Redis) -> list[str]:
    """Store the shop; return the confirmed orders that were waiting for it."""
    key = keys.shop(event.shop_id)
    if isinstance(event, ShopClosed):
        if await redis.exists(key):  # a shop we never knew holds no shipments
            await redis.hset(key, CLOSED_FOR_GOOD, "1")
        return []
    if not isinstance(event, (ShopRegistered, ShopUpdated)):
        return []
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(key, PROFILE, pack([event]))
        pipe.hdel(key, CLOSED_FOR_GOOD)  # the whole profile again: what it says holds
        await pipe.execute()
    return sorted(await redis.smembers(keys.waiting_for_shop(event.shop_id)))


async def project_point(event: PickupPointRegistered | PickupPointUpdated, redis: Redis) -> list[str]:
    """Store the pick-up point; return the confirmed orders that were waiting for it."""
    if not isinstance(event, (PickupPointRegistered, PickupPointUpdated)):
        return []
    await redis.set(keys.point(event.pickup_point_id), pack([event]))
    return sorted(await redis.smembers(keys.waiting_for_point(event.pickup_point_id)))


async def load_shop(redis: Redis, shop_id: str) -> Shop | None:
    stored = await redis.hgetall(keys.shop(shop_id))
    if not stored.get(PROFILE):
        return None
    [profile] = unpack(stored[PROFILE])
    return Shop(profile.shop_id, profile.name, profile.location, profile.opening_hours,
                closed_for_good=stored.get(CLOSED_FOR_GOOD) == "1")


async def load_point(redis: Redis, point_id: str) -> PickupPoint | None:
    profile = await load_event(redis, keys.point(point_id))
    if profile is None:
        return None
    return PickupPoint(profile.pickup_point_id, profile.name, profile.kind, profile.location, profile.opening_hours)
