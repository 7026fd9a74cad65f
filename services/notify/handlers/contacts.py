"""notify.contacts -> `notify:contact:<recipient_id>`: the details each person gave,
replaced as a whole by each ContactDetailsSet, deleted by ContactDetailsErased.
The API publishes; only this projection writes, so a replay rebuilds the same.

With the details it keeps sign-in's reverse index `notify:address:<address>`
(phone in E.164, e-mail lower-cased -> recipient id): set for the addresses of
a ContactDetailsSet, removed for those the person no longer has or erased. An
address two people gave points to whoever gave it last; an entry is only
removed by its own person. Details a shop, driver or staff member gave for
themself are not indexed (`domain/sign_in.signs_in_as_resident`).
"""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import WatchError

from nahnetz.records import ContactDetailsErased, ContactDetailsSet

from .. import keys
from ..domain.contacts import Contact
from ..domain.sign_in import addresses_of, signs_in_as_resident


def _indexed(event: ContactDetailsSet | ContactDetailsErased) -> Contact | None:
    if not isinstance(event, ContactDetailsSet):
        return None
    actor = event.meta.actor
    if actor is not None and not signs_in_as_resident(
            event.recipient_id, actor.user_id, getattr(actor.role, "value", actor.role), actor.on_behalf_of):
        return None
    return Contact.from_event(event)


async def project_contact(event: ContactDetailsSet | ContactDetailsErased, redis: Redis) -> None:
    recipient = event.recipient_id
    key = keys.contact(recipient)
    new = addresses_of(_indexed(event))
    async with redis.pipeline(transaction=True) as pipe:
        while True:
            try:
                await pipe.watch(key)
                record = await pipe.hgetall(key)
                stale = sorted(addresses_of(Contact.from_record(record) if record else None) - new)
                stale_keys = [keys.address(a) for a in stale]
                if stale_keys:
                    await pipe.watch(key, *stale_keys)
                    owners = await pipe.mget(stale_keys)
                else:
                    owners = []
                pipe.multi()
                pipe.delete(key)
                if isinstance(event, ContactDetailsSet):
                    pipe.hset(key, mapping=Contact.from_event(event).as_record())
                for stale_key, owner in zip(stale_keys, owners):
                    if owner == recipient:  # another person who gave it since keeps it
                        pipe.delete(stale_key)
                for address in sorted(new):
                    pipe.set(keys.address(address), recipient)
                await pipe.execute()
                return
            except WatchError:
                continue


async def load_contact(redis: Redis, recipient_id: str) -> Contact | None:
    record = await redis.hgetall(keys.contact(recipient_id))
    return Contact.from_record(record) if record else None


async def recipient_of(redis: Redis, address: str) -> str | None:
    """Whose details have this (normalised) phone number or e-mail address."""
    return await redis.get(keys.address(address))
