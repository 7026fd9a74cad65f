"""Project shops (catalog.shops) and pick-up points (pickup.points) into the
hub's own keys: what planning a shipment needs of them.

Rebuild: delete `hub:shop:*` and `hub:point:*` and replay both topics from the
beginning (every event carries the whole description).
"""

from __future__ import annotations

import json

from redis.asyncio import Redis

from nahnetz.events import Event
from nahnetz.messaging.handling import InvalidEvent

from .. import keys
from ..domain.places import PickupPoint, Shop


async def project_shop(event: Event, redis: Redis) -> list[str]:
    """Store the shop; return the confirmed orders that were waiting for it."""
    if event.type == "ShopClosed":
        raw = await redis.get(keys.shop(event.shop_id))
        if raw is None:
            return []  # a shop we never knew holds no shipments
        doc = json.loads(raw)
        doc["closed_for_good"] = True
        await redis.set(keys.shop(event.shop_id), json.dumps(doc))
        return []
    try:
        shop = Shop.from_event(event.data)
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidEvent(f"{event.type} {event.data.get('shop_id')}: {exc}") from exc
    await redis.set(keys.shop(shop.shop_id), json.dumps(shop.as_json()))
    return sorted(keys.text(m) for m in await redis.smembers(keys.waiting_for_shop(shop.shop_id)))


async def project_point(event: Event, redis: Redis) -> list[str]:
    """Store the pick-up point; return the confirmed orders that were waiting for it."""
    try:
        point = PickupPoint.from_event(event.data)
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidEvent(f"{event.type} {event.data.get('pickup_point_id')}: {exc}") from exc
    await redis.set(keys.point(point.pickup_point_id), json.dumps(point.as_json()))
    return sorted(keys.text(m) for m in await redis.smembers(keys.waiting_for_point(point.pickup_point_id)))


async def load_shop(redis: Redis, shop_id: str) -> Shop | None:
    raw = await redis.get(keys.shop(shop_id))
    return None if raw is None else Shop.from_json(json.loads(raw))


async def load_point(redis: Redis, point_id: str) -> PickupPoint | None:
    raw = await redis.get(keys.point(point_id))
    return None if raw is None else PickupPoint.from_json(json.loads(raw))
