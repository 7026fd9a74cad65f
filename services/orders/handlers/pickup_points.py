"""pickup.points -> orders:pickup-point:<id>: where an order may be delivered, and the
name the resident is told."""

from __future__ import annotations

from redis.asyncio import Redis

from nahnetz.records import PickupPointRegistered, PickupPointUpdated

from .. import keys
from ..domain.listings import PickupPointListing
from .store import dumps


async def project_pickup_point(event: PickupPointRegistered | PickupPointUpdated, redis: Redis) -> None:
    """Each event carries the whole description."""
    point = PickupPointListing.from_description(event)
    await redis.set(keys.pickup_point(point.pickup_point_id), dumps(point.to_dict()))
