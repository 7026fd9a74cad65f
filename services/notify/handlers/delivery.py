"""Delivering one NotificationRequested: render, route to providers, send (with
retries for retryable errors), and say how it went as NotificationSent or
NotificationFailed.

    dispatcher = Dispatcher([ConsoleNotifier(), file_notifier(path)], manual=manual_list(path2))
    result = await deliver(request, dispatcher)         # request: a NotificationRequested
    event = result_event(request, result)
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Sequence

from nahnetz.events import new_event
from nahnetz.records import (NotificationChannel, NotificationFailed, NotificationFailureReason,
                             NotificationRequested, NotificationSent)

from ..domain.contacts import Contact, route
from ..domain.messages import OutgoingMessage
from ..domain.templates import MissingParameter, UnknownTemplate, render
from ..settings import NotifySettings
from .providers import (ConsoleNotifier, HttpSmsNotifier, Notifier, ProviderError, SmtpEmailNotifier,
                        file_notifier, manual_list)

PRODUCER = "notify-worker"
_NAMESPACE = uuid.UUID("0c9f4c1e-5d0b-4b8e-a1a6-7f9d3e2b6c40")


class Dispatcher:
    """Which providers a message goes to: the manual list for letters and calls;
    for other channels the providers serving that channel, else every sink."""

    def __init__(self, notifiers: Sequence[Notifier], manual: Notifier):
        self.notifiers = list(notifiers)
        self.manual = manual

    def route(self, message: OutgoingMessage) -> list[Notifier]:
        if message.manual:
            return [self.manual]
        specific = [n for n in self.notifiers if n.channels is not None and message.channel in n.channels]
        return specific or [n for n in self.notifiers if n.channels is None]

    @classmethod
    def from_settings(cls, config: NotifySettings) -> "Dispatcher":
        made: list[Notifier] = []
        for name in config.provider_names:
            if name == "console":
                made.append(ConsoleNotifier())
            elif name == "file":
                made.append(file_notifier(config.file_path))
            elif name == "sms":
                made.append(HttpSmsNotifier(config.sms_url or "", config.sms_token, config.sms_sender))
            elif name == "email":
                made.append(SmtpEmailNotifier(config.smtp_host or "", config.smtp_port, config.smtp_from,
                                              user=config.smtp_user, password=config.smtp_password,
                                              starttls=config.smtp_starttls))
        return cls(made, manual_list(config.manual_path))


@dataclass(frozen=True)
class Delivered:
    channel: NotificationChannel
    provider_message_id: str | None
    message: OutgoingMessage


@dataclass(frozen=True)
class NotDelivered:
    channel: NotificationChannel
    reason: NotificationFailureReason
    detail: str


Result = Delivered | NotDelivered


async def deliver(request: NotificationRequested, dispatcher: Dispatcher, *, contact: Contact | None = None,
                  attempts: int = 3, first_delay: float = 0.5,
                  sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> Result:
    """Render and send the request the way the recipient chose (`contact`, if they
    gave details). Never raises for the message's own problems: they become NotDelivered."""
    way = route(request.channel.value, request.address, request.language.value, contact)
    channel = NotificationChannel(way.channel)
    try:
        rendered = render(request.template, way.language, request.params)
    except UnknownTemplate as exc:
        return NotDelivered(channel, NotificationFailureReason.UNKNOWN_TEMPLATE, str(exc))
    except MissingParameter as exc:
        return NotDelivered(channel, NotificationFailureReason.OTHER, str(exc))
    message = OutgoingMessage.of(request, rendered, way)
    targets = dispatcher.route(message)
    if not targets:
        return NotDelivered(channel, NotificationFailureReason.OTHER, f"no provider is configured for {channel}")
    receipts: list[str | None] = []
    for notifier in targets:
        for attempt in range(1, attempts + 1):
            try:
                receipts.append(await notifier.send(message))
                break
            except Exception as exc:
                error = exc if isinstance(exc, ProviderError) else ProviderError(f"{type(exc).__name__}: {exc}")
                if not error.retryable or attempt == attempts:
                    tried = f" after {attempt} attempts" if attempt > 1 else ""
                    return NotDelivered(channel, error.reason, f"{notifier.name}{tried}: {error}")
                await sleep(first_delay * 2 ** (attempt - 1))
    return Delivered(channel, next((r for r in receipts if r), None), message)


def result_event(request: NotificationRequested, result: Result) -> NotificationSent | NotificationFailed:
    """NotificationSent or NotificationFailed, once per notification_id (derived event id)."""
    common: dict[str, Any] = dict(producer=PRODUCER, caused_by=request, notification_id=request.notification_id,
                                  recipient_id=request.recipient_id, channel=result.channel)
    if isinstance(result, Delivered):
        return new_event(NotificationSent, event_id=_derived(request.notification_id, "sent"),
                         provider_message_id=result.provider_message_id, **common)
    return new_event(NotificationFailed, event_id=_derived(request.notification_id, "failed"),
                     reason=result.reason, message=result.detail, retryable=False, **common)


def _derived(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))
