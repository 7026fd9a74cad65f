"""notify.requests: one NotificationRequested, one message, one NotificationSent or
NotificationFailed - once per notification_id.

The worker reads notify.requests, where it also writes its own Sent and Failed
events: those are skipped. Sending is a side effect outside Redis, so the
guarantee is at least once: the result is recorded (the Outbox's processed
marker, keyed by the notification id, remembering the result event) right after
the send, then published; a crash between send and record sends the message
again on redelivery. A repeated request (same event, or a new event with the same
notification id) finds the marker and is not sent again; if the result was not
published yet, it is published then.

Each request also lands in its recipient's inbox (handlers/inbox.py) before it
is sent, so the person can read it even if the provider failed; a repeated
request is kept once there too.
"""

from __future__ import annotations

import logging

from redis.asyncio import Redis

from nahnetz.events import Event
from nahnetz.messaging.idempotency import Transaction
from nahnetz.messaging.outbox import Outbox
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import NotificationFailed, NotificationRequested, NotificationSent

from .. import keys
from .contacts import load_contact
from .delivery import Dispatcher, deliver, result_event
from .inbox import remember

log = logging.getLogger(__name__)


async def handle_request(event: NotificationRequested | NotificationSent | NotificationFailed, redis: Redis,
                         producer: EventProducer, dispatcher: Dispatcher, *, attempts: int = 3,
                         first_delay: float = 0.5) -> Event | None:
    """Deliver a NotificationRequested; return the result event published (None
    when there was nothing to publish)."""
    if not isinstance(event, NotificationRequested):
        return None  # our own NotificationSent / NotificationFailed
    ref = event.notification_id
    outbox = Outbox(redis, producer, keys.DELIVER)
    outcome: Event | None = None
    contact = await load_contact(redis, event.recipient_id)
    await remember(redis, event, contact)  # idempotent: once per notification id
    if not await outbox.markers.is_processed(ref):
        outcome = result_event(event, await deliver(event, dispatcher, contact=contact, attempts=attempts,
                                                    first_delay=first_delay))

    async def record(tx: Transaction) -> list[Event]:
        return [outcome] if outcome is not None else []

    # Already handled, or another worker (a rebalance) recorded it first: the
    # marker's events are published instead, if they were not yet.
    published = await outbox.decide(ref, record)
    if not published:
        log.info("notification %s was already handled", ref, extra={"notification_id": ref})
        return None
    for failed in (e for e in published if isinstance(e, NotificationFailed)):
        log.warning("notification %s failed: %s", ref, failed.message,
                    extra={"notification_id": ref, "reason": failed.reason.value})
    return published[0]
