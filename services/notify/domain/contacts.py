"""How a person wants to be told things, and what that means for one message.

A person (or an assistant for them, on the phone or at the counter) gives their
contact details with consent: a preferred channel, a language, and the address
that channel needs. Every message to them then goes that way, in that language,
whatever the requesting service assumed: the recipient knows best. Letters and
calls reach the assistants' list only for people who chose them; a person who
gave no details is told through the default sinks (console, file), as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from nahnetz.records import ContactDetailsSet

# The address each channel a person may choose needs.
NEEDS = {"SMS": "phone", "PHONE_CALL": "phone", "EMAIL": "email", "LETTER": "postal_address"}
CHOOSABLE = tuple(NEEDS)


@dataclass(frozen=True)
class Contact:
    recipient_id: str
    preferred_channel: str
    language: str = "de"
    phone: str | None = None
    email: str | None = None
    postal_address: str | None = None

    @property
    def address(self) -> str | None:
        """The address of the preferred channel."""
        return getattr(self, NEEDS[self.preferred_channel])

    def as_record(self) -> dict[str, str]:
        """The Redis hash of `keys.contact` (empty fields left out)."""
        return {k: v for k, v in {"recipient_id": self.recipient_id, "preferred_channel": self.preferred_channel,
                                  "language": self.language, "phone": self.phone, "email": self.email,
                                  "postal_address": self.postal_address}.items() if v}

    @classmethod
    def from_record(cls, record: Mapping[str, str]) -> "Contact":
        return cls(record["recipient_id"], record["preferred_channel"], record.get("language", "de"),
                   record.get("phone"), record.get("email"), record.get("postal_address"))

    @classmethod
    def from_event(cls, event: ContactDetailsSet) -> "Contact":
        return cls(event.recipient_id, event.preferred_channel.value, event.language.value, event.phone,
                   event.email, event.postal_address)


def missing_address(channel: str, *, phone: str | None, email: str | None, postal_address: str | None) -> str | None:
    """Which field the chosen channel needs but was not given (None: all there)."""
    if channel not in NEEDS:
        return "preferred_channel"
    given = {"phone": phone, "email": email, "postal_address": postal_address}
    return None if given[NEEDS[channel]] else NEEDS[channel]


@dataclass(frozen=True)
class Route:
    channel: str
    address: str | None
    language: str


def route(channel: str, address: str | None, language: str, contact: Contact | None) -> Route:
    """Where one message goes. An address the requester gave is used as given (it
    knows something specific, e.g. a one-off number); otherwise the person's own
    choice decides channel, address and language. Without details the request's
    channel stands, except letters and calls, which only who chose them gets."""
    if address:
        return Route(channel, address, contact.language if contact else language)
    if contact is not None:
        return Route(contact.preferred_channel, contact.address, contact.language)
    if channel in ("LETTER", "PHONE_CALL"):
        return Route("OTHER", None, language)
    return Route(channel, None, language)
