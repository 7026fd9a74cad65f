"""A message ready to leave, and where it goes.

LETTER and PHONE_CALL serve people who are not online: those go to the manual
list an assistant works through (print and post, or call), whatever providers
are configured - digital werden UND analog bleiben.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from nahnetz.records import NotificationRequested

from .templates import Rendered

MANUAL_CHANNELS = frozenset({"LETTER", "PHONE_CALL"})
# Channels whose providers need an address; without one the recipient's preferred
# address would have to be looked up, which no provider here can do.
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
    def of(cls, request: NotificationRequested, rendered: Rendered) -> "OutgoingMessage":
        """From a NotificationRequested and its rendered template."""
        return cls(
            notification_id=request.notification_id, recipient_id=request.recipient_id,
            recipient_role=request.recipient_role.value, channel=request.channel.value,
            address=request.address, template=rendered.template, language=rendered.language,
            subject=rendered.subject, text=rendered.text, alternative_language=rendered.alternative_language,
            alternative_text=rendered.alternative_text,
        )

    @property
    def manual(self) -> bool:
        return self.channel in MANUAL_CHANNELS

    def as_record(self) -> dict[str, Any]:
        return asdict(self)
