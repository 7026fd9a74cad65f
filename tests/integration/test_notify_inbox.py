"""Each person's inbox in notify, against the real broker and Redis with the notify
worker as its own process: the parcel-ready request the pick-up service sends (with
its PIN and QR payload) lands in its resident's inbox and nobody else's, once even
when redelivered; a sign-in code is sent but never kept; `GET /v1/me/messages`
answers the caller's own messages only, newest first."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from nahnetz.events import new_event
from nahnetz.kit.auth import issue_token
from nahnetz.records import NotificationChannel, NotificationRequested, NotificationSent, Role
from nahnetz.testing import TopicReader, api_client, eventually, settings_for
from nahnetz.topics import NOTIFY_REQUESTS
from services.notify import keys
from services.notify.api import create_app
from services.pickup.domain.notices import Notice, code_reissued, parcel_ready

SECRET = "notify-inbox-integration-secret-long-enough-for-hs256"

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sinks(tmp_path_factory):
    return tmp_path_factory.mktemp("notify-inbox")


@pytest.fixture(scope="module")
async def worker(topics, own_worker, sinks):
    async with own_worker("notify", "inbox", env={
            "NOTIFY_PROVIDERS": "console,file", "NOTIFY_FILE_PATH": str(sinks / "messages.jsonl"),
            "NOTIFY_MANUAL_PATH": str(sinks / "manual.jsonl")}) as running:
        yield running


@pytest.fixture(scope="module")
async def log(topics, broker_bootstrap):
    async with TopicReader(broker_bootstrap, [NOTIFY_REQUESTS]) as reader:
        yield reader


@pytest.fixture(scope="module")
async def api(topics, broker_bootstrap, redis_url):
    app = create_app(settings_for(broker_bootstrap, redis_url, service="notify", jwt_secret=SECRET))
    async with api_client(app, base_url="http://notify", timeout=15) as client:
        yield client


def bearer(sub: str, role: str = "resident") -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, sub, role)}"}


def as_request(notice: Notice) -> NotificationRequested:
    """The NotificationRequested the pick-up service publishes for `notice`."""
    return new_event(NotificationRequested, producer="pickup-worker", notification_id=notice.notification_id,
                     recipient_id=notice.recipient_id, recipient_role=Role(notice.recipient_role),
                     channel=NotificationChannel.SMS, template=notice.template, params=dict(notice.params))


def ready_notice(order_id: str, resident: str, pin: str) -> Notice:
    return parcel_ready(deposit_id=f"d-{order_id}", order_id=order_id, resident_id=resident, pin=pin,
                        qr_payload=f"NZ1:{order_id}:{pin}:sig", point_name="Brakel Marktplatz",
                        point_address="Marktplatz 1, 33034 Brakel", access_note=None, doors=["A3"],
                        collect_by=datetime.now(timezone.utc) + timedelta(days=3), counter=False)


async def sent(log, worker, nid: str) -> None:
    await log.wait_for(NOTIFY_REQUESTS, NotificationSent, notification_id=nid, watch=[worker])


async def test_a_parcel_ready_message_lands_in_its_resident_s_inbox_only_and_once(
        worker, log, api, producer, redis, unique):
    a, b = f"res-a-{unique}", f"res-b-{unique}"
    order = f"ord-{unique}"
    request = as_request(ready_notice(order, a, "483920"))
    await producer.publish(request)
    await sent(log, worker, request.notification_id)

    mine = await api.get("/v1/me/messages", headers=bearer(a))
    assert mine.status_code == 200, mine.text
    [message] = mine.json()["messages"]
    assert message["notification_id"] == request.notification_id
    assert message["template"] == "parcel_ready" and message["reference"] == order
    assert message["params"]["pin"] == "483920" and message["params"]["order_id"] == order
    assert message["params"]["qr_payload"] == f"NZ1:{order}:483920:sig"
    assert "483920" in message["text"] and message["text"].startswith(f"Ihre Bestellung {order}")
    assert message["created_at"].endswith("Z")
    others = await api.get("/v1/me/messages", headers=bearer(b))
    assert others.status_code == 200 and others.json() == {"messages": []}

    # Redelivered, and asked again with the same notification id: kept once.
    requests = await worker.handled(NOTIFY_REQUESTS, NotificationRequested)
    await producer.publish(request)
    await producer.publish(as_request(ready_notice(order, a, "483920")))

    async def handled_both() -> bool:
        return await worker.handled(NOTIFY_REQUESTS, NotificationRequested) >= requests + 2
    await eventually(handled_both, what="the repeated requests handled", watch=[worker])
    assert await redis.zcard(keys.inbox(a)) == 1 and await redis.hlen(keys.inbox_messages(a)) == 1
    assert 0 < await redis.ttl(keys.inbox(a)) <= 30 * 86400
    assert len((await api.get("/v1/me/messages", headers=bearer(a))).json()["messages"]) == 1
    assert not await redis.exists(keys.inbox(b))


async def test_a_new_code_is_the_newest_message(worker, log, api, producer, unique):
    a = f"res-a-{unique}"
    order = f"ord-{unique}"
    first = as_request(ready_notice(order, a, "111111"))
    await producer.publish(first)
    await sent(log, worker, first.notification_id)
    other = as_request(ready_notice(f"{order}-2", a, "222222"))
    await producer.publish(other)
    await sent(log, worker, other.notification_id)
    again = as_request(code_reissued(reissue_id=f"re-{unique}", order_id=order, resident_id=a, pin="333333",
                                     qr_payload=f"NZ1:{order}:333333:sig", point_name="Brakel Marktplatz",
                                     collect_by=datetime.now(timezone.utc) + timedelta(days=3)))
    await producer.publish(again)
    await sent(log, worker, again.notification_id)

    answer = await api.get("/v1/me/messages", headers=bearer(a))
    assert answer.status_code == 200, answer.text
    found = answer.json()["messages"]
    assert [m["notification_id"] for m in found] == [again.notification_id, other.notification_id,
                                                     first.notification_id]
    assert found[0]["template"] == "pickup_code_reissued" and found[0]["params"]["pin"] == "333333"
    limited = await api.get("/v1/me/messages", headers=bearer(a), params={"limit": 1})
    assert [m["notification_id"] for m in limited.json()["messages"]] == [again.notification_id]
    for wrong in ("0", "51", "many"):
        assert (await api.get("/v1/me/messages", headers=bearer(a), params={"limit": wrong})).status_code == 422
    assert (await api.get("/v1/me/messages")).status_code == 401


async def test_a_sign_in_code_is_sent_but_never_kept(worker, log, api, producer, redis, unique):
    me = f"res-{unique}"
    for template in ("sign_in_code", "sign-in-code"):
        nid = f"sign-in:{unique}:{template}"
        await producer.publish(new_event(NotificationRequested, producer="notify-api", notification_id=nid,
                                         recipient_id=me, recipient_role=Role.RESIDENT,
                                         channel=NotificationChannel.SMS, address="+4915112345678",
                                         template=template, params={"code": "654321", "minutes": "10"}))
        await sent(log, worker, nid)
    assert not await redis.exists(keys.inbox(me), keys.inbox_messages(me))
    answer = await api.get("/v1/me/messages", headers=bearer(me))
    assert answer.status_code == 200 and answer.json() == {"messages": []}


async def test_staff_and_shops_read_their_own_messages_too(worker, log, api, producer, unique):
    operator = f"op-{unique}"
    nid = f"pickup-code-locked:{unique}"
    await producer.publish(new_event(
        NotificationRequested, producer="pickup-worker", notification_id=nid, recipient_id=operator,
        recipient_role=Role.OPERATOR, template="pickup-code-locked",
        params={"order_id": f"ord-{unique}", "pickup_point": "Brakel Marktplatz", "failed_attempts": "5"}))
    await sent(log, worker, nid)
    answer = await api.get("/v1/me/messages", headers=bearer(operator, "operator"))
    assert [m["notification_id"] for m in answer.json()["messages"]] == [nid]
    assert (await api.get("/v1/me/messages", headers=bearer(f"res-{unique}"))).json() == {"messages": []}
