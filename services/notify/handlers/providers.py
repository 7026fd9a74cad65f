"""Where messages go: the `Notifier` interface and its providers.

| name (NOTIFY_PROVIDERS) | channels | what it does |
|---|---|---|
| console | any | logs the message as a JSON line on stdout (development, demos) |
| file | any | appends the message as a JSON line to NOTIFY_FILE_PATH |
| sms | SMS | POSTs {to, text, reference} to an SMS gateway at NOTIFY_SMS_URL (bearer NOTIFY_SMS_TOKEN) |
| email | EMAIL | sends through SMTP at NOTIFY_SMTP_HOST:NOTIFY_SMTP_PORT from NOTIFY_SMTP_FROM |
| (manual) | LETTER, PHONE_CALL | always on: appends to NOTIFY_MANUAL_PATH, the list an assistant works through |

A provider raises `ProviderError` when it cannot send; `retryable` says whether
trying again may help (a gateway away) or not (no address, refused recipient).
"""

from __future__ import annotations

import asyncio
import json
import logging
import smtplib
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol, runtime_checkable

import httpx

from nahnetz.records import NotificationFailureReason as Reason

from ..domain.messages import OutgoingMessage

log = logging.getLogger("services.notify.console")


class ProviderError(Exception):
    """The provider could not send, and why."""

    def __init__(self, message: str, *, reason: Reason = Reason.PROVIDER_ERROR, retryable: bool = True):
        super().__init__(message)
        self.reason = reason
        self.retryable = retryable


@runtime_checkable
class Notifier(Protocol):
    name: str
    # The channels this provider serves; None: a sink for any channel.
    channels: frozenset[str] | None

    async def send(self, message: OutgoingMessage) -> str | None:
        """Send; return the provider's message id (if it has one). Raise ProviderError."""
        ...


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class ConsoleNotifier:
    name = "console"
    channels = None

    async def send(self, message: OutgoingMessage) -> str | None:
        log.info("[%s -> %s] %s", message.channel, message.recipient_id, message.text,
                 extra={"notification_id": message.notification_id, "template": message.template,
                        "subject": message.subject})
        return None


class JsonLinesFile:
    """Appends one JSON object per message; safe for concurrent sends in one process."""

    def __init__(self, path: Path | str, name: str = "file", extra: dict | None = None):
        self.path = Path(path)
        self.name = name
        self.channels: frozenset[str] | None = None
        self._extra = extra or {}
        self._lock = asyncio.Lock()

    async def send(self, message: OutgoingMessage) -> str | None:
        line = json.dumps({"written_at": _now(), **message.as_record(), **self._extra}, ensure_ascii=False)
        async with self._lock:
            try:
                await asyncio.to_thread(self._append, line)
            except OSError as exc:
                raise ProviderError(f"cannot write {self.path}: {exc}") from exc
        return f"{self.name}:{message.notification_id}"

    def _append(self, line: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(line + "\n")


def file_notifier(path: Path | str) -> JsonLinesFile:
    return JsonLinesFile(path, "file")


def manual_list(path: Path | str) -> JsonLinesFile:
    """The assistants' to-do list: letters to print and post, people to call."""
    notifier = JsonLinesFile(path, "manual", extra={"todo": "open"})
    return notifier


class HttpSmsNotifier:
    """A generic SMS gateway over HTTP (JSON in, `{"id": ...}` out)."""

    name = "sms"
    channels = frozenset({"SMS"})

    def __init__(self, url: str, token: str | None = None, sender: str = "Nahnetz",
                 transport: httpx.AsyncBaseTransport | None = None, timeout: float = 10.0):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.url = url
        self.sender = sender
        self._client = httpx.AsyncClient(headers=headers, timeout=timeout, transport=transport)

    async def send(self, message: OutgoingMessage) -> str | None:
        if not message.address:
            raise ProviderError("an SMS needs a phone number", reason=Reason.NO_ADDRESS, retryable=False)
        body = {"to": message.address, "from": self.sender, "text": message.text,
                "reference": message.notification_id}
        try:
            answer = await self._client.post(self.url, json=body)
        except httpx.HTTPError as exc:
            raise ProviderError(f"SMS gateway unreachable: {type(exc).__name__}: {exc}") from exc
        if answer.status_code >= 500:
            raise ProviderError(f"SMS gateway answered {answer.status_code}")
        if answer.status_code >= 400:
            reason = Reason.INVALID_ADDRESS if answer.status_code == 422 else Reason.REJECTED
            raise ProviderError(f"SMS gateway refused the message ({answer.status_code}): {answer.text[:200]}",
                                reason=reason, retryable=False)
        try:
            return str(answer.json().get("id")) if answer.content else None
        except ValueError:
            return None

    async def aclose(self) -> None:
        await self._client.aclose()


class SmtpEmailNotifier:
    """E-mail through an SMTP server (in a thread: smtplib blocks)."""

    name = "email"
    channels = frozenset({"EMAIL"})

    def __init__(self, host: str, port: int = 587, sender: str = "nahnetz@localhost", *,
                 user: str | None = None, password: str | None = None, starttls: bool = False,
                 timeout: float = 15.0):
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.starttls, self.timeout = user, password, starttls, timeout

    async def send(self, message: OutgoingMessage) -> str | None:
        if not message.address:
            raise ProviderError("an e-mail needs an address", reason=Reason.NO_ADDRESS, retryable=False)
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = self.sender, message.address, message.subject
        mail["Message-ID"] = f"<{message.notification_id.replace(':', '.')}@nahnetz>"
        mail.set_content(f"{message.text}\n\n-- {message.alternative_language} --\n{message.alternative_text}\n")
        try:
            await asyncio.to_thread(self._send, mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise ProviderError(f"the mail server refused {message.address}", reason=Reason.INVALID_ADDRESS,
                                retryable=False) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise ProviderError(f"mail server: {type(exc).__name__}: {exc}") from exc
        return mail["Message-ID"]

    def _send(self, mail: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(mail)
