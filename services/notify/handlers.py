"""The notify worker's handler: one NotificationRequested, one message, one
NotificationSent or NotificationFailed - once per notification_id.

The worker reads notify.requests, where it also writes its own Sent and Failed
events: those are skipped. Sending is a side effect outside Redis, so the
guarantee is at least once: the result is recorded (processed marker keyed by
the notification id, remembering the result event) right after the send; a
crash between the two sends the message again on redelivery. A repeated
request (same event, or a new event with the same notification id) finds the
marker and is not sent again.
"""

from __future__ import annotations

import logging

from redis.asyncio import Redis

from nahnetz.events import Event, read_event
from nahnetz.messaging.idempotency import ProcessedMarkers, Transaction
from nahnetz.messaging.producer import EventProducer

from .delivery import Dispatcher, deliver, result_event

log = logging.getLogger(__name__)

CONSUMER = "notify.deliver"


async def handle_request(event: Event, redis: Redis, producer: EventProducer, dispatcher: Dispatcher, *,
                         attempts: int = 3, first_delay: float = 0.5) -> Event | None:
    """Deliver a NotificationRequested; return the result event published (None
    when there was nothing to publish)."""
    if event.type != "NotificationRequested":
        return None  # our own NotificationSent / NotificationFailed
    markers = ProcessedMarkers(redis, CONSUMER)
    ref = event.notification_id
    if await markers.is_processed(ref):
        remembered = await redis.get(markers.key(ref))
        if not remembered:
            log.info("notification %s was already handled", ref, extra={"notification_id": ref})
            return None
        return await _publish(markers, ref, read_event(remembered), producer)

    result = await deliver(event.data, dispatcher, attempts=attempts, first_delay=first_delay)
    outcome_event = result_event(event, result)

    async def record(tx: Transaction) -> bytes:
        return outcome_event.encode()

    outcome = await markers.apply(ref, record)
    if not outcome.applied:
        # Another worker (a rebalance) recorded it first: publish what it recorded.
        if not outcome.result:
            return None
        outcome_event = read_event(outcome.result)
    if outcome_event.type == "NotificationFailed":
        log.warning("notification %s failed: %s", ref, outcome_event.message,
                    extra={"notification_id": ref, "reason": outcome_event.reason})
    return await _publish(markers, ref, outcome_event, producer)


async def _publish(markers: ProcessedMarkers, ref: str, event: Event, producer: EventProducer) -> Event:
    await producer.publish(event)
    # Published: later redeliveries need not publish it again.
    await markers.redis.set(markers.key(ref), b"", xx=True, keepttl=True)
    return event
