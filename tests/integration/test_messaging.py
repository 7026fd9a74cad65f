"""Messaging against the real broker and Redis: a Faust worker process built with
create_worker_app (tests/integration/messaging_worker.py), the EventProducer,
dead letters, idempotency markers and the Outbox. Every test has its own topic
or ids; effects are observed through Kafka, Redis and the worker's HTTP port."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from messaging_worker import SERVICE, from_text, seen_key, worker_topic
from nahnetz.events import Event, new_event, read_event
from nahnetz.kit.redis import connect
from nahnetz.messaging import headers as h
from nahnetz.messaging.admin import create_topics
from nahnetz.messaging.dead_letter import dead_letter_topic
from nahnetz.messaging.idempotency import ProcessedMarkers, Transaction, once
from nahnetz.messaging.outbox import Outbox
from nahnetz.messaging.producer import EventProducer, ProducerNotStarted
from nahnetz.records import OrderCancelled, OrderCollected
from nahnetz.stack.infra import start_redis
from nahnetz.stack.processes import free_port
from nahnetz.testing import TopicReader, WorkerProcess, eventually
from nahnetz.topics import ORDERS_ORDERS, Topic

pytestmark = pytest.mark.integration

EFFECT = 15.0
WORKER_START = 45.0  # import + the group's first join (about half the 6 s session timeout)
PURPOSES = ("consume", "corrupt", "retry", "redeliver")


# -- helpers ----------------------------------------------------------------------------------
def messaging_worker(name: str, topics: list[Topic], bootstrap: str, redis_url: str, run_dir) -> WorkerProcess:
    """tests/integration/messaging_worker.py as its own process, consuming `topics`."""
    return WorkerProcess(SERVICE, module="tests.integration.messaging_worker", app_id=name, bootstrap=bootstrap,
                         redis_url=redis_url, run_dir=run_dir,
                         env={"MESSAGING_TEST_TOPICS": ",".join(t.name for t in topics)})


async def create_with_dead_letters(bootstrap: str, topics: list[Topic]) -> None:
    await create_topics(bootstrap, [*topics, *(dead_letter_topic(t) for t in topics)])


def cancelled(order_id: str, reason: str | None = None) -> OrderCancelled:
    return new_event(OrderCancelled, producer="messaging-test", order_id=order_id, reason=reason)


# -- fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
async def topics(broker_bootstrap) -> dict[str, Topic]:
    """One topic per purpose (with its dead letters), for the worker below."""
    suffix = uuid.uuid4().hex[:10]
    made = {purpose: worker_topic(f"msg-{purpose}-{suffix}") for purpose in PURPOSES}
    await create_with_dead_letters(broker_bootstrap, list(made.values()))
    return made


@pytest.fixture(scope="module")
async def worker(topics, broker_bootstrap, redis_url, run_dir):
    """One worker process consuming every topic of `topics`."""
    async with messaging_worker(f"messaging-worker-{uuid.uuid4().hex[:10]}", list(topics.values()),
                                broker_bootstrap, redis_url, run_dir) as running:
        yield running


@pytest.fixture(scope="module")
async def seen(topics, broker_bootstrap):
    """Everything on the worker's topics and their dead letters, from the beginning."""
    async with TopicReader(broker_bootstrap, list(topics.values()), dead_letters=True) as reader:
        yield reader


async def recorded(redis, order_id: str) -> list[Event]:
    return [from_text(text) for text in await redis.lrange(seen_key(order_id), 0, -1)]


async def dead_letters(seen: TopicReader, topic: Topic, count: int) -> list:
    """The first `count` records of the topic's dead-letter topic."""
    def enough():
        letters = seen.dead_letters(topic)
        return letters if len(letters) >= count else None
    return (await eventually(enough, timeout=EFFECT, what=f"{count} dead letters of {topic.name}"))[:count]


# -- a worker consuming ------------------------------------------------------------------------
async def test_a_published_event_reads_the_same_in_a_faust_agent_and_a_plain_consumer(
        worker, topics, seen, producer, redis, unique):
    topic = topics["consume"]
    event = cancelled(f"o-{unique}", reason="moved away")
    meta = await producer.publish(event, to=topic)
    assert meta.topic == topic.name and meta.offset >= 0

    record = await seen.wait_for_record(topic, key=f"o-{unique}", timeout=EFFECT)
    assert (record.partition, record.offset) == (meta.partition, meta.offset)
    assert read_event(record.value) == event
    assert record.header(h.EVENT_TYPE) == "OrderCancelled"
    assert record.header(h.EVENT_ID) == event.event_id
    assert record.header(h.CORRELATION_ID) == event.correlation_id

    async def handled():
        return await recorded(redis, event.order_id)

    assert await eventually(handled, timeout=EFFECT, what="the agent handled the event", watch=[worker]) == [event]

    metrics = (await worker.get("/metrics")).text
    assert (f'nahnetz_worker_events_handled_total{{event_type="OrderCancelled",service="{SERVICE}",'
            f'topic="{topic.name}"}} 1.0') in metrics


async def test_bad_messages_go_to_the_dead_letters_with_the_error_and_the_agent_goes_on(
        worker, topics, seen, producer, redis, unique):
    topic = topics["corrupt"]
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

    assert await eventually(good_handled, timeout=EFFECT, what="the good event after the bad ones",
                            watch=[worker]) == [good]

    letters = await dead_letters(seen, topic, len(bad))
    by_key = {letter.key: letter for letter in letters}
    for (value, key, reason, error_type), meta in zip(bad, sent):
        letter = by_key[key.encode()]
        assert letter.value == value  # the original bytes, untouched
        assert letter.header(h.DLQ_REASON) == reason
        assert letter.header(h.DLQ_ERROR_TYPE) == error_type
        assert letter.header(h.DLQ_ERROR_MESSAGE)
        assert letter.header(h.DLQ_SOURCE_TOPIC) == topic.name
        assert letter.header(h.DLQ_SOURCE_PARTITION) == str(meta.partition)
        assert letter.header(h.DLQ_SOURCE_OFFSET) == str(meta.offset)
        assert letter.header(h.DLQ_SERVICE) == SERVICE
        assert letter.header(h.DLQ_CONSUMER) == f"{SERVICE}.record-{topic.name}"
        assert letter.header(h.DLQ_FAILED_AT)


async def test_a_passing_failure_is_retried_and_a_lasting_one_dead_lettered(
        worker, topics, seen, producer, redis, unique):
    topic = topics["retry"]
    recovers = cancelled(f"o-{unique}-recovers", reason="flaky:2")   # fails twice, then works
    lasting = cancelled(f"o-{unique}-lasting", reason="flaky:99")    # never works
    await producer.publish(lasting, to=topic)
    await producer.publish(recovers, to=topic)

    async def recovered():
        return await recorded(redis, recovers.order_id)

    assert await eventually(recovered, timeout=EFFECT, what="the event that recovers", watch=[worker]) == [recovers]
    assert int(await redis.get(f"test:attempts:{recovers.event_id}")) == 3

    # The worker logs JSON lines; the retry warning carries the event's correlation id.
    retries = [line for line in map(json.loads, worker.log_path.read_text().splitlines())
               if line["message"].startswith("handler failed, retrying")
               and line.get("event_id") == recovers.event_id]
    assert len(retries) == 2
    assert {line["correlation_id"] for line in retries} == {recovers.correlation_id}

    [letter] = await dead_letters(seen, topic, 1)
    assert read_event(letter.value) == lasting
    assert letter.header(h.DLQ_REASON) == "gave-up"
    assert letter.header(h.DLQ_ATTEMPTS) == "3"
    assert letter.header(h.DLQ_ERROR_TYPE) == "builtins.RuntimeError"
    assert await recorded(redis, lasting.order_id) == []


async def test_a_redelivered_event_is_handled_once(worker, topics, producer, redis, unique):
    topic = topics["redeliver"]
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

    assert await eventually(next_handled, timeout=EFFECT, what="the event after the copies",
                            watch=[worker]) == [event, after]


async def test_an_explicit_key_replaces_the_topics_key_field(producer, broker_bootstrap, unique):
    """A repartition topic keys an order's events by one of its products."""
    topic = Topic(f"msg-keyed-{unique}", "product_id", "catalog", ("OrderCancelled",), partitions=1)
    await create_topics(broker_bootstrap, [topic])
    event = cancelled(f"o-{unique}")
    meta = await producer.publish(event, to=topic, key=f"p-{unique}")
    async with TopicReader(broker_bootstrap, [topic]) as reader:
        record = await reader.wait_for_record(topic, OrderCancelled, order_id=event.order_id, timeout=EFFECT)
    assert (record.partition, record.offset) == (meta.partition, meta.offset)
    assert record.key == f"p-{unique}".encode()


# -- readiness ----------------------------------------------------------------------------------
async def test_readyz_waits_for_the_partitions_and_fails_without_redis(broker_bootstrap, run_dir, tmp_path, unique):
    topic = worker_topic(f"msg-ready-{unique}")
    await create_with_dead_letters(broker_bootstrap, [topic])
    redis_port = free_port()
    own_redis = start_redis(redis_port, tmp_path)
    worker = messaging_worker(f"messaging-ready-{unique}", [topic], broker_bootstrap,
                              f"redis://127.0.0.1:{redis_port}/0", run_dir).launch()
    try:
        first = await eventually(lambda: worker.get("/readyz"), timeout=WORKER_START,
                                 what="the worker's web server", watch=[worker])
        # The web server starts before the consumer joins its group.
        assert first.status_code == 503
        assert "consumer group: partitions not assigned yet" in first.json()["problems"]

        await worker.wait_ready(WORKER_START)
        ready = (await worker.get("/readyz")).json()
        assert ready["partitions"] == [f"{topic.name}[0]", f"{topic.name}[1]"]

        own_redis.stop()

        async def unready_for_redis_only():
            answer = await worker.get("/readyz")
            problems = answer.json()["problems"] if answer is not None and answer.status_code == 503 else []
            return problems if problems and all(p.startswith("redis:") for p in problems) else None

        await eventually(unready_for_redis_only, timeout=EFFECT, what="503 naming Redis", watch=[worker])
        alive = await worker.get("/healthz")
        assert alive.status_code == 200 and alive.json()["status"] == "alive"
    finally:
        worker.stop()
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

    async def reserve(tx: Transaction) -> str:
        runs.append(1)
        available = int(await tx.read.hget(stock, "available"))
        tx.write.hset(stock, "available", available - 2)
        return "reserved 2"

    first = await markers.apply(f"order-{unique}", reserve, watch=[stock])
    again = await markers.apply(f"order-{unique}", reserve, watch=[stock])
    assert (first.applied, first.result) == (True, "reserved 2")
    assert (again.applied, again.result) == (False, "reserved 2")
    assert len(runs) == 1
    assert await redis.hget(stock, "available") == "3"


async def test_a_failing_step_leaves_neither_state_nor_marker(redis, unique):
    markers = ProcessedMarkers(redis, "test.reserve")
    key = f"test:state:{unique}"

    async def half_done(tx: Transaction) -> None:
        tx.write.set(key, "written")
        raise ConnectionError("gone in the middle")

    with pytest.raises(ConnectionError):
        await markers.apply(f"e-{unique}", half_done)
    assert await redis.exists(key, markers.key(f"e-{unique}")) == 0


async def calls_of(redis, *commands: str) -> list[int]:
    """How often Redis has run each command so far (INFO commandstats)."""
    stats = await redis.info("commandstats")
    return [int(stats.get(f"cmdstat_{command.lower()}", {}).get("calls", 0)) for command in commands]


async def test_reads_sent_ahead_answer_the_step_without_a_round_trip_of_their_own(redis, unique):
    markers = ProcessedMarkers(redis, "test.reserve")
    stock, held = f"test:stock:{unique}", f"test:held:{unique}"
    await redis.hset(stock, mapping={"available": 5, "shop_id": "shop-1"})
    await redis.sadd(held, "order-0")
    before = await calls_of(redis, "HGETALL", "SMEMBERS")

    async def reserve(tx: Transaction) -> str:
        fields = await tx.read.hgetall(stock)
        assert await tx.read.hgetall(stock) == fields
        members = await tx.read.smembers(held)
        tx.write.hset(stock, "available", int(fields["available"]) - 2)
        return f"{fields['shop_id']} {sorted(members)}"

    outcome = await markers.apply(f"order-{unique}", reserve, read_ahead=[("HGETALL", stock), ("SMEMBERS", held)])
    assert (outcome.applied, outcome.result) == (True, "shop-1 ['order-0']")
    # Each read reached Redis once, with the marker's, though the step asked for the stock twice.
    assert [after - then for after, then in zip(await calls_of(redis, "HGETALL", "SMEMBERS"), before)] == [1, 1]
    assert await redis.hget(stock, "available") == "3"


@pytest.mark.parametrize("read", ["watched", "sent ahead"])
async def test_racing_steps_decide_on_fresh_state(redis, unique, read):
    """Two orders race for the last item of a product: WATCH makes the loser decide again
    (a key read ahead is watched without being named in `watch`)."""
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

    how = dict(watch=[stock]) if read == "watched" else dict(read_ahead=[("HGET", stock, "available")])
    outcomes = await asyncio.gather(*(markers.apply(f"{order}-{unique}", reserve_for(order), **how)
                                      for order in ("a", "b")))
    assert sorted(o.result for o in outcomes) == ["rejected", "reserved"]
    assert all(o.applied for o in outcomes)
    assert len(reads) == 3  # the loser read again
    assert await redis.hget(stock, "available") == "0"


async def test_a_step_runs_on_a_connection_that_redis_dropped(redis, redis_url, unique):
    """The marker and the reads ahead go together with the WATCH on a pooled connection; when Redis
    dropped that connection (a restart, a timeout), they go again on a new one instead of failing
    the handler."""
    markers = ProcessedMarkers(redis, "test.reserve")
    key = f"test:state:{unique}"

    async def write(tx: Transaction) -> str:
        tx.write.incr(key)
        return "done"

    assert (await markers.apply(f"first-{unique}", write, watch=[key])).applied
    killer = connect(redis_url, client_name="tests-killer")
    try:
        assert await killer.client_kill_filter(_type="normal", skipme=True) >= 1
    finally:
        await killer.aclose()
    outcome = await markers.apply(f"second-{unique}", write, read_ahead=[("GET", key)])
    assert (outcome.applied, outcome.result) == (True, "done")
    assert await redis.get(key) == "2"


# -- the Outbox: state, marker and events on a real Redis and broker ------------------------------
@pytest.fixture(scope="module")
async def orders_topic(broker_bootstrap):
    """orders.orders (where OrderCancelled and OrderCollected go) on this module's broker, read
    from the beginning."""
    await create_topics(broker_bootstrap, [ORDERS_ORDERS])
    async with TopicReader(broker_bootstrap, [ORDERS_ORDERS]) as reader:
        yield reader


def collection_step(order_id: str, state: str, runs: list[list[Event]]):
    """A decision: mark the order collected and cause two events; `runs` gets the
    events of each time the step ran."""
    async def step(tx: Transaction) -> list[Event]:
        assert await tx.read.get(state) is None, "decided on state written by an earlier run"
        tx.write.set(state, "COLLECTED")
        caused = [new_event(OrderCollected, producer="messaging-test", order_id=order_id, pickup_point_id="pp-1"),
                  cancelled(order_id, reason="collected")]
        runs.append(caused)
        return caused
    return step


async def published(reader: TopicReader, order_id: str) -> list[str]:
    """The event ids on orders.orders for the order, once the reader has read everything there."""
    await reader.caught_up(timeout=EFFECT)
    return [e.event_id for e in reader.events(ORDERS_ORDERS, order_id=order_id)]


async def test_a_decision_commits_and_publishes_once_and_a_redelivery_publishes_nothing(
        redis, producer, orders_topic, unique):
    outbox = Outbox(redis, producer, consumer="test.collect")
    order_id, state, runs = f"o-{unique}", f"test:order:{unique}", []
    step = collection_step(order_id, state, runs)

    first = await outbox.decide(f"e-{unique}", step, watch=[state])
    assert first == runs[0] and [e.type for e in first] == ["OrderCollected", "OrderCancelled"]
    assert await redis.get(state) == "COLLECTED"
    # Published: a redelivery now publishes nothing, while the marker waits to be emptied...
    marker = outbox.markers.key(f"e-{unique}")
    assert await outbox.decide(f"e-{unique}", step, watch=[state]) == [] and len(runs) == 1
    # ...and once it was: the marker stays (a redelivery must find it) but no longer holds the events.
    await outbox.sweeper.sweep()
    assert await redis.get(marker) == "" and await redis.pttl(marker) > 0

    again = await outbox.decide(f"e-{unique}", step, watch=[state])
    assert again == [] and len(runs) == 1
    await orders_topic.wait_for(ORDERS_ORDERS, OrderCancelled, order_id=order_id, timeout=EFFECT)
    assert await published(orders_topic, order_id) == [e.event_id for e in first]


async def test_a_crash_between_commit_and_publish_publishes_the_same_events_on_redelivery(
        redis, broker_bootstrap, producer, orders_topic, unique):
    order_id, state, runs = f"o-{unique}", f"test:order:{unique}", []
    step = collection_step(order_id, state, runs)
    # The worker dies after MULTI/EXEC and before its producer sends: here a producer that never started.
    dying = Outbox(redis, EventProducer(broker_bootstrap, client_id="messaging-test-dying"), "test.collect")
    with pytest.raises(ProducerNotStarted):
        await dying.decide(f"e-{unique}", step, watch=[state])
    assert await redis.get(state) == "COLLECTED"
    marker = dying.markers.key(f"e-{unique}")
    assert await redis.get(marker), "the decided events are remembered with the marker"
    assert await published(orders_topic, order_id) == []

    # The event is redelivered to the restarted worker: no new decision, the remembered events go out.
    outbox = Outbox(redis, producer, "test.collect")
    redelivered = await outbox.decide(f"e-{unique}", step, watch=[state])
    assert len(runs) == 1
    assert redelivered == runs[0], "the very events decided before the crash, same ids"
    await orders_topic.wait_for(ORDERS_ORDERS, OrderCancelled, order_id=order_id, timeout=EFFECT)
    assert await published(orders_topic, order_id) == [e.event_id for e in redelivered]
    await outbox.sweeper.sweep()
    assert await redis.get(marker) == ""

    assert await outbox.decide(f"e-{unique}", step, watch=[state]) == []
    assert await published(orders_topic, order_id) == [e.event_id for e in redelivered]


async def test_published_markers_are_emptied_in_the_background(redis, producer, orders_topic, unique):
    outbox = Outbox(redis, producer, consumer="test.collect")
    refs = [f"e-{n}-{unique}" for n in range(5)]
    steps = [collection_step(f"o-{n}-{unique}", f"test:order:{n}:{unique}", []) for n in range(5)]
    await asyncio.gather(*(outbox.decide(ref, step) for ref, step in zip(refs, steps)))
    markers = [outbox.markers.key(ref) for ref in refs]

    async def all_emptied() -> bool:
        return await redis.mget(markers) == [""] * len(markers)

    await eventually(all_emptied, timeout=EFFECT, what="the published markers emptied")
    assert not outbox.sweeper.pending


async def test_a_redelivery_while_its_marker_is_being_emptied_publishes_nothing(
        redis, producer, orders_topic, unique):
    """The sweep takes the markers off its list before Redis has emptied them: a redelivery
    in that round trip still reads the full marker and must not publish its events again."""
    order_id, state, runs = f"o-{unique}", f"test:order:{unique}", []
    step = collection_step(order_id, state, runs)
    outbox = Outbox(redis, producer, "test.collect")
    first = await outbox.decide(f"e-{unique}", step, watch=[state])
    marker = outbox.markers.key(f"e-{unique}")
    sweeping = asyncio.create_task(outbox.sweeper.sweep())
    await asyncio.sleep(0)  # the sweep has taken the marker off its list and waits for Redis
    assert not outbox.sweeper.pending and outbox.sweeper.holds(marker)
    assert await outbox.decide(f"e-{unique}", step, watch=[state]) == []
    await sweeping
    assert await redis.get(marker) == ""
    await orders_topic.wait_for(ORDERS_ORDERS, OrderCancelled, order_id=order_id, timeout=EFFECT)
    assert await published(orders_topic, order_id) == [e.event_id for e in first]


async def test_a_redelivery_that_read_its_marker_before_the_sweep_emptied_it_publishes_nothing(
        redis, producer, orders_topic, unique):
    """The sweep may empty the marker, and let go of it, between Redis answering a
    redelivery's read and the answer arriving: the full marker read must still count as
    published by this process (seen in CI: a collected order sold its units twice)."""
    order_id, state, runs = f"o-{unique}", f"test:order:{unique}", []
    step = collection_step(order_id, state, runs)
    outbox = Outbox(redis, producer, "test.collect")
    first = await outbox.decide(f"e-{unique}", step, watch=[state])
    marker = outbox.markers.key(f"e-{unique}")
    read_marker = outbox.markers.apply

    async def read_then_sweep(*args, **kwargs):
        outcome = await read_marker(*args, **kwargs)
        await outbox.sweeper.sweep()   # emptied and let go of before the answer is looked at
        return outcome

    outbox.markers.apply = read_then_sweep
    assert await outbox.decide(f"e-{unique}", step, watch=[state]) == []
    assert not outbox.sweeper.holds(marker) and await redis.get(marker) == ""
    await orders_topic.wait_for(ORDERS_ORDERS, OrderCancelled, order_id=order_id, timeout=EFFECT)
    assert await published(orders_topic, order_id) == [e.event_id for e in first]


async def test_a_sweep_waits_for_the_sweep_under_way(redis, producer, unique):
    """What was published before a sweep is emptied when it returns, also where a sweep
    in the background had taken those markers first (a worker's last sweep on stop)."""
    outbox = Outbox(redis, producer, "test.collect")
    await outbox.decide(f"e-{unique}", collection_step(f"o-{unique}", f"test:order:{unique}", []),
                        watch=[f"test:order:{unique}"])
    marker = outbox.markers.key(f"e-{unique}")
    under_way = asyncio.create_task(outbox.sweeper.sweep())
    await asyncio.sleep(0)  # it has taken the marker and waits for Redis
    assert not outbox.sweeper.pending and outbox.sweeper.holds(marker)
    await outbox.sweeper.sweep()
    assert not outbox.sweeper.holds(marker) and under_way.done()  # it waited for the one under way
    assert await redis.get(marker) == ""


async def test_publish_once_publishes_the_first_events_of_a_reference_only(redis, producer, orders_topic, unique):
    outbox = Outbox(redis, producer, "test.notify-once")
    first, second = cancelled(f"o-{unique}", reason="first"), cancelled(f"o-{unique}", reason="second")
    assert await outbox.publish_once(f"e-{unique}", first) == [first]
    assert await outbox.publish_once(f"e-{unique}", second) == []
    await orders_topic.wait_for(ORDERS_ORDERS, OrderCancelled, order_id=f"o-{unique}", timeout=EFFECT)
    assert await published(orders_topic, f"o-{unique}") == [first.event_id]
