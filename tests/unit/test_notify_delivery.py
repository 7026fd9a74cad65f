"""Delivering notifications (services/notify/handlers/delivery.py, providers.py): routing,
the file sink and the manual list, SMS and e-mail providers against local
servers, and a failing provider becoming NotificationFailed."""

from __future__ import annotations

import asyncio
import json
from email import message_from_string
from email.policy import default

import httpx
import pytest

from nahnetz.events import new_event
from nahnetz.records import (NotificationFailed, NotificationFailureReason, NotificationRequested,
                             NotificationSent)
from services.notify.domain.contacts import Contact
from services.notify.domain.messages import OutgoingMessage
from services.notify.handlers.delivery import Delivered, Dispatcher, NotDelivered, deliver, result_event
from services.notify.handlers.providers import (ConsoleNotifier, HttpSmsNotifier, ProviderError,
                                                SmtpEmailNotifier, file_notifier, manual_list)
from services.notify.settings import NotifySettings

PARAMS = {"order_ref": "3F2A9C1E", "delivery_day": "13.05.2026", "pickup_point": "Brakel Markt"}


def request(channel: str = "PUSH", template: str = "order_confirmed", address: str | None = None,
            **more) -> NotificationRequested:
    return new_event(NotificationRequested, producer="orders-worker", notification_id="o-1:order_confirmed",
                     recipient_id="r-1", recipient_role="RESIDENT", channel=channel, address=address,
                     template=template, params=more.pop("params", PARAMS), **more)


class FailingNotifier:
    name = "flaky"
    channels = None

    def __init__(self, failures: int, retryable: bool = True):
        self.failures = failures
        self.retryable = retryable
        self.calls = 0

    async def send(self, message):
        self.calls += 1
        if self.calls <= self.failures:
            raise ProviderError("gateway down", retryable=self.retryable)
        return "flaky-1"


async def no_sleep(_: float) -> None:
    return None


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


async def test_the_file_sink_writes_the_rendered_message_as_a_json_line(tmp_path):
    sink = file_notifier(tmp_path / "out" / "messages.jsonl")
    result = await deliver(request(), Dispatcher([sink], manual_list(tmp_path / "manual.jsonl")))
    assert isinstance(result, Delivered) and result.provider_message_id == "file:o-1:order_confirmed"
    [written] = lines(tmp_path / "out" / "messages.jsonl")
    assert written["notification_id"] == "o-1:order_confirmed" and written["recipient_id"] == "r-1"
    assert written["subject"] == "Bestellung 3F2A9C1E bestätigt"
    assert written["text"] == "Ihre Bestellung 3F2A9C1E ist bestätigt. Lieferung am 13.05.2026 an Brakel Markt."
    assert written["alternative_language"] == "en" and written["alternative_text"].startswith("Your order")
    assert not (tmp_path / "manual.jsonl").exists()


async def test_letters_and_calls_go_to_the_manual_list_for_who_chose_them(tmp_path):
    sink = file_notifier(tmp_path / "messages.jsonl")
    dispatcher = Dispatcher([sink, ConsoleNotifier()], manual_list(tmp_path / "manual.jsonl"))
    caller = Contact("r-1", "PHONE_CALL", phone="+4952719630")
    writer = Contact("r-1", "LETTER", postal_address="Erna Beispiel\nMarktstr. 1\n37688 Beverungen")
    for contact in (caller, writer):
        assert isinstance(await deliver(request("PUSH"), dispatcher, contact=contact), Delivered)
    todo = lines(tmp_path / "manual.jsonl")
    assert [(t["channel"], t["address"], t["todo"]) for t in todo] == [
        ("PHONE_CALL", "+4952719630", "open"), ("LETTER", writer.postal_address, "open")]
    assert not (tmp_path / "messages.jsonl").exists()

    # Nobody is called who did not choose it: a call asked for by a service, for a person
    # without details, goes to the default sinks.
    assert isinstance(await deliver(request("PHONE_CALL"), dispatcher), Delivered)
    assert len(lines(tmp_path / "manual.jsonl")) == 2 and lines(tmp_path / "messages.jsonl")[0]["channel"] == "OTHER"


async def test_the_person_s_choice_decides_channel_address_and_language(tmp_path):
    sms = []

    class Gateway:
        name, channels = "sms", frozenset({"SMS"})

        async def send(self, message):
            sms.append(message)
            return "gw-1"

    dispatcher = Dispatcher([Gateway(), file_notifier(tmp_path / "m.jsonl")], manual_list(tmp_path / "x.jsonl"))
    english = Contact("r-1", "SMS", language="en", phone="+491701234567")
    result = await deliver(request("PUSH", params={**PARAMS, "delivery_day_en": "13 May 2026"}), dispatcher,
                           contact=english)
    assert isinstance(result, Delivered) and result.channel == "SMS"
    [message] = sms
    assert (message.address, message.language) == ("+491701234567", "en")
    assert message.text == "Your order 3F2A9C1E is confirmed. Delivery on 13 May 2026 to Brakel Markt."


async def test_a_failing_provider_becomes_notification_failed():
    flaky = FailingNotifier(failures=5)
    result = await deliver(request(), Dispatcher([flaky], flaky), attempts=3, sleep=no_sleep)
    assert result == NotDelivered("PUSH", "PROVIDER_ERROR", "flaky after 3 attempts: gateway down")
    assert flaky.calls == 3
    failed = result_event(request(), result)
    assert isinstance(failed, NotificationFailed) and failed.reason is NotificationFailureReason.PROVIDER_ERROR
    assert (failed.reason, failed.notification_id, failed.recipient_id) == (
        "PROVIDER_ERROR", "o-1:order_confirmed", "r-1")
    assert failed.message == "flaky after 3 attempts: gateway down" and failed.retryable is False


async def test_a_retryable_error_is_retried_and_a_permanent_one_is_not():
    flaky = FailingNotifier(failures=2)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    result = await deliver(request(), Dispatcher([flaky], flaky), attempts=3, first_delay=0.5, sleep=sleep)
    assert isinstance(result, Delivered) and result.provider_message_id == "flaky-1"
    assert waits == [0.5, 1.0]
    sent = result_event(request(), result)
    assert isinstance(sent, NotificationSent) and sent.provider_message_id == "flaky-1"
    assert sent.event_id == result_event(request(), result).event_id, "one result per notification id"

    permanent = FailingNotifier(failures=1, retryable=False)
    result = await deliver(request(), Dispatcher([permanent], permanent), sleep=no_sleep)
    assert isinstance(result, NotDelivered) and permanent.calls == 1


async def test_unknown_template_and_missing_params_are_not_sent(tmp_path):
    sink = file_notifier(tmp_path / "messages.jsonl")
    dispatcher = Dispatcher([sink], sink)
    unknown = await deliver(request(template="welcome"), dispatcher)
    assert isinstance(unknown, NotDelivered) and unknown.reason == "UNKNOWN_TEMPLATE"
    missing = await deliver(request(params={"order_ref": "X"}), dispatcher)
    assert isinstance(missing, NotDelivered) and missing.reason == "OTHER" and "delivery_day" in missing.detail
    assert not (tmp_path / "messages.jsonl").exists()


async def test_routing_prefers_the_channels_provider_and_falls_back_to_the_sinks(tmp_path):
    sink = file_notifier(tmp_path / "m.jsonl")
    sms = HttpSmsNotifier("http://sms.invalid/send")
    manual = manual_list(tmp_path / "manual.jsonl")
    dispatcher = Dispatcher([ConsoleNotifier(), sink, sms], manual)

    def message(channel: str) -> OutgoingMessage:
        return OutgoingMessage("n", "r", "RESIDENT", channel, None, "t", "de", "s", "x", "en", "y")

    assert dispatcher.route(message("SMS")) == [sms]
    assert [n.name for n in dispatcher.route(message("EMAIL"))] == ["console", "file"]
    assert dispatcher.route(message("LETTER")) == [manual]
    await sms.aclose()


def test_providers_from_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("NOTIFY_PROVIDERS", "console, FILE,sms")
    monkeypatch.setenv("NOTIFY_SMS_URL", "http://127.0.0.1:9/sms")
    monkeypatch.setenv("NOTIFY_FILE_PATH", str(tmp_path / "m.jsonl"))
    dispatcher = Dispatcher.from_settings(NotifySettings())
    assert [n.name for n in dispatcher.notifiers] == ["console", "file", "sms"]
    assert dispatcher.notifiers[1].path == tmp_path / "m.jsonl"
    monkeypatch.setenv("NOTIFY_PROVIDERS", "console,pigeon")
    with pytest.raises(ValueError, match="unknown provider"):
        NotifySettings()
    monkeypatch.setenv("NOTIFY_PROVIDERS", "email")
    with pytest.raises(ValueError, match="NOTIFY_SMTP_HOST"):
        NotifySettings()


# -- SMS over HTTP ------------------------------------------------------------------------------
async def test_sms_gateway_gets_number_and_text_and_its_errors_map_to_reasons():
    seen: list[dict] = []
    status = {"code": 200}

    def gateway(req: httpx.Request) -> httpx.Response:
        seen.append({"auth": req.headers.get("authorization"), **json.loads(req.content)})
        return httpx.Response(status["code"], json={"id": "sms-77"} if status["code"] == 200 else {"error": "x"})

    sms = HttpSmsNotifier("http://gateway/send", token="t0k", transport=httpx.MockTransport(gateway))
    dispatcher = Dispatcher([sms], sms)
    result = await deliver(request("SMS", address="+49 5272 1234"), dispatcher)
    assert isinstance(result, Delivered) and result.provider_message_id == "sms-77"
    assert seen[0] == {"auth": "Bearer t0k", "to": "+49 5272 1234", "from": "Nahnetz",
                       "text": "Ihre Bestellung 3F2A9C1E ist bestätigt. Lieferung am 13.05.2026 an Brakel Markt.",
                       "reference": "o-1:order_confirmed"}

    no_number = await deliver(request("SMS"), dispatcher, sleep=no_sleep)
    assert isinstance(no_number, NotDelivered) and no_number.reason == "NO_ADDRESS"
    status["code"] = 422
    bad = await deliver(request("SMS", address="0000"), dispatcher, sleep=no_sleep)
    assert isinstance(bad, NotDelivered) and bad.reason == "INVALID_ADDRESS"
    status["code"] = 503
    calls_before = len(seen)
    down = await deliver(request("SMS", address="+49 1"), dispatcher, attempts=2, sleep=no_sleep)
    assert isinstance(down, NotDelivered) and down.reason == "PROVIDER_ERROR"
    assert len(seen) - calls_before == 2, "a gateway error is retried"
    await sms.aclose()


# -- e-mail over SMTP, against a small local SMTP server ----------------------------------------
class TinySmtpServer:
    """Enough SMTP for smtplib: EHLO, MAIL, RCPT, DATA, QUIT. Refuses recipients at refused.example."""

    def __init__(self):
        self.mails: list[dict] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        mail: dict = {"rcpt": []}
        writer.write(b"220 tiny ESMTP\r\n")
        while line := await reader.readline():
            command = line.decode().strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                writer.write(b"250 tiny\r\n")
            elif verb == "MAIL":
                writer.write(b"250 ok\r\n")
            elif verb == "RCPT":
                refused = "refused.example" in command
                mail["rcpt"].append(command)
                writer.write(b"550 no such user\r\n" if refused else b"250 ok\r\n")
            elif verb == "DATA":
                writer.write(b"354 go ahead\r\n")
                await writer.drain()
                body = []
                while (data := await reader.readline()) not in (b".\r\n", b""):
                    body.append(data.decode())
                mail["data"] = "".join(body)
                self.mails.append(mail)
                mail = {"rcpt": []}
                writer.write(b"250 queued\r\n")
            elif verb == "QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 ok\r\n")
            await writer.drain()
        writer.close()


async def test_email_goes_out_over_smtp_with_both_languages():
    server = TinySmtpServer()
    listening = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    try:
        email = SmtpEmailNotifier("127.0.0.1", port, "bestellungen@nahnetz.example")
        dispatcher = Dispatcher([email], email)
        result = await deliver(request("EMAIL", address="anna@example.org"), dispatcher)
        assert isinstance(result, Delivered) and result.provider_message_id == "<o-1.order_confirmed@nahnetz>"
        [mail] = server.mails
        assert "anna@example.org" in mail["rcpt"][0]
        received = message_from_string(mail["data"], policy=default)
        assert (received["From"], received["To"]) == ("bestellungen@nahnetz.example", "anna@example.org")
        assert received["Subject"] == "Bestellung 3F2A9C1E bestätigt"
        assert received.get_content().replace("\r\n", "\n") == (
            "Ihre Bestellung 3F2A9C1E ist bestätigt. Lieferung am 13.05.2026 an Brakel Markt.\n\n-- en --\n"
            "Your order 3F2A9C1E is confirmed. Delivery on 13.05.2026 to Brakel Markt.\n")
        refused = await deliver(request("EMAIL", address="x@refused.example"), dispatcher, sleep=no_sleep)
        assert isinstance(refused, NotDelivered) and refused.reason == "INVALID_ADDRESS"
    finally:
        listening.close()
        await listening.wait_closed()
    down = await deliver(request("EMAIL", address="anna@example.org"), dispatcher, attempts=1)
    assert isinstance(down, NotDelivered) and down.reason == "PROVIDER_ERROR"
