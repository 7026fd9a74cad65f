"""notify.requests -> the recipient's inbox (`notify:inbox:<recipient_id>`, a sorted
set of notification ids by the request's time, and `notify:inbox-message:<recipient_id>`,
the messages by notification id): what notify sent a person, for them to read
(`GET /v1/me/messages`). Written for every NotificationRequested that renders,
whether the provider took it or not (the person can still read it here); never
for a sign-in code (`domain/inbox.kept`). A repeated request (same notification
id) is kept once; the oldest beyond `KEPT` and those older than `KEPT_DAYS` go.
"""

from __future__ import annotations

import time
from typing import Any

from redis.asyncio import Redis

from nahnetz.records import NotificationRequested

from .. import keys
from ..domain import inbox
from ..domain.contacts import Contact, route
from ..domain.templates import MissingParameter, UnknownTemplate, render


def inbox_entry(event: NotificationRequested, contact: Contact | None) -> dict[str, Any] | None:
    """The entry `event` makes in its recipient's inbox; None when none is kept."""
    if not inbox.kept(event.template):
        return None
    way = route(event.channel.value, event.address, event.language.value, contact)
    try:
        rendered = render(event.template, way.language, event.params)
    except (UnknownTemplate, MissingParameter):
        return None  # never sent either (NotificationFailed)
    return inbox.entry(notification_id=event.notification_id, template=event.template, params=event.params,
                       rendered=rendered, channel=way.channel, created_at=event.meta.occurred_at)


async def remember(redis: Redis, event: NotificationRequested, contact: Contact | None, *,
                   now_ms: int | None = None) -> bool:
    """Keep `event`'s message in its recipient's inbox; True if it is (now or already) there."""
    message = inbox_entry(event, contact)
    if message is None:
        return False
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    at = inbox.score(event.meta.occurred_at)
    oldest = now_ms - int(inbox.KEPT_FOR.total_seconds() * 1000)
    if at < oldest:
        return False  # a replay of something long gone
    order, messages = keys.inbox(event.recipient_id), keys.inbox_messages(event.recipient_id)
    ttl = int(inbox.KEPT_FOR.total_seconds())
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hsetnx(messages, event.notification_id, inbox.encoded(message))
        pipe.zadd(order, {event.notification_id: at}, nx=True)
        pipe.expire(messages, ttl)
        pipe.expire(order, ttl)
        await pipe.execute()
    await _trim(redis, order, messages, oldest)
    return True


async def _trim(redis: Redis, order: str, messages: str, oldest: int) -> None:
    """Drop what is beyond the last KEPT, or older than KEPT_DAYS (both idempotent)."""
    stale = await redis.zrangebyscore(order, "-inf", f"({oldest}")
    beyond = await redis.zrange(order, 0, -(inbox.KEPT + 1))
    gone = sorted(set(stale) | set(beyond))
    if not gone:
        return
    async with redis.pipeline(transaction=True) as pipe:
        pipe.zrem(order, *gone)
        pipe.hdel(messages, *gone)
        await pipe.execute()


async def messages_of(redis: Redis, recipient_id: str, limit: int = inbox.PAGE, *,
                      now_ms: int | None = None) -> list[dict[str, Any]]:
    """The recipient's messages, newest first (at most `limit`, of the last KEPT_DAYS days)."""
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    oldest = now_ms - int(inbox.KEPT_FOR.total_seconds() * 1000)
    ids = await redis.zrevrangebyscore(keys.inbox(recipient_id), "+inf", oldest, start=0,
                                       num=max(0, min(limit, inbox.KEPT)))
    if not ids:
        return []
    raw = await redis.hmget(keys.inbox_messages(recipient_id), ids)
    return [m for m in map(inbox.decoded, raw) if m is not None]
