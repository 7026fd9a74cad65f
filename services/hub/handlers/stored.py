"""Events the hub keeps in Redis one to a key (`nahnetz.messaging.outbox.pack`),
read back typed."""

from __future__ import annotations

from redis.asyncio import Redis

from nahnetz.events import Event
from nahnetz.messaging.outbox import unpack


async def load_event(redis: Redis, key: str) -> Event | None:
    """The event kept at `key`, or None when nothing is kept there yet."""
    raw = await redis.get(key)
    if raw is None:
        return None
    [event] = unpack(raw)
    return event
