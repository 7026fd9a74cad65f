"""The event producer's pure parts: key, headers, options; no connection before start."""

from __future__ import annotations

import pytest

from nahnetz.events import new_event
from nahnetz.records import OrderCancelled
from nahnetz.kit.settings import Settings
from nahnetz.messaging import headers as h
from nahnetz.messaging.producer import EventProducer, ProducerNotStarted, event_headers, event_key
from nahnetz.topics import ORDERS_ORDERS, Topic

# Nothing listens here: constructing must not try.
NOWHERE = "127.0.0.1:9"


def settings(**env) -> Settings:
    return Settings(KAFKA_BOOTSTRAP=NOWHERE, REDIS_URL="redis://127.0.0.1:9/0", **env)


def test_headers_carry_the_event_type_and_ids():
    event = new_event(OrderCancelled, producer="test", order_id="o-1")
    headers = event_headers(event)
    assert h.header(headers, h.EVENT_TYPE) == "OrderCancelled"
    assert h.header(headers, h.EVENT_ID) == event.event_id
    assert h.header(headers, h.CORRELATION_ID) == event.correlation_id


def test_the_key_is_the_field_the_topic_is_keyed_by():
    event = new_event(OrderCancelled, producer="test", order_id="o-42")
    assert event_key(event, ORDERS_ORDERS) == b"o-42"
    with pytest.raises(ValueError, match="no field 'shop_id'"):
        event_key(event, Topic("x", "shop_id", "catalog", ()))


def test_acks_all_and_idempotence_follow_the_settings():
    off = EventProducer.from_settings(settings())
    on = EventProducer.from_settings(settings(NAHNETZ_KAFKA_IDEMPOTENCE="true"), client_id="orders-api")
    assert off.options["acks"] == "all" and off.options["enable_idempotence"] is False
    assert on.options["enable_idempotence"] is True and on.options["client_id"] == "orders-api"
    assert not off.started


async def test_publishing_before_start_fails_clearly():
    producer = EventProducer(NOWHERE)
    with pytest.raises(ProducerNotStarted):
        await producer.publish(new_event(OrderCancelled, producer="test", order_id="o-1"))
