"""The API's reads, answered from the worker's read models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from redis.asyncio import Redis

from . import keys
from .domain.alternatives import bookable, can_take_available, still_open
from .domain.booking import BookingRules
from .domain.lifecycle import OrderStatus, OrderView
from .domain.listings import ShopListing
from .domain.packing_list import PackingList, build_packing_list
from .handlers.store import load_point, load_shops, load_views, loads

MAX_PAGE = 200
# Redis answers an error, not an empty page, for a range past 2**63; no list is this long.
MAX_OFFSET = 1_000_000


async def find_order(redis: Redis, order_id: str) -> OrderView | None:
    """The projected order, else the order as the API accepted it moments ago."""
    for key in (keys.order(order_id), keys.submitted(order_id)):
        data = loads(await redis.get(key))
        if data is not None:
            return OrderView.from_dict(data)
    return None


async def orders_of_resident(redis: Redis, resident_id: str, limit: int, offset: int) -> list[OrderView]:
    ids = await redis.zrevrange(keys.resident_orders(resident_id), offset, offset + limit - 1)
    return await load_views(redis, ids)


async def recent_orders(redis: Redis, limit: int, offset: int) -> list[OrderView]:
    ids = await redis.zrevrange(keys.RECENT, offset, offset + limit - 1)
    return await load_views(redis, ids)


async def packing_list(redis: Redis, shop_id: str, day: date) -> PackingList:
    order_ids = sorted(await redis.smembers(keys.packing(shop_id, day)))
    orders = await load_views(redis, order_ids)
    names = {}
    for point_id in {order.pickup_point_id for order in orders}:
        point = await load_point(redis, point_id)
        if point is not None:
            names[point_id] = point.name
    return build_packing_list(shop_id, day, orders, names)


async def pickup_point_name(redis: Redis, pickup_point_id: str) -> str | None:
    point = await load_point(redis, pickup_point_id)
    return point.name if point else None


async def instead(redis: Redis, order: OrderView, rules: BookingRules, now: datetime) -> dict[str, Any] | None:
    """What a rejected order can still become, for the resident to take in one step:
    the pick-up point's suggestions that can still be booked (named), and whether the
    units left can be ordered. None for an order not rejected, or taken again already."""
    if order.status is not OrderStatus.REJECTED or order.replaced_by is not None:
        return None
    shops = [s for s in (await load_shops(redis, order.shop_ids)).values() if isinstance(s, ShopListing)]
    offered = still_open(order, lambda day: bookable(day, now, rules, shops))
    names = {}
    for point_id in {a.pickup_point_id for a in offered}:
        point = await load_point(redis, point_id)
        names[point_id] = point.name if point else None
    return {
        "alternatives": [{
            "kind": "LATER_DAY" if a.distance_m is None else "OTHER_POINT",
            "pickup_point": {"pickup_point_id": a.pickup_point_id, "name": names.get(a.pickup_point_id)},
            "delivery_day": a.delivery_day.isoformat(),
            "distance_km": None if a.distance_m is None else round(a.distance_m / 1000, 1),
        } for a in offered],
        "take_available": can_take_available(order),
        "take_url": f"/v1/orders/{order.order_id}/alternative",
    }


async def shops(redis: Redis, shop_ids: list[str]) -> dict[str, ShopListing | None]:
    """The shops' opening hours as projected from catalog.shops (None: not known here)."""
    return await load_shops(redis, shop_ids)
