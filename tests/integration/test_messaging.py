"""Messaging against the real broker and Redis: a Faust worker process built with
create_worker_app (tests/integration/messaging_worker.py), the EventProducer,
dead letters and idempotency markers. Every test has its own topic; effects
are observed through Kafka, Redis and the worker's HTTP port."""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable

import httpx
import pytest
import redis.asyncio as aioredis
from aiokafka import AIOKafkaConsumer, TopicPartition

from messaging_worker import SERVICE, seen_key, worker_topic
from nahnetz.events import Event, new_event, read_event
from nahnetz.messaging import headers as h
from nahnetz.messaging.admin import create_topics
from nahnetz.messaging.dead_letter import dead_letter_topic
from nahnetz.messaging.idempotency import ProcessedMarkers, Transaction, once
from nahnetz.messaging.producer import EventProducer
from nahnetz.stack.infra import start_redis
from nahnetz.stack.processes import ManagedProcess, free_port
from nahnetz.topics import Topic

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
WORKER_START = 45.0  # import + the group's first join (about half the 6 s session timeout)
EFFECT = 15.0


# -- helpers ----------------------------------------------------------------------------------
async def eventually(probe: Callable[[], Awaitable[Any]], timeout: float, what: str,
                     worker: ManagedProcess | None = None) -> Any:
    """Poll `probe` until it returns something truthy; fail naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        result = await probe()
        if result:
            return result
        if worker is not None and not worker.running:
            pytest.fail(f"{what}: the worker exited\n{worker.log_tail(40)}")
        if time.monotonic() > deadline:
            tail = f"\n{worker.log_tail(40)}" if worker is not None else ""
            pytest.fail(f"{what}: not within {timeout:.0f} s{tail}")
        await asyncio.sleep(0.1)


@dataclass
class Worker:
    process: ManagedProcess
    port: int
    topics: dict[str, Topic]

    async def get(self, path: str) -> httpx.Response | None:
        try:
            async with httpx.AsyncClient(timeout=5.0) as client:
                return await client.get(f"http://127.0.0.1:{self.port}{path}")
        except httpx.TransportError:
            return None  # web server not up yet

    async def ready(self) -> bool:
        answer = await self.get("/readyz")
        return answer is not None and answer.status_code == 200


def start_worker(name: str, topics: list[Topic], bootstrap: str, redis_url: str, run_dir: Path) -> Worker:
    port = free_port()
    process = ManagedProcess(
        name,
        [sys.executable, "-m", "tests.integration.messaging_worker"],
        run_dir / f"{name}.log",
        env={"KAFKA_BOOTSTRAP": bootstrap, "REDIS_URL": redis_url, "NAHNETZ_ENV": "test",
             "NAHNETZ_WORKER_PORT": str(port), "MESSAGING_TEST_APP_ID": name,
             "MESSAGING_TEST_DATADIR": str(run_dir / f"{name}-data"),
             "MESSAGING_TEST_TOPICS": ",".join(t.name for t in topics)},
        cwd=REPO,
    ).start()
    return Worker(process, port, {t.name: t for t in topics})


async def create_with_dead_letters(bootstrap: str, topics: list[Topic]) -> None:
    await create_topics(bootstrap, [*topics, *(dead_letter_topic(t) for t in topics)])


async def read_dead_letters(bootstrap: str, topic: Topic, count: int) -> list:
    """The first `count` records of the topic's dead-letter topic (it has one partition)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False)
    await consumer.start()
    try:
        tp = TopicPartition(dead_letter_topic(topic).name, 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        records: list = []
        deadline = time.monotonic() + EFFECT
        while len(records) < count and time.monotonic() < deadline:
            batch = await consumer.getmany(tp, timeout_ms=500)
            records.extend(batch.get(tp, []))
        assert len(records) >= count, f"{len(records)} of {count} dead letters arrived"
        return records[:count]
    finally:
        await consumer.stop()


def cancelled(order_id: str, reason: str | None = None) -> Event:
    return new_event("OrderCancelled", producer="messaging-test", order_id=order_id, reason=reason)


# -- fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
async def worker(broker_bootstrap, redis_url, run_dir):
    """One worker process consuming one topic per test below."""
    suffix = uuid.uuid4().hex[:10]
    topics = [worker_topic(f"msg-{purpose}-{suffix}") for purpose in ("consume", "corrupt", "retry", "redeliver")]
    await create_with_dead_letters(broker_bootstrap, topics)
    running = start_worker(f"messaging-worker-{suffix}", topics, broker_bootstrap, redis_url, run_dir)
    try:
        await eventually(running.ready, WORKER_START, "worker ready", running.process)
        yield running
    finally:
        running.process.stop(grace=8)


@pytest.fixture(scope="module")
async def producer(broker_bootstrap):
    async with EventProducer(broker_bootstrap, client_id="messaging-test") as started:
        yield started


@pytest.fixture
async def redis(redis_url):
    client = aioredis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


def topic_of(worker: Worker, purpose: str) -> Topic:
    [topic] = [t for name, t in worker.topics.items() if name.startswith(f"msg-{purpose}-")]
    return topic


async def recorded(redis, order_id: str) -> list[Event]:
    return [read_event(raw) for raw in await redis.lrange(seen_key(order_id), 0, -1)]


# -- a worker consuming ------------------------------------------------------------------------
async def test_a_published_event_reads_the_same_in_a_faust_agent_and_a_plain_consumer(
        worker, producer, redis, broker_bootstrap, unique):
    topic = topic_of(worker, "consume")
    event = cancelled(f"o-{unique}", reason="moved away")
    meta = await producer.publish(event, to=topic)
    assert meta.topic == topic.name and meta.offset >= 0

    consumer = AIOKafkaConsumer(bootstrap_servers=broker_bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tp = TopicPartition(topic.name, meta.partition)
        consumer.assign([tp])
        consumer.seek(tp, meta.offset)
        record = await asyncio.wait_for(consumer.getone(tp), EFFECT)
    finally:
        await consumer.stop()
    assert read_event(record.value) == event
    assert record.key == f"o-{unique}".encode()
    assert h.header(record.headers, h.EVENT_TYPE) == "OrderCancelled"
    assert h.header(record.headers, h.CORRELATION_ID) == event.correlation_id

    async def handled():
        return await recorded(redis, event.order_id)

    assert await eventually(handled, EFFECT, "the agent handled the event", worker.process) == [event]

    metrics = (await worker.get("/metrics")).text
    assert (f'nahnetz_worker_events_handled_total{{event_type="OrderCancelled",service="{SERVICE}",'
            f'topic="{topic.name}"}} 1.0') in metrics


async def test_bad_messages_go_to_the_dead_letters_with_the_error_and_the_agent_goes_on(
        worker, producer, redis, broker_bootstrap, unique):
    topic = topic_of(worker, "corrupt")
    good = cancelled(f"o-{unique}-good")
    body = good.encode()
    wrong_fingerprint = body[:2] + bytes(b ^ 0xFF for b in body[2:10]) + body[10:]
    bad = [
        (b"no avro at all", "k-garbage", "undecodable", "nahnetz.avro.errors.BadMarker"),
        (wrong_fingerprint, "k-fingerprint", "undecodable", "nahnetz.avro.errors.UnknownFingerprint"),
        (cancelled(f"o-{unique}-bad", reason="invalid").encode(), f"o-{unique}-bad", "invalid",
         "nahnetz.messaging.handling.InvalidEvent"),
    ]
    sent = [await producer.publish_raw(topic, value, key=key) for value, key, *_ in bad]
    await producer.publish(good, to=topic)

    async def good_handled():
        return await recorded(redis, good.order_id)

    assert await eventually(good_handled, EFFECT, "the good event after the bad ones", worker.process) == [good]

    letters = await read_dead_letters(broker_bootstrap, topic, len(bad))
    by_key = {letter.key: letter for letter in letters}
    for (value, key, reason, error_type), meta in zip(bad, sent):
        letter = by_key[key.encode()]
        assert letter.value == value  # the original bytes, untouched
        headers = letter.headers
        assert h.header(headers, h.DLQ_REASON) == reason
        assert h.header(headers, h.DLQ_ERROR_TYPE) == error_type
        assert h.header(headers, h.DLQ_ERROR_MESSAGE)
        assert h.header(headers, h.DLQ_SOURCE_TOPIC) == topic.name
        assert h.header(headers, h.DLQ_SOURCE_PARTITION) == str(meta.partition)
        assert h.header(headers, h.DLQ_SOURCE_OFFSET) == str(meta.offset)
        assert h.header(headers, h.DLQ_SERVICE) == SERVICE
        assert h.header(headers, h.DLQ_CONSUMER) == f"{SERVICE}.record-{topic.name}"
        assert h.header(headers, h.DLQ_FAILED_AT)


async def test_a_passing_failure_is_retried_and_a_lasting_one_dead_lettered(
        worker, producer, redis, broker_bootstrap, unique):
    topic = topic_of(worker, "retry")
    recovers = cancelled(f"o-{unique}-recovers", reason="flaky:2")   # fails twice, then works
    lasting = cancelled(f"o-{unique}-lasting", reason="flaky:99")    # never works
    await producer.publish(lasting, to=topic)
    await producer.publish(recovers, to=topic)

    async def recovered():
        return await recorded(redis, recovers.order_id)

    assert await eventually(recovered, EFFECT, "the event that recovers", worker.process) == [recovers]
    assert int(await redis.get(f"test:attempts:{recovers.event_id}")) == 3

    # The worker logs JSON lines; the retry warning carries the event's correlation id.
    retries = [line for line in map(json.loads, worker.process.log_path.read_text().splitlines())
               if line["message"].startswith("handler failed, retrying")
               and line.get("event_id") == recovers.event_id]
    assert len(retries) == 2
    assert {line["correlation_id"] for line in retries} == {recovers.correlation_id}

    [letter] = await read_dead_letters(broker_bootstrap, topic, 1)
    assert read_event(letter.value) == lasting
    assert h.header(letter.headers, h.DLQ_REASON) == "gave-up"
    assert h.header(letter.headers, h.DLQ_ATTEMPTS) == "3"
    assert h.header(letter.headers, h.DLQ_ERROR_TYPE) == "builtins.ConnectionError"
    assert await recorded(redis, lasting.order_id) == []


async def test_a_redelivered_event_is_handled_once(worker, producer, redis, unique):
    topic = topic_of(worker, "redeliver")
    order_id = f"o-{unique}"
    event = cancelled(order_id)
    await producer.publish(event, to=topic)
    await producer.publish(event, to=topic)  # the same bytes again, as after a crash before commit
    # Same key, same partition: once the next event is handled, both copies were read.
    after = cancelled(order_id, reason="the next one")
    await producer.publish(after, to=topic)

    async def next_handled():
        events = await recorded(redis, order_id)
        return events if after in events else None

    assert await eventually(next_handled, EFFECT, "the event after the copies", worker.process) == [event, after]


async def test_an_explicit_key_replaces_the_topics_key_field(producer, broker_bootstrap, unique):
    """A repartition topic keys an order's events by one of its products."""
    topic = Topic(f"msg-keyed-{unique}", "product_id", "catalog", ("OrderCancelled",), partitions=1)
    await create_topics(broker_bootstrap, [topic])
    meta = await producer.publish(cancelled(f"o-{unique}"), to=topic, key=f"p-{unique}")
    consumer = AIOKafkaConsumer(bootstrap_servers=broker_bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tp = TopicPartition(topic.name, meta.partition)
        consumer.assign([tp])
        consumer.seek(tp, meta.offset)
        record = await asyncio.wait_for(consumer.getone(tp), EFFECT)
    finally:
        await consumer.stop()
    assert record.key == f"p-{unique}".encode()


# -- readiness ----------------------------------------------------------------------------------
async def test_readyz_waits_for_the_partitions_and_fails_without_redis(broker_bootstrap, run_dir, tmp_path, unique):
    topic = worker_topic(f"msg-ready-{unique}")
    await create_with_dead_letters(broker_bootstrap, [topic])
    redis_port = free_port()
    own_redis = start_redis(redis_port, tmp_path)
    worker = start_worker(f"messaging-ready-{unique}", [topic], broker_bootstrap,
                          f"redis://127.0.0.1:{redis_port}/0", run_dir)
    try:
        first = await eventually(lambda: worker.get("/readyz"), WORKER_START, "the worker's web server",
                                 worker.process)
        # The web server starts before the consumer joins its group.
        assert first.status_code == 503
        assert "consumer group: partitions not assigned yet" in first.json()["problems"]

        await eventually(worker.ready, WORKER_START, "ready once assigned", worker.process)
        ready = (await worker.get("/readyz")).json()
        assert ready["partitions"] == [f"{topic.name}[0]", f"{topic.name}[1]"]

        own_redis.stop()

        async def unready_for_redis_only():
            answer = await worker.get("/readyz")
            problems = answer.json()["problems"] if answer is not None and answer.status_code == 503 else []
            return problems if problems and all(p.startswith("redis:") for p in problems) else None

        await eventually(unready_for_redis_only, EFFECT, "503 naming Redis", worker.process)
        alive = await worker.get("/healthz")
        assert alive.status_code == 200 and alive.json()["status"] == "alive"
    finally:
        worker.process.stop(grace=8)
        own_redis.stop()


# -- idempotency markers on a real Redis --------------------------------------------------------
async def test_once_claims_a_reference_once(redis, unique):
    assert await once(redis, "test.notify", f"e-{unique}") is True
    assert await once(redis, "test.notify", f"e-{unique}") is False
    assert await once(redis, "test.other-consumer", f"e-{unique}") is True
    assert 0 < await redis.pttl(ProcessedMarkers(redis, "test.notify").key(f"e-{unique}"))


async def test_a_step_commits_with_its_marker_and_is_remembered(redis, unique):
    markers = ProcessedMarkers(redis, "test.reserve")
    stock = f"test:stock:{unique}"
    await redis.hset(stock, "available", 5)
    runs = []

    async def reserve(tx: Transaction) -> bytes:
        runs.append(1)
        available = int(await tx.read.hget(stock, "available"))
        tx.write.hset(stock, "available", available - 2)
        return b"reserved 2"

    first = await markers.apply(f"order-{unique}", reserve, watch=[stock])
    again = await markers.apply(f"order-{unique}", reserve, watch=[stock])
    assert (first.applied, first.result) == (True, b"reserved 2")
    assert (again.applied, again.result) == (False, b"reserved 2")
    assert len(runs) == 1
    assert await redis.hget(stock, "available") == b"3"


async def test_a_failing_step_leaves_neither_state_nor_marker(redis, unique):
    markers = ProcessedMarkers(redis, "test.reserve")
    key = f"test:state:{unique}"

    async def half_done(tx: Transaction) -> None:
        tx.write.set(key, "written")
        raise ConnectionError("gone in the middle")

    with pytest.raises(ConnectionError):
        await markers.apply(f"e-{unique}", half_done)
    assert await redis.exists(key, markers.key(f"e-{unique}")) == 0


async def test_racing_steps_decide_on_fresh_state(redis, unique):
    """Two orders race for the last item of a product: WATCH makes the loser decide again."""
    markers = ProcessedMarkers(redis, "test.reserve")
    stock = f"test:stock:{unique}"
    await redis.hset(stock, "available", 1)
    both_read = asyncio.Event()
    reads = []

    def reserve_for(order: str):
        async def reserve(tx: Transaction) -> str:
            available = int(await tx.read.hget(stock, "available"))
            reads.append(order)
            if len(reads) == 2:
                both_read.set()
            if len(reads) <= 2:
                await both_read.wait()  # make both decide on the same snapshot once
            if available < 1:
                return "rejected"
            tx.write.hincrby(stock, "available", -1)
            return "reserved"
        return reserve

    outcomes = await asyncio.gather(*(markers.apply(f"{order}-{unique}", reserve_for(order), watch=[stock])
                                      for order in ("a", "b")))
    assert sorted(o.result for o in outcomes) == ["rejected", "reserved"]
    assert all(o.applied for o in outcomes)
    assert len(reads) == 3  # the loser read again
    assert await redis.hget(stock, "available") == b"0"
