"""Publishing events, acknowledged by all replicas.

    async with EventProducer.from_settings(settings, client_id="orders-api") as producer:
        meta = await producer.publish(new_event(OrderCancelled, producer="orders-api", ...))
        metas = await producer.publish_all([confirmed, notification])

`publish` returns only after the broker acknowledged the record (`acks="all"`),
so an API may answer 202 and a handler may commit its input afterwards.
`publish_all` queues several records at once and returns once every one is
acknowledged: they travel in one request where they can (one round trip, not
one per event), records of one partition keep their order, and the caller still
moves on only when all are stored. Requests of concurrent callers (a worker's
partitions are handled side by side) are batched the same way: aiokafka keeps
one request per broker in flight and gathers what comes meanwhile into the next.
Idempotence is off by default: the embedded Tansu broker answers
InitProducerId with an error. Turn it on with NAHNETZ_KAFKA_IDEMPOTENCE=true
on Apache Kafka. Nothing connects before `start()`.
"""

from __future__ import annotations

import asyncio
from typing import Any, Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.structs import RecordMetadata

from ..events import Event
from ..kit.settings import Settings
from ..topics import Topic
from . import headers as h


class ProducerNotStarted(RuntimeError):
    """`publish` was called outside `start()`/`stop()`."""


def event_headers(event: Event) -> h.Headers:
    return [
        (h.EVENT_TYPE, event.type.encode()),
        (h.EVENT_ID, event.event_id.encode()),
        (h.CORRELATION_ID, event.correlation_id.encode()),
    ]


def event_key(event: Event, topic: Topic) -> bytes:
    """The record key: the event's value of the field the topic is keyed by."""
    try:
        value = getattr(event, topic.key)
    except AttributeError:
        raise ValueError(f"{event.type} has no field {topic.key!r}, the key of {topic.name}") from None
    if value is None:
        raise ValueError(f"{event.type}.{topic.key} is empty; {topic.name} needs it as key")
    return str(value).encode()


def _key_bytes(key: bytes | str | None) -> bytes | None:
    return key.encode() if isinstance(key, str) else key


class EventProducer:
    def __init__(self, bootstrap: str, *, idempotence: bool = False, client_id: str = "nahnetz",
                 **aiokafka_options: Any):
        self._options = {
            "bootstrap_servers": bootstrap,
            "client_id": client_id,
            "acks": "all",
            "enable_idempotence": idempotence,
            **aiokafka_options,
        }
        self._producer: AIOKafkaProducer | None = None

    @classmethod
    def from_settings(cls, settings: Settings, *, client_id: str | None = None, **aiokafka_options: Any
                      ) -> "EventProducer":
        return cls(settings.kafka_bootstrap, idempotence=settings.kafka_idempotence,
                   client_id=client_id or settings.service, **aiokafka_options)

    @property
    def options(self) -> dict[str, Any]:
        return dict(self._options)

    @property
    def started(self) -> bool:
        return self._producer is not None

    async def start(self) -> None:
        if self._producer is not None:
            return
        producer = AIOKafkaProducer(**self._options)  # binds to the running loop
        await producer.start()
        self._producer = producer

    async def stop(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()  # flushes what is in flight

    async def __aenter__(self) -> "EventProducer":
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def publish(self, event: Event, *, to: Topic | None = None, key: str | None = None
                      ) -> RecordMetadata:
        """Send `event` to its registry topic (or `to`), keyed by the topic's key
        field (or `key`: a repartition topic keys an order event by one of its
        products); return once the broker acknowledged it."""
        topic = to or event.topic
        record_key = key.encode() if key is not None else event_key(event, topic)
        return await self.publish_raw(topic, event.encode(), key=record_key, headers=event_headers(event))

    async def publish_all(self, events: Sequence[Event], *, to: Topic | None = None,
                          bodies: Sequence[bytes] | None = None) -> list[RecordMetadata]:
        """Send `events` in order (each to its registry topic, or all to `to`) and
        return once every one is acknowledged; `bodies`: their encoded bytes, when
        the caller has them already. If any send fails this raises, after the
        others have finished: the caller must not move on (a retry publishes the
        same events, with the same ids; consumers dedupe on them)."""
        if bodies is not None and len(bodies) != len(events):
            raise ValueError(f"{len(events)} events but {len(bodies)} bodies")
        pending = []
        for n, event in enumerate(events):
            topic = to or event.topic
            body = event.encode() if bodies is None else bodies[n]
            pending.append(await self._send(topic, body, key=event_key(event, topic), headers=event_headers(event)))
        return await _all_acknowledged(pending)

    async def publish_raw(self, topic: Topic, value: bytes | None, *, key: bytes | str | None = None,
                          headers: Sequence[tuple[str, bytes]] = ()) -> RecordMetadata:
        """Send bytes as they are (dead letters keep the original bytes)."""
        return await (await self._send(topic, value, key=key, headers=headers))

    async def publish_raw_all(self, records: Sequence[tuple[Topic, bytes | None, bytes | str | None,
                                                            Sequence[tuple[str, bytes]]]]
                              ) -> list[RecordMetadata]:
        """`publish_raw` for several (topic, value, key, headers) at once, like `publish_all`."""
        pending = [await self._send(topic, value, key=key, headers=headers) for topic, value, key, headers in records]
        return await _all_acknowledged(pending)

    async def _send(self, topic: Topic, value: bytes | None, *, key: bytes | str | None,
                    headers: Sequence[tuple[str, bytes]]) -> "asyncio.Future[RecordMetadata]":
        """Queue one record (in call order); the future is its acknowledgement."""
        if self._producer is None:
            raise ProducerNotStarted("EventProducer.start() was not called (or stop() was)")
        return await self._producer.send(topic.name, value=value, key=_key_bytes(key),
                                         headers=list(headers) or None)


async def _all_acknowledged(pending: Sequence["asyncio.Future[RecordMetadata]"]) -> list[RecordMetadata]:
    # Wait for every one, also when one fails, so nothing is left in flight unobserved.
    results = await asyncio.gather(*pending, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return list(results)
