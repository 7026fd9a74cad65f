"""Rebuild the notify service's Redis state.

    python -m services.notify.rebuild --yes      (KAFKA_BOOTSTRAP, REDIS_URL)

Two kinds of keys (keys.py):
- the people's contact details (`notify:contact:<recipient_id>`) and sign-in's
  address index (`notify:address:<address>`), a projection of notify.contacts:
  deleted, then rebuilt here by replaying that topic from its beginning with the
  worker's own projection (the topic is compacted: the last ContactDetailsSet or
  ContactDetailsErased of each person is what counts);
- the inboxes (`notify:inbox:<recipient_id>`, `notify:inbox-message:<recipient_id>`),
  the messages people can read again: deleted, then rebuilt here by replaying
  notify.requests (after the contacts, for each person's language); only what
  is younger than 30 days comes back, and nothing is sent;
- the processed markers `nahnetz:processed:notify.deliver:<notification_id>`,
  which make each notification go out once: deleted. They cannot be rebuilt
  without sending messages again.
The API's sign-in keys (pending codes, counters, `notify:sign-in:*`) live minutes
to an hour and are left alone.

Stop the worker first, and start it again with the SAME NOTIFY_APP_ID: it goes
on after its committed offsets, so nothing old is sent again; only a request
repeated later for a notification already sent (same notification id) is sent a
second time, as nothing remembers it any more. A new NOTIFY_APP_ID would read
notify.requests from its beginning and send every request still on the topic
again: do that only where that is wanted (a test stack), never with residents
on the other end.
"""

from __future__ import annotations

import logging

import redis.asyncio as aioredis

from nahnetz.events import read_event
from nahnetz.kit.rebuild import delete_matching
from nahnetz.kit.redis import connect as connect_redis
from nahnetz.kit.replay import replay, replay_command
from nahnetz.kit.settings import Settings
from nahnetz.records import ContactDetailsErased, ContactDetailsSet, NotificationRequested
from nahnetz.topics import NOTIFY_CONTACTS, NOTIFY_REQUESTS

from . import keys
from .handlers.contacts import load_contact, project_contact
from .handlers.inbox import remember

log = logging.getLogger("services.notify.rebuild")


async def clear_state(redis: aioredis.Redis) -> int:
    """Delete notify's markers, contact details, address index and inboxes; return how many keys went."""
    return await delete_matching(redis, [*keys.marker_patterns(), keys.CONTACT_PATTERN, keys.ADDRESS_PATTERN,
                                         *keys.INBOX_PATTERNS])


async def rebuild(settings: Settings) -> dict[str, int]:
    redis = connect_redis(settings.redis_url, client_name="notify-rebuild")
    counts = {"deleted": 0, "contacts": 0, "messages": 0, "skipped": 0}
    try:
        counts["deleted"] = await clear_state(redis)
        async for record in replay(settings.kafka_bootstrap, NOTIFY_CONTACTS):
            try:
                event = read_event(record.value)
                if not isinstance(event, (ContactDetailsSet, ContactDetailsErased)):
                    raise TypeError(f"{event.type} is no contact event")
                await project_contact(event, redis)
                counts["contacts"] += 1
            except Exception as exc:  # what the worker dead-lettered cannot be applied now either
                counts["skipped"] += 1
                log.warning("skipped %s[%d]@%d: %s: %s", record.topic, record.partition, record.offset,
                            type(exc).__name__, exc)
        async for record in replay(settings.kafka_bootstrap, NOTIFY_REQUESTS):
            try:
                event = read_event(record.value)
                if isinstance(event, NotificationRequested):  # the worker's own results: nothing to keep
                    if await remember(redis, event, await load_contact(redis, event.recipient_id)):
                        counts["messages"] += 1
            except Exception as exc:
                counts["skipped"] += 1
                log.warning("skipped %s[%d]@%d: %s: %s", record.topic, record.partition, record.offset,
                            type(exc).__name__, exc)
    finally:
        await redis.aclose()
    return counts


def main() -> None:
    counts = replay_command(__doc__, "notify", "the notify service's markers, contact details and inboxes", rebuild)
    log.info("notify state rebuilt", extra=counts)
    print(f"deleted {counts['deleted']} keys; rebuilt the contact details from {counts['contacts']} events and "
          f"{counts['messages']} inbox messages from notify.requests ({counts['skipped']} skipped). Restart the "
          "worker with the SAME NOTIFY_APP_ID (a new group would resend every message).")


if __name__ == "__main__":
    main()
