"""The notify worker as its own process against the real broker and Redis: a
NotificationRequested becomes a message in the file sink (or on the assistants'
manual list) and one NotificationSent, or a NotificationFailed when the provider
fails; repeated requests and the worker's own results are not sent again. Its
rebuild (`python -m services.notify.rebuild --yes`) clears its markers and
rebuilds the contact details from notify.contacts and the inboxes from
notify.requests, and touches nothing else."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import dataclass

import pytest

from nahnetz.events import new_event
from nahnetz.kit.auth import issue_token
from nahnetz.records import (ContactDetailsErased, ContactDetailsSet, NotificationChannel, NotificationFailed,
                             NotificationFailureReason, NotificationRequested, NotificationSent, Role)
from nahnetz.stack.config import project_root
from nahnetz.stack.processes import free_port
from nahnetz.testing import TopicReader, api_client, eventually, group_committed_to_end, settings_for
from nahnetz.topics import NOTIFY_CONTACTS, NOTIFY_REQUESTS
from services.notify import keys
from services.notify.api import create_app

SECRET = "notify-integration-secret-long-enough-for-hs256"

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sinks(tmp_path_factory):
    """Where the worker's file sink and manual list write."""
    return tmp_path_factory.mktemp("notify")


@pytest.fixture(scope="module")
async def worker(topics, own_worker, sinks):
    unreachable_gateway = f"http://127.0.0.1:{free_port()}/sms"
    async with own_worker("notify", "test", env={
            "NOTIFY_PROVIDERS": "console,file,sms", "NOTIFY_SMS_URL": unreachable_gateway,
            "NOTIFY_FILE_PATH": str(sinks / "messages.jsonl"), "NOTIFY_MANUAL_PATH": str(sinks / "manual.jsonl"),
            "NOTIFY_SEND_ATTEMPTS": "2", "NOTIFY_RETRY_DELAY_SECONDS": "0.1"}) as running:
        yield running


@pytest.fixture(scope="module")
async def log(topics, broker_bootstrap):
    async with TopicReader(broker_bootstrap, [NOTIFY_REQUESTS, NOTIFY_CONTACTS], dead_letters=True) as reader:
        yield reader


@pytest.fixture(scope="module")
async def api(topics, broker_bootstrap, redis_url):
    app = create_app(settings_for(broker_bootstrap, redis_url, service="notify", jwt_secret=SECRET))
    async with api_client(app, base_url="http://notify", timeout=15) as client:
        yield client


def bearer(sub: str, role: str = "resident") -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, sub, role)}"}


def requested(notification_id: str, recipient: str, channel: NotificationChannel = NotificationChannel.PUSH,
              template: str = "order_confirmed", **more) -> NotificationRequested:
    params = {"order_ref": "3F2A9C1E", "delivery_day": "13.05.2026", "pickup_point": "Brakel Marktplatz",
              "total": "15,30 €"}
    return new_event(NotificationRequested, producer="orders-worker", notification_id=notification_id,
                     recipient_id=recipient, recipient_role=Role.RESIDENT, channel=channel, template=template,
                     params=more.pop("params", params), **more)


def written(path, notification_id: str) -> list[dict]:
    if not path.exists():
        return []
    return [m for m in map(json.loads, path.read_text(encoding="utf-8").splitlines())
            if m["notification_id"] == notification_id]


async def test_a_request_is_sent_once_through_the_file_sink(worker, log, producer, sinks, unique):
    nid = f"o-{unique}:order_confirmed"
    request = requested(nid, f"r-{unique}")
    own_results = await worker.handled(NOTIFY_REQUESTS, NotificationSent)
    await producer.publish(request)
    sent = await log.wait_for(NOTIFY_REQUESTS, NotificationSent, notification_id=nid, watch=[worker])
    assert sent.recipient_id == f"r-{unique}" and sent.channel is NotificationChannel.PUSH
    assert sent.correlation_id == request.correlation_id and sent.meta.causation_id == request.event_id
    [message] = written(sinks / "messages.jsonl", nid)
    assert message["text"] == ("Ihre Bestellung 3F2A9C1E ist bestätigt. Lieferung am 13.05.2026 an "
                               "Brakel Marktplatz. Gesamtbetrag: 15,30 €.")
    assert message["alternative_text"].startswith("Your order 3F2A9C1E is confirmed.")

    # The same request redelivered, and a new request with the same notification id.
    requests = await worker.handled(NOTIFY_REQUESTS, NotificationRequested)
    await producer.publish(request)
    await producer.publish(requested(nid, f"r-{unique}"))

    async def handled_both():
        return await worker.handled(NOTIFY_REQUESTS, NotificationRequested) >= requests + 2
    await eventually(handled_both, what="the repeated requests handled", watch=[worker])

    async def own_result_skipped():
        return await worker.handled(NOTIFY_REQUESTS, NotificationSent) >= own_results + 1
    await eventually(own_result_skipped, what="its own NotificationSent consumed and skipped", watch=[worker])
    await log.caught_up()
    assert log.dead_letters(NOTIFY_REQUESTS, keys={f"r-{unique}"}) == []
    assert len(log.events(NOTIFY_REQUESTS, NotificationSent, notification_id=nid)) == 1
    assert log.events(NOTIFY_REQUESTS, NotificationFailed, notification_id=nid) == []
    assert len(written(sinks / "messages.jsonl", nid)) == 1


async def test_a_phone_call_goes_to_the_assistants_manual_list(worker, log, producer, sinks, redis, unique):
    nid = f"o-{unique}:order_ready"
    # Called back only because they chose calls (an assistant recorded it for them).
    await producer.publish(new_event(ContactDetailsSet, producer="notify-api", recipient_id=f"r-{unique}",
                                     preferred_channel="PHONE_CALL", phone="+4952719630",
                                     consent_text="am Telefon zugestimmt"))
    await log.wait_for(NOTIFY_CONTACTS, ContactDetailsSet, recipient_id=f"r-{unique}", watch=[worker])

    async def projected():  # another topic: the request must not overtake the details
        return await redis.exists(keys.contact(f"r-{unique}"))
    await eventually(projected, what="the details projected", watch=[worker])
    await producer.publish(requested(nid, f"r-{unique}", channel=NotificationChannel.PHONE_CALL, template="order_ready",
                                     params={"order_ref": "3F2A9C1E", "pickup_point": "Brakel Marktplatz"}))
    await log.wait_for(NOTIFY_REQUESTS, NotificationSent, notification_id=nid, watch=[worker])
    [todo] = written(sinks / "manual.jsonl", nid)
    assert todo["todo"] == "open" and todo["channel"] == "PHONE_CALL" and todo["address"] == "+4952719630"
    assert todo["text"].startswith("Ihre Bestellung 3F2A9C1E liegt bereit in Brakel Marktplatz.")
    assert written(sinks / "messages.jsonl", nid) == []


async def test_failures_become_notification_failed(worker, log, producer, sinks, unique):
    by_sms = f"o-{unique}:sms"
    await producer.publish(requested(by_sms, f"r-{unique}", channel=NotificationChannel.SMS,
                                     address="+49 5272 123456"))
    failed = await log.wait_for(NOTIFY_REQUESTS, NotificationFailed, notification_id=by_sms, watch=[worker])
    assert failed.reason is NotificationFailureReason.PROVIDER_ERROR and "sms after 2 attempts" in failed.message

    unknown = f"o-{unique}:welcome"
    await producer.publish(requested(unknown, f"r-{unique}", template="welcome"))
    failed = await log.wait_for(NOTIFY_REQUESTS, NotificationFailed, notification_id=unknown, watch=[worker])
    assert failed.reason is NotificationFailureReason.UNKNOWN_TEMPLATE
    assert log.events(NOTIFY_REQUESTS, NotificationSent, notification_id=unknown) == []
    assert written(sinks / "messages.jsonl", unknown) == []


# -- the rebuild ----------------------------------------------------------------------------------
async def _contact_is(redis, recipient: str, present: bool) -> bool:
    return bool(await redis.exists(f"notify:contact:{recipient}")) is present



@dataclass
class Ran:
    returncode: int
    output: str


async def rebuild(broker_bootstrap: str, redis_url: str, *args: str) -> Ran:
    """`python -m services.notify.rebuild` as an operator runs it."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.notify.rebuild", *args, cwd=project_root(),
        env={**os.environ, "KAFKA_BOOTSTRAP": broker_bootstrap, "REDIS_URL": redis_url,
             "NAHNETZ_SERVICE": "notify", "NAHNETZ_ENV": "test"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    return Ran(process.returncode, output.decode())


async def test_a_rebuild_clears_the_markers_rebuilds_the_contacts_and_nothing_else(
        worker, log, api, producer, sinks, broker_bootstrap, redis_url, redis, unique):
    recipient = f"r-{unique}"
    first = f"o-{unique}:order_confirmed"
    request = requested(first, recipient)
    await producer.publish(request)
    await log.wait_for(NOTIFY_REQUESTS, NotificationSent, notification_id=first, watch=[worker])
    marker = f"nahnetz:processed:notify.deliver:{first}"
    assert await redis.exists(marker), "the worker remembers what it sent"
    assert await redis.zscore(keys.inbox(recipient), first) is not None, "and keeps it in the inbox"
    await redis.delete(keys.inbox(recipient), keys.inbox_messages(recipient))  # lost with Redis's data
    # What other services (and the API kit) keep in the same Redis.
    others = {f"orders:order:{unique}": "{}", f"nahnetz:processed:orders.lifecycle:{unique}": "",
              f"nahnetz:processed:pickup.deposit:{unique}": "", f"nahnetz:idempotency:orders:{unique}": "{}"}
    await redis.mset(others)

    # Details given, then erased by someone else: the replay ends in the same state.
    kept, erased = f"r-{unique}-kept", f"r-{unique}-erased"
    for person in (kept, erased):
        given = await api.put("/v1/me/contact", headers=bearer(person), json={
            "preferred_channel": "EMAIL", "email": f"{person}@example.org", "consent": True})
        assert given.status_code == 202, given.text
    assert (await api.delete("/v1/me/contact", headers=bearer(erased))).status_code in (200, 202, 204)
    await log.wait_for(NOTIFY_CONTACTS, ContactDetailsErased, recipient_id=erased, watch=[worker])
    await eventually(lambda: _contact_is(redis, kept, True), what="kept details projected", watch=[worker])
    await eventually(lambda: _contact_is(redis, erased, False), what="erased details gone", watch=[worker])
    before = await redis.hgetall(f"notify:contact:{kept}")
    await redis.delete(f"notify:contact:{kept}")  # lost, as after a Redis without its data

    refused = await rebuild(broker_bootstrap, redis_url)
    assert refused.returncode != 0 and "--yes" in refused.output
    assert await redis.exists(marker), "without --yes nothing is deleted"

    # As documented: stop the worker (once its group has committed what it
    # handled), rebuild, start it again in the same group.
    await group_committed_to_end(broker_bootstrap, worker.app_id, [NOTIFY_REQUESTS], watch=[worker])
    worker.stop()
    done = await rebuild(broker_bootstrap, redis_url, "--yes")
    assert done.returncode == 0, done.output
    assert "deleted" in done.output
    assert [key async for key in redis.scan_iter(match="nahnetz:processed:notify.deliver:*")] == []
    assert await redis.exists(*others) == len(others), "only notify's keys go"
    assert await redis.hgetall(f"notify:contact:{kept}") == before, "the details come back from the topic"
    assert not await redis.exists(f"notify:contact:{erased}"), "erased details stay erased"
    assert await redis.zscore(keys.inbox(recipient), first) is not None, "the inbox comes back from notify.requests"
    assert "inbox messages" in done.output
    await worker.restart()

    # The same group goes on after what it handled: nothing old is sent again ...
    later = f"o-{unique}:order_ready"
    await producer.publish(requested(later, recipient, template="order_ready",
                                     params={"order_ref": "3F2A9C1E", "pickup_point": "Brakel Marktplatz"}))
    await log.wait_for(NOTIFY_REQUESTS, NotificationSent, notification_id=later, watch=[worker])
    assert len(written(sinks / "messages.jsonl", first)) == 1
    # ... but nothing remembers the first notification any more: asked again, it goes out again.
    await producer.publish(request)

    async def sent_again() -> bool:
        return len(written(sinks / "messages.jsonl", first)) == 2
    await eventually(sent_again, what="the first notification sent again", watch=[worker])


async def test_a_person_s_own_details_decide_how_and_in_which_language_they_are_told(
        worker, log, api, producer, sinks, unique):
    me = f"r-{unique}"
    refused = await api.put("/v1/me/contact", headers=bearer(me), json={"preferred_channel": "LETTER",
                                                                        "consent": True})
    assert refused.status_code == 422 and "postal_address" in refused.text
    given = await api.put("/v1/me/contact", headers=bearer(me), json={
        "preferred_channel": "LETTER", "language": "en", "consent": True,
        "postal_address": ["Erna Beispiel", "Marktstr. 1", "37688 Beverungen"]})
    assert given.status_code == 202, given.text
    set_event = await log.wait_for(NOTIFY_CONTACTS, ContactDetailsSet, recipient_id=me, watch=[worker])
    assert set_event.meta.actor.user_id == me and "einverstanden" in set_event.consent_text

    async def shown():
        answer = await api.get("/v1/me/contact", headers=bearer(me))
        return answer.json() if answer.status_code == 200 else None
    mine = await eventually(shown, what="the details projected", watch=[worker])
    assert mine["preferred_channel"] == "LETTER" and mine["postal_address"][2] == "37688 Beverungen"
    assert (await api.get(f"/v1/contacts/{me}", headers=bearer(me))).status_code == 403
    assert (await api.get(f"/v1/contacts/{me}", headers=bearer("op-1", "operator"))).json() == mine

    # A push message asked for by the orders service becomes a letter, wholly in English.
    nid = f"o-{unique}:order_confirmed"
    await producer.publish(requested(nid, me, params={"order_ref": "3F2A9C1E", "delivery_day": "13.05.2026",
                                                      "delivery_day_en": "13 May 2026"}))
    await log.wait_for(NOTIFY_REQUESTS, NotificationSent, notification_id=nid, watch=[worker])
    [letter] = written(sinks / "manual.jsonl", nid)
    assert (letter["channel"], letter["language"]) == ("LETTER", "en")
    assert letter["address"] == "Erna Beispiel\nMarktstr. 1\n37688 Beverungen"
    assert letter["text"] == "Your order 3F2A9C1E is confirmed. Delivery on 13 May 2026."

    # Consent withdrawn: the details are gone, and the next message is no letter.
    assert (await api.delete("/v1/me/contact", headers=bearer(me))).status_code == 202
    await log.wait_for(NOTIFY_CONTACTS, ContactDetailsErased, recipient_id=me, watch=[worker])

    async def gone():
        return (await api.get("/v1/me/contact", headers=bearer(me))).status_code == 404
    await eventually(gone, what="the details erased", watch=[worker])
    later = f"o-{unique}:order_expired"
    await producer.publish(requested(later, me, channel=NotificationChannel.LETTER, template="order_expired",
                                     params={"order_ref": "3F2A9C1E"}))
    await log.wait_for(NOTIFY_REQUESTS, NotificationSent, notification_id=later, watch=[worker])
    assert written(sinks / "manual.jsonl", later) == [] and len(written(sinks / "messages.jsonl", later)) == 1


async def test_an_assistant_finds_a_caller_by_the_number_they_give(worker, log, api, unique):
    caller = f"r-{unique}"
    digits = f"{int(unique, 16) % 10**8:08d}"  # a mobile number of this run's own: 0151 and 8 digits
    recorded = await api.put(f"/v1/contacts/{caller}", headers=bearer("op-1", "operator"), json={
        "preferred_channel": "PHONE_CALL", "phone": f"0151 {digits}", "consent": True,
        "postal_address": ["Erna Beispiel", "Marktstr. 1", "37688 Beverungen"]})
    assert recorded.status_code == 202, recorded.text
    await log.wait_for(NOTIFY_CONTACTS, ContactDetailsSet, recipient_id=caller, watch=[worker])

    async def found_by(spelling: str):
        answer = await api.get("/v1/contacts", params={"address": spelling}, headers=bearer("op-2", "operator"))
        return answer.json() if answer.status_code == 200 else None
    # The caller says the number the way people do; the index has it in E.164.
    found = await eventually(lambda: found_by(f"+49 151 {digits[:4]} {digits[4:]}"), what="the caller found",
                             watch=[worker])
    assert found["recipient_id"] == caller and found["postal_address"][0] == "Erna Beispiel"
    assert (await found_by(f"0151/{digits}"))["recipient_id"] == caller

    others = f"{(int(digits) + 1) % 10**8:08d}"
    nobody = await api.get("/v1/contacts", params={"address": f"0151 {others}"}, headers=bearer("op-2", "operator"))
    assert nobody.status_code == 404 and "Niemand" in nobody.json()["message"]
    garbled = await api.get("/v1/contacts", params={"address": "zwölf"}, headers=bearer("op-2", "operator"))
    assert garbled.status_code == 422 and "Telefonnummer" in garbled.json()["message"]
    # Residents do not look others up.
    refused = await api.get("/v1/contacts", params={"address": f"0151 {digits}"}, headers=bearer(caller))
    assert refused.status_code == 403
