"""Publishing what the hub decided, once.

A decision is stored (as the event's bytes) together with its processed marker
before it is published. The event is published unless it is known to have
reached the broker, so a crash between the Redis step and the publish is healed
by the redelivery, and a plain redelivery publishes nothing a second time.
"""

from __future__ import annotations

from datetime import timedelta

from redis.asyncio import Redis

from nahnetz.events import Event, read_event
from nahnetz.messaging.producer import EventProducer

from .. import keys

PUBLISHED_TTL = timedelta(days=30)


async def publish_decided(redis: Redis, producer: EventProducer, encoded: bytes) -> Event:
    event = read_event(encoded)
    flag = keys.published(event.event_id)
    if not await redis.exists(flag):
        await producer.publish(event)
        await redis.set(flag, b"1", ex=PUBLISHED_TTL)
    return event
