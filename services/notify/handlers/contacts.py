"""notify.contacts -> `notify:contact:<recipient_id>`: the details each person gave,
replaced as a whole by each ContactDetailsSet, deleted by ContactDetailsErased.
The API publishes; only this projection writes, so a replay rebuilds the same."""

from __future__ import annotations

from redis.asyncio import Redis

from nahnetz.records import ContactDetailsErased, ContactDetailsSet

from .. import keys
from ..domain.contacts import Contact


async def project_contact(event: ContactDetailsSet | ContactDetailsErased, redis: Redis) -> None:
    key = keys.contact(event.recipient_id)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(key)
        if isinstance(event, ContactDetailsSet):
            pipe.hset(key, mapping=Contact.from_event(event).as_record())
        await pipe.execute()


async def load_contact(redis: Redis, recipient_id: str) -> Contact | None:
    record = await redis.hgetall(keys.contact(recipient_id))
    return Contact.from_record(record) if record else None
