"""The notify worker as its own process against the real broker and Redis: a
NotificationRequested becomes a message in the file sink (or on the assistants'
manual list) and one NotificationSent, or a NotificationFailed when the provider
fails; repeated requests and the worker's own results are not sent again."""

from __future__ import annotations

import json
import uuid

import pytest

from nahnetz.events import new_event
from nahnetz.messaging.admin import create_topics
from nahnetz.messaging.producer import EventProducer
from nahnetz.stack.processes import free_port
from nahnetz.topics import NOTIFY_REQUESTS
from orders_support import EFFECT, TopicLog, eventually, start_worker

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def topics(broker_bootstrap):
    await create_topics(broker_bootstrap)


@pytest.fixture(scope="module")
def outbox(tmp_path_factory):
    return tmp_path_factory.mktemp("notify")


@pytest.fixture(scope="module")
async def worker(topics, broker_bootstrap, redis_url, run_dir, outbox):
    suffix = uuid.uuid4().hex[:8]
    unreachable_gateway = f"http://127.0.0.1:{free_port()}/sms"
    running = await start_worker("notify", f"notify-worker-{suffix}", {
        "KAFKA_BOOTSTRAP": broker_bootstrap, "REDIS_URL": redis_url, "NOTIFY_APP_ID": f"notify-test-{suffix}",
        "NOTIFY_PROVIDERS": "console,file,sms", "NOTIFY_SMS_URL": unreachable_gateway,
        "NOTIFY_FILE_PATH": str(outbox / "messages.jsonl"), "NOTIFY_MANUAL_PATH": str(outbox / "manual.jsonl"),
        "NOTIFY_SEND_ATTEMPTS": "2", "NOTIFY_RETRY_DELAY_SECONDS": "0.1"}, run_dir)
    yield running
    running.stop()


@pytest.fixture(scope="module")
async def log(topics, broker_bootstrap):
    started = await TopicLog(broker_bootstrap, [NOTIFY_REQUESTS.name, NOTIFY_REQUESTS.dlq]).start()
    yield started
    await started.stop()


@pytest.fixture(scope="module")
async def producer(topics, broker_bootstrap):
    async with EventProducer(broker_bootstrap, client_id="notify-test") as started:
        yield started


def requested(notification_id: str, recipient: str, channel: str = "PUSH", template: str = "order_confirmed",
              **more):
    params = {"order_ref": "3F2A9C1E", "delivery_day": "13.05.2026", "pickup_point": "Brakel Marktplatz",
              "total": "15,30 €"}
    return new_event("NotificationRequested", producer="orders-worker", notification_id=notification_id,
                     recipient_id=recipient, recipient_role="RESIDENT", channel=channel, template=template,
                     params=more.pop("params", params), **more)


def written(path, notification_id: str) -> list[dict]:
    if not path.exists():
        return []
    return [m for m in map(json.loads, path.read_text(encoding="utf-8").splitlines())
            if m["notification_id"] == notification_id]


async def test_a_request_is_sent_once_through_the_file_sink(worker, log, producer, outbox, unique):
    nid = f"o-{unique}:order_confirmed"
    request = requested(nid, f"r-{unique}")
    own_results = await worker.handled(NOTIFY_REQUESTS.name, "NotificationSent")
    await producer.publish(request)
    sent = await log.wait_for("NotificationSent", notification_id=nid, worker=worker)
    assert sent.recipient_id == f"r-{unique}" and sent.channel == "PUSH"
    assert sent.correlation_id == request.correlation_id and sent.meta["causation_id"] == request.event_id
    [message] = written(outbox / "messages.jsonl", nid)
    assert message["text"] == ("Ihre Bestellung 3F2A9C1E ist bestätigt. Lieferung am 13.05.2026 an "
                               "Brakel Marktplatz. Gesamtbetrag: 15,30 €.")
    assert message["alternative_text"].startswith("Your order 3F2A9C1E is confirmed.")

    # The same request redelivered, and a new request with the same notification id.
    requests = await worker.handled(NOTIFY_REQUESTS.name, "NotificationRequested")
    await producer.publish(request)
    await producer.publish(requested(nid, f"r-{unique}"))

    async def handled_both():
        return await worker.handled(NOTIFY_REQUESTS.name, "NotificationRequested") >= requests + 2
    await eventually(handled_both, EFFECT, "the repeated requests handled", worker)

    async def own_result_skipped():
        return await worker.handled(NOTIFY_REQUESTS.name, "NotificationSent") >= own_results + 1
    await eventually(own_result_skipped, EFFECT, "its own NotificationSent consumed and skipped", worker)
    await log.caught_up()
    assert [r for r in log.records if r.topic == NOTIFY_REQUESTS.dlq and r.key == f"r-{unique}".encode()] == []
    assert len(log.events("NotificationSent", notification_id=nid)) == 1
    assert log.events("NotificationFailed", notification_id=nid) == []
    assert len(written(outbox / "messages.jsonl", nid)) == 1


async def test_a_phone_call_goes_to_the_assistants_manual_list(worker, log, producer, outbox, unique):
    nid = f"o-{unique}:order_ready"
    await producer.publish(requested(nid, f"r-{unique}", channel="PHONE_CALL", template="order_ready",
                                     params={"order_ref": "3F2A9C1E", "pickup_point": "Brakel Marktplatz"}))
    await log.wait_for("NotificationSent", notification_id=nid, worker=worker)
    [todo] = written(outbox / "manual.jsonl", nid)
    assert todo["todo"] == "open" and todo["channel"] == "PHONE_CALL"
    assert todo["text"].startswith("Ihre Bestellung 3F2A9C1E liegt bereit in Brakel Marktplatz.")
    assert written(outbox / "messages.jsonl", nid) == []


async def test_failures_become_notification_failed(worker, log, producer, outbox, unique):
    by_sms = f"o-{unique}:sms"
    await producer.publish(requested(by_sms, f"r-{unique}", channel="SMS", address="+49 5272 123456"))
    failed = await log.wait_for("NotificationFailed", notification_id=by_sms, worker=worker)
    assert failed.reason == "PROVIDER_ERROR" and "sms after 2 attempts" in failed.message

    unknown = f"o-{unique}:welcome"
    await producer.publish(requested(unknown, f"r-{unique}", template="welcome"))
    failed = await log.wait_for("NotificationFailed", notification_id=unknown, worker=worker)
    assert failed.reason == "UNKNOWN_TEMPLATE"
    assert log.events("NotificationSent", notification_id=unknown) == []
    assert written(outbox / "messages.jsonl", unknown) == []
