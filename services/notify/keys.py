"""Every Redis key of the notify service, in one place.

| key | type | what |
|---|---|---|
| nahnetz:processed:notify.deliver:<notification_id> | string, 30 d | handled; until published, its result event |
| notify:contact:<recipient_id> | hash | a person's chosen channel, language and addresses (`domain/contacts.py`) |
| notify:address:<address> | string | the recipient id whose details have this phone (E.164) or e-mail (lower-cased): sign-in's reverse index, a projection like the contacts |
| notify:inbox:<recipient_id> | sorted set, 30 d | the notification ids of a person's messages by the request's time (ms), the last 50 of 30 days (`handlers/inbox.py`) |
| notify:inbox-message:<recipient_id> | hash, 30 d | those messages by notification id: JSON {notification_id, template, params, subject, text, language, channel, created_at, reference}; never a sign-in code |
| notify:sign-in:code:<address> | hash, 600 s | the pending sign-in code of an address: its HMAC (never the code), tries, language, notification id (API) |
| notify:sign-in:new:<address> | string, 1 d | the resident id a sign-in just created for an address, until the projection indexes it (API) |
| notify:sign-in:limit:<scope>:<who>:<window> | counter, its window | sign-in requests and wrong codes of a caller, codes sent to an address (API) |

(written by the worker: the markers from notify.requests, the remembered
NotificationSent / NotificationFailed being the Outbox's base64, emptied once
published; the contacts and the address index from notify.contacts, rebuilt by
replaying it; the inboxes from notify.requests, rebuilt by replaying it.
Written by the API: the sign-in keys, which live minutes to an hour and are not
rebuilt)

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


def address(normalised: str) -> str:
    """Who has this phone number or e-mail address (`domain/sign_in.normalise_address`)."""
    return f"notify:address:{normalised}"


ADDRESS_PATTERN = "notify:address:*"


def inbox(recipient_id: str) -> str:
    """The notification ids of a person's kept messages, scored by the request's time (ms)."""
    return f"notify:inbox:{recipient_id}"


def inbox_messages(recipient_id: str) -> str:
    """A person's kept messages (JSON) by notification id."""
    return f"notify:inbox-message:{recipient_id}"


INBOX_PATTERNS = ["notify:inbox:*", "notify:inbox-message:*"]


def sign_in_code(normalised: str) -> str:
    return f"notify:sign-in:code:{normalised}"


def sign_in_new(normalised: str) -> str:
    return f"notify:sign-in:new:{normalised}"


def sign_in_limit(scope: str, who: str, window: int) -> str:
    return f"notify:sign-in:limit:{scope}:{who}:{window}"
