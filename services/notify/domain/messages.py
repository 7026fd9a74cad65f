"""A message ready to leave, and where it goes.

LETTER and PHONE_CALL serve people who are not online and chose them: those go
to the manual list an assistant works through (print and post, or call), whatever
providers are configured - digital werden UND analog bleiben. Which channel a
message takes is `contacts.route`'s answer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from nahnetz.records import NotificationRequested

from .contacts import Route
from .templates import Rendered

MANUAL_CHANNELS = frozenset({"LETTER", "PHONE_CALL"})
# Channels whose providers need an address (the request's, or the person's own).
ADDRESSED_CHANNELS = frozenset({"SMS", "EMAIL"})


@dataclass(frozen=True)
class OutgoingMessage:
    notification_id: str
    recipient_id: str
    recipient_role: str
    channel: str
    address: str | None
    template: str
    language: str
    subject: str
    text: str
    alternative_language: str
    alternative_text: str

    @classmethod
    def of(cls, request: NotificationRequested, rendered: Rendered, way: Route | None = None) -> "OutgoingMessage":
        """From a NotificationRequested and its rendered template, going `way` (default: as requested)."""
        way = way or Route(request.channel.value, request.address, rendered.language)
        return cls(
            notification_id=request.notification_id, recipient_id=request.recipient_id,
            recipient_role=request.recipient_role.value, channel=way.channel,
            address=way.address, template=rendered.template, language=rendered.language,
            subject=rendered.subject, text=rendered.text, alternative_language=rendered.alternative_language,
            alternative_text=rendered.alternative_text,
        )

    @property
    def manual(self) -> bool:
        return self.channel in MANUAL_CHANNELS

    def as_record(self) -> dict[str, Any]:
        return asdict(self)
