"""Every Redis key of the notify service, in one place.

| key | type | what |
|---|---|---|
| nahnetz:processed:notify.deliver:<notification_id> | string, 30 d | handled; until published, its result event |
| notify:contact:<recipient_id> | hash | a person's chosen channel, language and addresses (`domain/contacts.py`) |

(written by the worker: the markers from notify.requests, the remembered
NotificationSent / NotificationFailed being the Outbox's base64, emptied once
published; the contacts from notify.contacts, rebuilt by replaying it)

The markers are what stops a notification from being sent twice (see rebuild.py
for what clearing them means).
"""

from __future__ import annotations

from nahnetz.messaging.idempotency import MARKER_PREFIX

# The processed markers' consumer name; the ref is the notification id, so a new
# request with the same notification id is not sent again either.
DELIVER = "notify.deliver"


def delivered(notification_id: str) -> str:
    return f"{MARKER_PREFIX}:{DELIVER}:{notification_id}"


def marker_patterns() -> list[str]:
    return [f"{MARKER_PREFIX}:{DELIVER}:*"]


def contact(recipient_id: str) -> str:
    return f"notify:contact:{recipient_id}"


CONTACT_PATTERN = "notify:contact:*"
