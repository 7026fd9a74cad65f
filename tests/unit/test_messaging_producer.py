"""The event producer's pure parts: key, headers, options; no connection before start."""

from __future__ import annotations

import asyncio

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


class RecordingProducer:
    """aiokafka's producer as `publish_all` uses it: `send` queues and returns the ack's future."""

    def __init__(self, fail_on: str | None = None):
        self.fail_on = fail_on
        self.queued: list[tuple[str, bytes]] = []
        self.acks: list[asyncio.Future] = []

    async def send(self, topic, value=None, key=None, headers=None):
        self.queued.append((topic, key))
        ack = asyncio.get_running_loop().create_future()
        self.acks.append(ack)
        return ack

    def acknowledge_all(self) -> None:
        for (topic, key), ack in zip(self.queued, self.acks):
            if key == (self.fail_on or "").encode():
                ack.set_exception(RuntimeError("broker said no"))
            else:
                ack.set_result((topic, key))


async def test_publish_all_queues_every_event_in_order_before_waiting_for_any_acknowledgement():
    producer, fake = EventProducer(NOWHERE), RecordingProducer()
    producer._producer = fake
    events = [new_event(OrderCancelled, producer="test", order_id=f"o-{n}") for n in range(5)]
    publishing = asyncio.create_task(producer.publish_all(events))
    await asyncio.sleep(0)
    # All five are queued (one request can carry them) while none is acknowledged yet.
    assert fake.queued == [(ORDERS_ORDERS.name, f"o-{n}".encode()) for n in range(5)]
    assert not publishing.done()
    fake.acknowledge_all()
    assert [meta[1] for meta in await publishing] == [f"o-{n}".encode() for n in range(5)]


async def test_publish_all_fails_when_one_is_not_acknowledged_but_waits_for_the_others():
    producer, fake = EventProducer(NOWHERE), RecordingProducer(fail_on="o-1")
    producer._producer = fake
    events = [new_event(OrderCancelled, producer="test", order_id=f"o-{n}") for n in range(3)]
    publishing = asyncio.create_task(producer.publish_all(events))
    await asyncio.sleep(0)
    fake.acknowledge_all()
    with pytest.raises(RuntimeError, match="broker said no"):
        await publishing
    assert all(ack.done() for ack in fake.acks)
