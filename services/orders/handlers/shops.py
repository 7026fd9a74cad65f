"""catalog.shops -> orders:shop:<id>: a shop's opening hours, so an order never books a
day its goods cannot be collected for (domain/collection_days.py)."""

from __future__ import annotations

from redis.asyncio import Redis

from nahnetz.records import ShopClosed, ShopRegistered, ShopUpdated

from .. import keys
from ..domain.listings import ShopListing
from .store import dumps, load_shop

ShopEvent = ShopRegistered | ShopUpdated | ShopClosed


async def project_shop(event: ShopEvent, redis: Redis) -> None:
    """Each profile event carries the whole profile; a closure marks the shop closed for good."""
    if isinstance(event, (ShopRegistered, ShopUpdated)):
        shop = ShopListing.from_profile(event)
    else:
        known = await load_shop(redis, event.shop_id)
        if known is None:
            return  # a shop never seen here holds no orders to judge
        shop = known.close_for_good()
    await redis.set(keys.shop(event.shop_id), dumps(shop.to_dict()))
