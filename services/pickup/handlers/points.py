"""pickup.points -> Redis: the description, the id set and the GEO index.

Rebuild: delete `pickup:point:*`, `pickup:points`, `pickup:points:geo` and replay
pickup.points from the beginning (every event carries the whole description).
"""

from __future__ import annotations

import json

from redis.asyncio import Redis

from nahnetz.messaging.handling import InvalidEvent
from nahnetz.records import PickupPointRegistered, PickupPointUpdated

from .. import keys
from ..domain.points import PickupPoint, description_problems


async def project_point(event: PickupPointRegistered | PickupPointUpdated, redis: Redis) -> None:
    """Idempotent: the same event twice leaves the same state."""
    point = PickupPoint.from_event(event)
    problems = description_problems(point)
    if problems:
        raise InvalidEvent(f"{event.type} {point.pickup_point_id}: {'; '.join(problems)}")
    doc = point.to_json()
    doc["updated_at"] = event.meta.occurred_at.isoformat()
    doc["version"] = event.event_id
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(keys.point(point.pickup_point_id), json.dumps(doc))
        pipe.sadd(keys.POINTS, point.pickup_point_id)
        pipe.geoadd(keys.GEO, (point.lon, point.lat, point.pickup_point_id))
        await pipe.execute()


async def load_point(redis: Redis, pickup_point_id: str) -> PickupPoint | None:
    raw = await redis.get(keys.point(pickup_point_id))
    return None if raw is None else PickupPoint.from_json(json.loads(raw))
