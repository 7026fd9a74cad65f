"""Dead letters keep the original bytes and say what went wrong, where."""

from __future__ import annotations

from datetime import datetime, timezone

from nahnetz import topics
from nahnetz.messaging import headers as h
from nahnetz.messaging.dead_letter import (MAX_ERROR_MESSAGE, DeadLetterPublisher, DeadLetterReason,
                                          Failure, dead_letter_headers, dead_letter_topic)
from nahnetz.messaging.delivery import Delivery

WHEN = datetime(2026, 5, 4, 9, 12, 3, tzinfo=timezone.utc)
MESSAGE = Delivery("orders.orders", 3, 41, b"o-7", b"\xc3\x01garbage", [("event-type", b"OrderPlaced")])


def test_the_registry_topics_have_their_registered_dead_letter_topic():
    registered = {t.name: t for t in topics.dead_letter_topics()}
    assert dead_letter_topic(topics.ORDERS_ORDERS) == registered["orders.orders.dlq"]
    assert dead_letter_topic("orders.orders") == registered["orders.orders.dlq"]


def test_a_topic_outside_the_registry_gets_one_built_the_same_way():
    source = topics.Topic("test-abc", "order_id", "orders", ("OrderCancelled",), partitions=4)
    dlq = dead_letter_topic(source)
    assert (dlq.name, dlq.key, dlq.partitions, dlq.event_types) == ("test-abc.dlq", "order_id", 1, ())
    assert dead_letter_topic("test-abc").name == "test-abc.dlq"


def test_headers_name_the_error_the_source_and_the_consumer_after_the_original_ones():
    failure = Failure(DeadLetterReason.GAVE_UP, ConnectionError("redis is down"), "orders.confirm", 6)
    headers = dead_letter_headers(MESSAGE, failure, service="orders", failed_at=WHEN)
    assert headers[0] == ("event-type", b"OrderPlaced")
    got = {name: h.header(headers, name) for name in (
        h.DLQ_REASON, h.DLQ_ERROR_TYPE, h.DLQ_ERROR_MESSAGE, h.DLQ_SOURCE_TOPIC, h.DLQ_SOURCE_PARTITION,
        h.DLQ_SOURCE_OFFSET, h.DLQ_SERVICE, h.DLQ_CONSUMER, h.DLQ_ATTEMPTS, h.DLQ_FAILED_AT)}
    assert got == {
        h.DLQ_REASON: "gave-up",
        h.DLQ_ERROR_TYPE: "builtins.ConnectionError",
        h.DLQ_ERROR_MESSAGE: "redis is down",
        h.DLQ_SOURCE_TOPIC: "orders.orders",
        h.DLQ_SOURCE_PARTITION: "3",
        h.DLQ_SOURCE_OFFSET: "41",
        h.DLQ_SERVICE: "orders",
        h.DLQ_CONSUMER: "orders.confirm",
        h.DLQ_ATTEMPTS: "6",
        h.DLQ_FAILED_AT: "2026-05-04T09:12:03+00:00",
    }


def test_long_error_messages_are_cut():
    failure = Failure(DeadLetterReason.INVALID, ValueError("x" * 10_000), "c", 1)
    headers = dead_letter_headers(MESSAGE, failure, service="s", failed_at=WHEN)
    assert len(h.header(headers, h.DLQ_ERROR_MESSAGE)) == MAX_ERROR_MESSAGE


class FakeProducer:
    def __init__(self):
        self.sent = []

    async def publish_raw(self, topic, value, *, key=None, headers=()):
        self.sent.append((topic.name, key, value, list(headers)))


async def test_the_publisher_sends_the_original_key_and_bytes_to_the_dead_letter_topic():
    producer = FakeProducer()
    publisher = DeadLetterPublisher(producer, "orders", clock=lambda: WHEN)
    failure = Failure(DeadLetterReason.UNDECODABLE, ValueError("bad"), "orders.confirm", 0)
    await publisher.publish(MESSAGE, failure)
    [(topic, key, value, headers)] = producer.sent
    assert (topic, key, value) == ("orders.orders.dlq", b"o-7", b"\xc3\x01garbage")
    assert headers == dead_letter_headers(MESSAGE, failure, service="orders", failed_at=WHEN)
