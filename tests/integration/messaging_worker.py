"""A small worker for tests/integration/test_messaging.py, built like a service's
worker.py and run as its own process:

    python -m tests.integration.messaging_worker

It consumes the topics named in MESSAGING_TEST_TOPICS (OrderCancelled events)
and records each event it applies in Redis through the Outbox, once per event
id, at `test:seen:<order_id>` (the encoded event as base64 text: Redis holds no
raw bytes). The `reason` field steers it: "invalid" raises InvalidEvent;
"flaky:<n>" fails the first n attempts with an error that is not an outage
(a dependency away is waited out, never dead-lettered; see handling.py). Its consumer group
is MESSAGING_TEST_APP_ID (`nahnetz.testing.WorkerProcess(app_id=...)`).
"""

from __future__ import annotations

import base64
import os

from nahnetz.events import Event, read_event
from nahnetz.kit.settings import load_settings
from nahnetz.messaging.faust_app import WorkerApp, create_worker_app, run_worker
from nahnetz.messaging.handling import InvalidEvent, RetryPolicy
from nahnetz.messaging.idempotency import Transaction
from nahnetz.messaging.outbox import Outbox
from nahnetz.records import OrderCancelled
from nahnetz.topics import Topic

SERVICE = "messaging-test"
PARTITIONS = 2


def worker_topic(name: str) -> Topic:
    return Topic(name, "order_id", "orders", ("OrderCancelled",), partitions=PARTITIONS)


def seen_key(order_id: str) -> str:
    return f"test:seen:{order_id}"


def as_text(event: Event) -> str:
    return base64.b64encode(event.encode()).decode("ascii")


def from_text(text: str) -> Event:
    return read_event(base64.b64decode(text))


def build_app() -> WorkerApp:
    app = create_worker_app(SERVICE, load_settings(), app_id=os.environ["MESSAGING_TEST_APP_ID"],
                            retry=RetryPolicy(attempts=3, first_delay=0.05, max_delay=0.2))
    outbox = Outbox(app.redis, app.event_producer, f"{SERVICE}.record")

    async def record(event: OrderCancelled) -> None:
        reason = event.reason or ""
        if reason == "invalid":
            raise InvalidEvent(f"order {event.order_id}: invalid on purpose")
        if reason.startswith("flaky:"):
            attempt = await app.redis.incr(f"test:attempts:{event.event_id}")
            if attempt <= int(reason.split(":")[1]):
                raise RuntimeError(f"attempt {attempt}: failing on purpose")

        async def remember(tx: Transaction) -> list[Event]:
            tx.write.rpush(seen_key(event.order_id), as_text(event))
            return []  # recording causes no event

        await outbox.decide(event.event_id, remember)

    for name in os.environ["MESSAGING_TEST_TOPICS"].split(","):
        app.event_agent(worker_topic(name), name=f"record-{name}")(record)
    return app


if __name__ == "__main__":
    run_worker(build_app())
