"""Publishing what the hub decided, once.

A decision is stored (as the event's bytes) together with its processed marker
before it is published. It is then published unless it is known to have reached
the broker, so a crash between the Redis step and the publish is healed by the
redelivery, and a plain redelivery publishes nothing again.

Two handlers may reach the same decision at the same moment (a confirmation and
the arrival of the shop it waited for, on different partitions): a short claim
(`sending`) lets one of them publish while the other waits for the outcome. A
claim left by a crashed worker expires, and the next try publishes.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta

from redis.asyncio import Redis

from nahnetz.events import Event, read_event
from nahnetz.messaging.producer import EventProducer

from .. import keys

PUBLISHED = b"1"
PUBLISHED_TTL = timedelta(days=30)
SENDING_TTL_MS = 30_000
_POLL_S = 0.05


class StillSending(RuntimeError):
    """Another handler is publishing the same decision and has not finished: try again."""


async def publish_decided(redis: Redis, producer: EventProducer, encoded: bytes) -> Event:
    event = read_event(encoded)
    flag = keys.published(event.event_id)
    claim = f"sending:{uuid.uuid4().hex}".encode()
    deadline = time.monotonic() + SENDING_TTL_MS / 1000
    while not await redis.set(flag, claim, nx=True, px=SENDING_TTL_MS):
        state = await redis.get(flag)
        if state is not None and _as_bytes(state) == PUBLISHED:
            return event  # on the broker already
        if time.monotonic() > deadline:
            raise StillSending(f"{event.type} {event.event_id} is still being published by another handler")
        await asyncio.sleep(_POLL_S)
    try:
        await producer.publish(event)
    except BaseException:
        if _as_bytes(await redis.get(flag) or b"") == claim:
            await redis.delete(flag)  # let the retry publish it
        raise
    await redis.set(flag, PUBLISHED, ex=PUBLISHED_TTL)
    return event


def _as_bytes(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else value
