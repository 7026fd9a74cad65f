"""Small helpers to publish what the handlers decided."""

from __future__ import annotations

from nahnetz.events import Event, new_event, read_event
from nahnetz.messaging.producer import EventProducer, event_headers
from nahnetz.topics import Topic

from ..domain.notices import Notice


async def publish_encoded(producer: EventProducer, topic: Topic, encoded: bytes, key: str) -> Event:
    """Publish an event remembered as bytes (the same event id on a redelivery)."""
    event = read_event(encoded)
    await producer.publish_raw(topic, encoded, key=key, headers=event_headers(event))
    return event


def notification_event(notice: Notice, *, producer: str, caused_by: Event) -> Event:
    return new_event(
        "NotificationRequested", producer=producer, caused_by=caused_by,
        notification_id=notice.notification_id, recipient_id=notice.recipient_id,
        recipient_role=notice.recipient_role, template=notice.template, language=notice.language,
        params=dict(notice.params),
    )
