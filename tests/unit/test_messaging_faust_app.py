"""The worker app factory: Faust settings, registry topics, agents, readiness rules."""

from __future__ import annotations

from types import SimpleNamespace

from faust.types import TP as tp

import pytest

from nahnetz.events import new_event
from nahnetz.records import OrderCancelled
from nahnetz.kit.settings import Settings
from nahnetz.messaging.dead_letter import DeadLetterReason
from nahnetz.messaging.faust_app import (DEFAULT_FETCH_WAIT_MS, QUICK_FETCH_WAIT_MS, WORKER_LINGER_MS, broker_urls,
                                         create_worker_app, faust_log_level)
from nahnetz.messaging.worker_health import GroupState, group_state, judge
from nahnetz.topics import ORDERS_ORDERS, Topic

NOWHERE = "127.0.0.1:9"
PROD_SECRET = "a-production-secret-that-is-long-enough-0123456789"


def settings(**env) -> Settings:
    return Settings(KAFKA_BOOTSTRAP=NOWHERE, REDIS_URL="redis://127.0.0.1:9/0",
                    NAHNETZ_WORKER_PORT=7123, **env)


class FakeDeadLetters:
    def __init__(self):
        self.sent = []

    async def publish(self, delivery, failure):
        self.sent.append((delivery, failure))


def test_bootstrap_servers_become_faust_broker_urls():
    assert broker_urls("a:9092, b:9093") == ["kafka://a:9092", "kafka://b:9093"]
    with pytest.raises(ValueError):
        broker_urls(" ")


def test_outside_production_the_group_timeouts_are_short_and_batches_single():
    app = create_worker_app("catalog", settings(NAHNETZ_ENV="test"))
    conf = app.conf
    assert conf.id == "nahnetz-catalog"
    assert [str(url) for url in conf.broker] == [f"kafka://{NOWHERE}"]
    assert conf.processing_guarantee.value == "at_least_once"
    assert (conf.broker_session_timeout, conf.broker_heartbeat_interval) == (6.0, 1.0)
    assert conf.producer_max_batch_size == 1
    assert conf.producer_acks == -1
    assert conf.web_enabled and conf.web_port == 7123
    assert not app.event_producer.started  # nothing connected
    # The handlers' events: acknowledged by all, records sent within a moment batched.
    assert app.event_producer.options["acks"] == "all"
    assert app.event_producer.options["linger_ms"] == WORKER_LINGER_MS > 0


async def test_a_workers_fetch_waits_as_the_service_chose_unless_the_environment_says():
    # Faust's own 1.5 s fetch wait was added to every hop on the embedded broker.
    plain = create_worker_app("hub", settings(NAHNETZ_ENV="test"))
    quick = create_worker_app("catalog", settings(NAHNETZ_ENV="test"), fetch_wait_ms=QUICK_FETCH_WAIT_MS)
    told = create_worker_app("catalog", settings(NAHNETZ_ENV="prod", NAHNETZ_JWT_SECRET=PROD_SECRET,
                                                 NAHNETZ_KAFKA_FETCH_WAIT_MS="400"),
                             fetch_wait_ms=QUICK_FETCH_WAIT_MS)
    waits = []
    for app in (plain, quick, told):
        consumer = app.consumer._thread._create_worker_consumer(app.transport)
        waits.append(consumer._fetch_max_wait_ms)
        await consumer.stop()  # never started: only closes its client
    assert waits == [DEFAULT_FETCH_WAIT_MS, QUICK_FETCH_WAIT_MS, 400]
    assert QUICK_FETCH_WAIT_MS < DEFAULT_FETCH_WAIT_MS < 1500


def test_production_keeps_fausts_defaults_for_timeouts_and_batches():
    app = create_worker_app("catalog", settings(NAHNETZ_ENV="prod", NAHNETZ_JWT_SECRET=PROD_SECRET),
                            app_id="catalog-blue")
    assert app.conf.id == "catalog-blue"
    assert app.conf.broker_session_timeout > 6.0
    assert app.conf.producer_max_batch_size > 1


def test_a_registry_topic_becomes_a_raw_faust_topic_once():
    app = create_worker_app("orders", settings())
    topic = app.event_topic(ORDERS_ORDERS)
    assert topic.get_topic_name() == "orders.orders"
    assert (topic.key_serializer, topic.value_serializer) == ("raw", "raw")
    assert topic.partitions == ORDERS_ORDERS.partitions
    assert app.event_topic(ORDERS_ORDERS) is topic


def test_event_agents_run_one_message_at_a_time_and_have_unique_names():
    app = create_worker_app("orders", settings())

    @app.event_agent(ORDERS_ORDERS)
    async def confirm(event):
        pass

    agent = app.agents["orders.confirm"]
    assert agent.concurrency == 1
    assert app.source_topics == ["orders.orders"]
    with pytest.raises(ValueError, match="already registered"):
        app.event_agent(ORDERS_ORDERS, name="confirm")(confirm)


async def test_an_agent_hands_good_events_to_the_handler_and_bad_bytes_to_the_dead_letters():
    dead_letters = FakeDeadLetters()
    app = create_worker_app("orders", settings(), dead_letters=dead_letters)
    topic = Topic("test.orders", "order_id", "orders", ("OrderCancelled",))
    seen = []

    @app.event_agent(topic)
    async def record(event):
        seen.append(event)

    event = new_event(OrderCancelled, producer="test", order_id="o-1")
    async with app.agents["orders.record"].test_context() as agent:
        await agent.put(b"garbage", key=b"o-0")
        await agent.put(event.encode(), key=b"o-1")
    assert seen == [event]
    [(delivery, failure)] = dead_letters.sent
    assert (delivery.topic, delivery.key, delivery.value) == ("test.orders", b"o-0", b"garbage")
    assert (failure.reason, failure.consumer) == (DeadLetterReason.UNDECODABLE, "orders.record")


def test_log_levels_use_fausts_names():
    assert [faust_log_level(x) for x in ("debug", "info", "warning", "error")] == [
        "debug", "info", "warn", "error"]


def test_not_ready_until_a_rebalance_finished_and_while_the_next_runs():
    assert judge(GroupState(False, False), None, None).problems == [
        "consumer group: partitions not assigned yet"]
    assert judge(GroupState(True, True), None, None).problems == ["consumer group: rebalancing"]
    ready = judge(GroupState(True, False, ("orders.orders[0]",)), None, None)
    assert ready.ready and ready.as_json("orders")["partitions"] == ["orders.orders[0]"]
    # More workers than partitions: a settled worker without partitions is a healthy standby.
    assert judge(GroupState(True, False, ()), None, None).ready


def test_broker_and_redis_problems_make_a_worker_unready():
    verdict = judge(GroupState(True, False), "broker: KafkaConnectionError", "redis: ConnectionError")
    assert not verdict.ready
    assert verdict.problems == ["broker: KafkaConnectionError", "redis: ConnectionError"]
    assert verdict.as_json("orders")["status"] == "not ready"


def test_group_state_lists_only_the_agents_topics():
    class Completed:
        def __init__(self, done):
            self.done = done

        def is_set(self):
            return self.done

    app = SimpleNamespace(
        rebalancing=False,
        tables=SimpleNamespace(recovery=SimpleNamespace(completed=Completed(True))),
        consumer=SimpleNamespace(assignment=lambda: {tp("orders.orders", 1), tp("orders.orders", 0),
                                                     tp("app-__assignor-__leader", 0)}),
    )
    assert group_state(app, ["orders.orders"]) == GroupState(True, False, ("orders.orders[0]", "orders.orders[1]"))
    app.tables.recovery.completed = Completed(False)
    assert group_state(app, ["orders.orders"]) == GroupState(False, False, ())
