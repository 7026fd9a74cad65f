"""Residents sign in with a one-time code (POST /v1/sign-in/codes and /verify of the
notify API), against the real broker and Redis with the notify worker as its own
process: the code travels as a NotificationRequested through the worker into the
file sink (NOTIFY_FILE_PATH, one JSON line per message, the code in `text`), where
these tests read it as a person reads their SMS. A known address signs in its
resident (the contacts projection keeps the address index); an unknown one becomes
a new resident with ContactDetailsSet; wrong codes void a code, never the person;
the limits bind the caller named by X-Forwarded-For, not another caller."""

from __future__ import annotations

import json
import random
import re
import secrets

import httpx
import pytest

from nahnetz.kit.auth import issue_token
from nahnetz.records import ContactDetailsSet, NotificationRequested, NotificationSent
from nahnetz.testing import TopicReader, api_client, eventually, settings_for
from nahnetz.topics import NOTIFY_CONTACTS, NOTIFY_REQUESTS
from services.notify import keys
from services.notify.api import create_app
from services.notify.rebuild import rebuild

SECRET = "notify-sign-in-integration-secret-long-enough"
CODES = "/v1/sign-in/codes"
VERIFY = "/v1/sign-in/verify"

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sinks(tmp_path_factory):
    return tmp_path_factory.mktemp("notify-sign-in")


@pytest.fixture(scope="module")
async def worker(topics, own_worker, sinks):
    async with own_worker("notify", "sign-in", env={
            "NOTIFY_PROVIDERS": "console,file", "NOTIFY_FILE_PATH": str(sinks / "messages.jsonl"),
            "NOTIFY_MANUAL_PATH": str(sinks / "manual.jsonl")}) as running:
        yield running


@pytest.fixture(scope="module")
async def log(topics, broker_bootstrap):
    async with TopicReader(broker_bootstrap, [NOTIFY_REQUESTS, NOTIFY_CONTACTS]) as reader:
        yield reader


@pytest.fixture(scope="module")
async def app(topics, broker_bootstrap, redis_url):
    return create_app(settings_for(broker_bootstrap, redis_url, service="notify", jwt_secret=SECRET))


@pytest.fixture(scope="module")
async def api(app):
    """The web front's view: it calls from loopback and names the browser in X-Forwarded-For."""
    async with api_client(app, base_url="http://notify", timeout=15) as client:
        yield client


def caller() -> dict[str, str]:
    """A browser of its own (a fresh address in X-Forwarded-For)."""
    return {"X-Forwarded-For": f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"}


def mobile() -> tuple[str, str]:
    """A fresh German mobile number, as a person types it and in E.164."""
    digits = f"{random.randrange(10 ** 6, 10 ** 7)}"
    return f"0171 {digits}", f"+49171{digits}"


def bearer(sub: str, role: str = "resident") -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, sub, role)}"}


def messages_to(sinks, address: str) -> list[dict]:
    """The sign-in messages the file sink wrote to `address`, oldest first."""
    path = sinks / "messages.jsonl"
    if not path.exists():
        return []
    return [m for m in map(json.loads, path.read_text(encoding="utf-8").splitlines())
            if m["template"] == "sign_in_code" and m["address"] == address]


async def delivered_code(sinks, worker, address: str, count: int = 1) -> tuple[str, dict]:
    """The code of the `count`-th message to `address`, once the worker has written it."""
    async def arrived():
        found = messages_to(sinks, address)
        return found[count - 1] if len(found) >= count else None
    message = await eventually(arrived, what=f"sign-in message {count} to {address}", watch=[worker])
    return re.search(r"\b(\d{6})\b", message["text"]).group(1), message


async def request_code(api, address: str, headers: dict[str, str], language: str = "de") -> httpx.Response:
    return await api.post(CODES, json={"address": address, "language": language}, headers=headers)


async def test_a_known_resident_s_address_signs_in_as_that_resident(worker, log, api, sinks, redis, unique):
    me = f"res-{unique}"
    typed, e164 = mobile()
    given = await api.put("/v1/me/contact", headers=bearer(me), json={
        "preferred_channel": "SMS", "phone": typed, "consent": True,
        "postal_address": ["Erna Beispiel", "Marktstr. 1", "37688 Beverungen"]})
    assert given.status_code == 202, given.text
    await eventually(lambda: redis.get(keys.address(e164)), what="the address indexed", watch=[worker])
    assert await redis.get(keys.address(e164)) == me

    browser = caller()
    sent = await request_code(api, f"+49 171 {e164[6:]}", browser)  # spelled another way
    assert sent.status_code == 202, sent.text
    assert sent.json() == {"sent_to": f"+49 171 •••• {e164[-2:]}", "expires_in_s": 600}
    code, message = await delivered_code(sinks, worker, e164)
    assert (message["recipient_id"], message["channel"], message["language"]) == (me, "SMS", "de")
    assert message["text"].startswith(f"Ihr Nahnetz-Anmeldecode: {code} (gültig 10 Minuten).")
    assert message["alternative_text"].startswith(f"Your Nahnetz sign-in code: {code}")
    request = await log.wait_for(NOTIFY_REQUESTS, NotificationRequested, notification_id=message["notification_id"])
    assert request.template == "sign_in_code" and request.meta.producer == "notify-api"
    await log.wait_for(NOTIFY_REQUESTS, NotificationSent, notification_id=message["notification_id"])
    pending = await redis.hgetall(keys.sign_in_code(e164))
    assert pending["tries"] == "0" and code not in json.dumps(pending), "only a hash of the code is kept"
    assert 0 < await redis.ttl(keys.sign_in_code(e164)) <= 600

    signed_in = await api.post(VERIFY, json={"address": typed, "code": code[:3] + " " + code[3:]},
                               headers=browser)
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json() == {"resident_id": me, "name": "Erna Beispiel", "new": False}
    again = await api.post(VERIFY, json={"address": typed, "code": code}, headers=browser)
    assert again.status_code == 422, "a code works once"
    assert again.json()["error"] == "wrong_code"
    assert "stimmt nicht oder ist abgelaufen" in again.json()["message"]
    assert "wrong or has expired" in again.json()["message"]


async def test_an_unknown_address_becomes_a_new_resident(worker, log, api, sinks, redis, unique):
    address = f"Neu-{unique}@Example.org"
    normalised = address.lower()
    browser = caller()
    sent = await request_code(api, address, browser, language="en")
    assert sent.status_code == 202 and sent.json()["sent_to"] == "n•••@example.org"
    code, message = await delivered_code(sinks, worker, normalised)
    assert message["channel"] == "EMAIL" and message["language"] == "en"
    assert message["recipient_id"].startswith("sign-in-") and unique not in message["recipient_id"]
    assert message["text"].startswith(f"Your Nahnetz sign-in code: {code} (valid for 10 minutes).")

    first = await api.post(VERIFY, json={"address": address, "code": code}, headers=browser)
    assert first.status_code == 200, first.text
    who = first.json()
    assert who["new"] is True and who["name"] is None and who["resident_id"].startswith("res-")
    details = await log.wait_for(NOTIFY_CONTACTS, ContactDetailsSet, recipient_id=who["resident_id"])
    assert (details.preferred_channel.value, details.email, details.phone) == ("EMAIL", normalised, None)
    assert details.language.value == "en" and details.meta.actor.user_id == who["resident_id"]
    assert "Einmal-Code" in details.consent_text
    await eventually(lambda: redis.get(keys.address(normalised)), what="the new resident indexed",
                     watch=[worker])

    # The next sign-in finds the same resident, now known.
    assert (await request_code(api, normalised, browser)).status_code == 202
    code, message = await delivered_code(sinks, worker, normalised, count=2)
    assert message["recipient_id"] == who["resident_id"] and message["language"] == "en", "their own choice"
    second = await api.post(VERIFY, json={"address": normalised, "code": code}, headers=browser)
    assert second.json() == {"resident_id": who["resident_id"], "name": None, "new": False}


async def test_a_sign_in_before_the_new_resident_is_projected_finds_the_same_resident(
        worker, log, api, sinks, redis, unique):
    typed, e164 = mobile()
    browser = caller()
    assert (await request_code(api, typed, browser)).status_code == 202
    code, _ = await delivered_code(sinks, worker, e164)
    first = (await api.post(VERIFY, json={"address": typed, "code": code}, headers=browser)).json()
    await redis.delete(keys.address(e164))  # as if the worker had not got to it yet
    await redis.delete(keys.contact(first["resident_id"]))
    assert (await request_code(api, typed, browser)).status_code == 202
    code, _ = await delivered_code(sinks, worker, e164, count=2)
    second = (await api.post(VERIFY, json={"address": typed, "code": code}, headers=browser)).json()
    assert second == {"resident_id": first["resident_id"], "name": None, "new": False}


async def test_five_wrong_codes_void_the_code_but_a_new_one_works(worker, api, sinks, unique):
    typed, e164 = mobile()
    browser = caller()
    assert (await request_code(api, typed, browser)).status_code == 202
    code, _ = await delivered_code(sinks, worker, e164)
    wrong = f"{(int(code) + 1) % 10 ** 6:06d}"
    for attempt in range(1, 6):
        answer = await api.post(VERIFY, json={"address": typed, "code": wrong}, headers=browser)
        assert answer.status_code == 422, answer.text
        assert ("neuen an" in answer.json()["message"]) is (attempt == 5), answer.text
    void = await api.post(VERIFY, json={"address": typed, "code": code}, headers=browser)
    assert void.status_code == 422 and void.json()["error"] == "wrong_code", "the right code is void now"

    assert (await request_code(api, typed, browser)).status_code == 202
    fresh, _ = await delivered_code(sinks, worker, e164, count=2)
    answer = await api.post(VERIFY, json={"address": typed, "code": fresh}, headers=browser)
    assert answer.status_code == 200 and answer.json()["new"] is True


async def test_a_new_code_replaces_the_previous_one(worker, api, sinks):
    typed, e164 = mobile()
    browser = caller()
    assert (await request_code(api, typed, browser)).status_code == 202
    old, _ = await delivered_code(sinks, worker, e164)
    assert (await request_code(api, typed, browser)).status_code == 202
    new, _ = await delivered_code(sinks, worker, e164, count=2)
    if old != new:
        assert (await api.post(VERIFY, json={"address": typed, "code": old}, headers=browser)).status_code == 422
    assert (await api.post(VERIFY, json={"address": typed, "code": new}, headers=browser)).status_code == 200


async def test_code_requests_are_limited_per_caller_and_per_address(worker, app, api, unique):
    busy = caller()
    for n in range(10):
        answer = await request_code(api, f"viele-{n}-{unique}@example.org", busy)
        assert answer.status_code == 202, answer.text
    refused = await request_code(api, f"viele-10-{unique}@example.org", busy)
    assert refused.status_code == 429 and refused.json()["error"] == "too_many_requests"
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert "Zu viele Code-Anforderungen" in refused.json()["message"]
    assert (await request_code(api, f"viele-10-{unique}@example.org", caller())).status_code == 202, (
        "another caller is not affected")

    # X-Forwarded-For is believed only from the web front (loopback here): a caller
    # that is not a trusted proxy is limited by its own address, whatever it claims.
    transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 4711))
    async with httpx.AsyncClient(transport=transport, base_url="http://notify") as direct:
        claimed = await request_code(direct, f"direkt-{unique}@example.org", busy)
        assert claimed.status_code == 202, claimed.text

    # One address: at most 5 codes an hour, whoever asks (SMS cost protection).
    target = f"ziel-{unique}@example.org"
    for _ in range(5):
        assert (await request_code(api, target, caller())).status_code == 202
    refused = await request_code(api, target, caller())
    assert refused.status_code == 429 and "an diese Adresse" in refused.json()["message"]
    assert int(refused.headers["Retry-After"]) > 0


async def test_wrong_codes_are_limited_per_caller(worker, api, unique):
    guesser = caller()
    for n in range(20):
        answer = await api.post(VERIFY, json={"address": f"rate-{n}-{unique}@example.org", "code": "000000"},
                                headers=guesser)
        assert answer.status_code == 422, answer.text
    refused = await api.post(VERIFY, json={"address": f"rate-{unique}@example.org", "code": "000000"},
                             headers=guesser)
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 900
    assert "falsche Codes" in refused.json()["message"]
    other = await api.post(VERIFY, json={"address": f"rate-{unique}@example.org", "code": "000000"},
                           headers=caller())
    assert other.status_code == 422, "another caller is not affected"


@pytest.mark.parametrize("address", ["hallo", "0171 12", "erna@", "   "])
async def test_what_is_no_address_is_refused_with_a_clear_422(api, address):
    for path, body in ((CODES, {"address": address}), (VERIFY, {"address": address, "code": "123456"})):
        answer = await api.post(path, json=body, headers=caller())
        assert answer.status_code == 422, answer.text
        message = answer.json()["message"]
        assert ("Telefonnummer" in message or "E-Mail-Adresse" in message) and (
            "phone number" in message or "e-mail address" in message), message
    assert (await api.post(CODES, json={"address": "erna@example.org", "kanal": "SMS"})).status_code == 422
    refused = await api.post(VERIFY, json={"address": "erna@example.org", "code": "12ab"}, headers=caller())
    assert refused.status_code == 422 and "6 Ziffern" in refused.json()["message"]


async def test_the_address_index_follows_changes_erasure_and_the_rebuild(
        worker, api, redis, broker_bootstrap, redis_url, unique):
    me = f"res-{unique}"
    first, first_e164 = mobile()
    later, later_e164 = mobile()
    email = f"erna-{unique}@example.org"
    assert (await api.put("/v1/me/contact", headers=bearer(me), json={
        "preferred_channel": "SMS", "phone": first, "email": email, "consent": True})).status_code == 202
    await eventually(lambda: redis.get(keys.address(first_e164)), what="first number indexed", watch=[worker])
    assert await redis.get(keys.address(email)) == me
    assert (await api.put("/v1/me/contact", headers=bearer(me), json={
        "preferred_channel": "SMS", "phone": later, "consent": True})).status_code == 202
    await eventually(lambda: redis.get(keys.address(later_e164)), what="new number indexed", watch=[worker])
    assert await redis.get(keys.address(first_e164)) is None and await redis.get(keys.address(email)) is None

    # An operator's own details open no resident session.
    operator_phone, operator_e164 = mobile()
    assert (await api.put("/v1/me/contact", headers=bearer(f"op-{unique}", "operator"), json={
        "preferred_channel": "SMS", "phone": operator_phone, "consent": True})).status_code == 202
    await eventually(lambda: redis.exists(keys.contact(f"op-{unique}")), what="operator's details", watch=[worker])
    assert await redis.get(keys.address(operator_e164)) is None

    # Lost, as after a Redis without its data: the rebuild replays notify.contacts.
    await redis.delete(keys.address(later_e164))
    counts = await rebuild(settings_for(broker_bootstrap, redis_url, service="notify"))
    assert counts["skipped"] == 0
    assert await redis.get(keys.address(later_e164)) == me
    assert await redis.get(keys.address(first_e164)) is None

    assert (await api.delete("/v1/me/contact", headers=bearer(me))).status_code == 202

    async def erased():
        return await redis.get(keys.address(later_e164)) is None
    await eventually(erased, what="the number unindexed", watch=[worker])
