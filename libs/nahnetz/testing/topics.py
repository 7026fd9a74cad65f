"""Reading what lands on topics, the way a test looks at it.

    async with TopicReader(bootstrap, [ORDERS_ORDERS, ORDERS_ORDERS.dlq]) as orders:
        ...                                           # cause something
        confirmed = await orders.wait_for(ORDERS_ORDERS, OrderConfirmed, order_id=order_id)
        confirmed.compartment_ids                     # a typed OrderConfirmed
        await orders.caught_up()                      # everything on the topics now was read
        assert len(orders.events(ORDERS_ORDERS, OrderConfirmed, order_id=order_id)) == 1
        assert orders.dead_letters(keys={order_id}) == []

The reader assigns itself every partition of its topics and reads them from the
beginning in the background (no consumer group, so there is no join to wait for),
keeping every record with its event decoded when it is one. Filters take the topic
(a `Topic` or its name), the event type (the generated class or its name) and
field values (`order_id=...`), a record key (`key=...`) or any predicate
(`where=lambda event: ...`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Callable, Iterable, TypeVar, overload

from aiokafka import AIOKafkaConsumer, TopicPartition

from ..events import Event, read_event
from ..messaging.dead_letter import dead_letter_topic
from ..topics import DLQ_SUFFIX, Topic
from .waiting import EFFECT, Watched, eventually

E = TypeVar("E", bound=Event)
TopicRef = Topic | str
EventType = type[Event] | str
_MISSING = object()
# Metadata of a topic created a moment ago may take a few requests to show up.
METADATA_WAIT = 15.0


@dataclass(frozen=True)
class Seen:
    """One record as it came off the broker, with its event when it decodes as one."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]
    timestamp_ms: int | None
    event: Event | None

    def header(self, name: str) -> str | None:
        return next((v.decode(errors="replace") for k, v in self.headers if k == name), None)

    @property
    def key_text(self) -> str | None:
        return None if self.key is None else self.key.decode(errors="replace")


def _name(topic: TopicRef) -> str:
    return topic.name if isinstance(topic, Topic) else topic


def _type_name(event_type: EventType) -> str:
    return event_type if isinstance(event_type, str) else event_type.__name__


def _decode(value: bytes | None) -> Event | None:
    if not value:
        return None
    try:
        return read_event(value)
    except Exception:  # not an event (a corrupt record, a test's garbage): kept as bytes
        return None


class TopicReader:
    def __init__(self, bootstrap: str, topics: Iterable[TopicRef], *, dead_letters: bool = False):
        """Read `topics` (and, with `dead_letters`, the `.dlq` topic of each)."""
        topics = list(topics)
        names = [_name(t) for t in topics]
        if dead_letters:
            names += [dead_letter_topic(t).name for t in topics]
        self.bootstrap = bootstrap
        self.topics = list(dict.fromkeys(names))
        self.records: list[Seen] = []
        self.polls = 0
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task | None = None

    # -- lifecycle -------------------------------------------------------------------
    async def start(self) -> "TopicReader":
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False,
                                    auto_offset_reset="earliest", max_partition_fetch_bytes=4 * 1024 * 1024)
        await consumer.start()
        try:
            partitions = await self._partitions(consumer)
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
        except BaseException:
            await consumer.stop()
            raise
        self._consumer = consumer
        self._task = asyncio.create_task(self._run(), name=f"topic-reader:{','.join(self.topics)}")
        return self

    async def _partitions(self, consumer: AIOKafkaConsumer) -> list[TopicPartition]:
        async def known() -> dict[str, set[int]] | None:
            await consumer.topics()  # refreshes the metadata of every topic
            found = {t: consumer.partitions_for_topic(t) for t in self.topics}
            return found if all(found.values()) else None

        try:
            found = await eventually(known, timeout=METADATA_WAIT, interval=0.2,
                                     what=f"partitions of {self.topics}")
        except AssertionError:
            missing = [t for t in self.topics if not consumer.partitions_for_topic(t)]
            raise AssertionError(f"no such topic(s) {missing} on {self.bootstrap}: create them first") from None
        return [TopicPartition(t, p) for t in self.topics for p in sorted(found[t])]

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            await consumer.stop()

    async def __aenter__(self) -> "TopicReader":
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _run(self) -> None:
        assert self._consumer is not None
        while True:
            batches = await self._consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for r in records:
                    self.records.append(Seen(r.topic, r.partition, r.offset, r.key, r.value,
                                             tuple(r.headers or ()), r.timestamp, _decode(r.value)))
            self.polls += 1

    def _check_running(self) -> None:
        """A reader that died (the broker went away) says so, instead of letting waits time out."""
        task = self._task
        if task is not None and task.done() and not task.cancelled() and task.exception() is not None:
            raise RuntimeError(f"the reader of {self.topics} stopped") from task.exception()

    # -- what was seen -----------------------------------------------------------------
    def seen(self, topic: TopicRef | None = None, event_type: EventType | None = None, *,
             key: str | bytes | None = None, where: Callable[[Any], bool] | None = None,
             **fields: Any) -> list[Seen]:
        """Records on `topic` (all topics if None); with an event type, field values or
        `where`, only those whose event matches."""
        self._check_running()
        name = None if topic is None else _name(topic)
        wanted_type = None if event_type is None else _type_name(event_type)
        wanted_key = key.encode() if isinstance(key, str) else key
        filters_event = wanted_type is not None or where is not None or bool(fields)
        found = []
        for record in self.records:
            if name is not None and record.topic != name:
                continue
            if wanted_key is not None and record.key != wanted_key:
                continue
            event = record.event
            if filters_event:
                if event is None or (wanted_type is not None and event.type != wanted_type):
                    continue
                if any(getattr(event, k, _MISSING) != v for k, v in fields.items()):
                    continue
                if where is not None and not where(event):
                    continue
            found.append(record)
        return found

    @overload
    def events(self, topic: TopicRef | None, event_type: type[E], *, key: str | bytes | None = ...,
               where: Callable[[E], bool] | None = ..., **fields: Any) -> list[E]: ...

    @overload
    def events(self, topic: TopicRef | None = ..., event_type: str | None = ..., *,
               key: str | bytes | None = ..., where: Callable[[Any], bool] | None = ...,
               **fields: Any) -> list[Event]: ...

    def events(self, topic=None, event_type=None, *, key=None, where=None, **fields):
        """The events of the matching records, in the order they were read."""
        return [r.event for r in self.seen(topic, event_type, key=key, where=where, **fields)
                if r.event is not None]

    def dead_letters(self, topic: TopicRef | None = None, *, keys: Iterable[str] | None = None) -> list[Seen]:
        """Records on dead-letter topics (of `topic`, or of all read), with a key among `keys`."""
        name = None if topic is None else dead_letter_topic(topic).name
        wanted = None if keys is None else {k.encode() for k in keys}
        self._check_running()
        return [r for r in self.records if r.topic.endswith(DLQ_SUFFIX) and (name is None or r.topic == name)
                and (wanted is None or r.key in wanted)]

    # -- waiting -------------------------------------------------------------------------
    @overload
    async def wait_for(self, topic: TopicRef, event_type: type[E], *, timeout: float = ...,
                       watch: Iterable[Watched] = ..., key: str | bytes | None = ...,
                       where: Callable[[E], bool] | None = ..., **fields: Any) -> E: ...

    @overload
    async def wait_for(self, topic: TopicRef, event_type: str | None = ..., *, timeout: float = ...,
                       watch: Iterable[Watched] = ..., key: str | bytes | None = ...,
                       where: Callable[[Any], bool] | None = ..., **fields: Any) -> Event: ...

    async def wait_for(self, topic, event_type=None, *, timeout=EFFECT, watch=(), key=None, where=None,
                       **fields):
        """The first matching event, once there is one."""
        record = await self.wait_for_record(topic, event_type, timeout=timeout, watch=watch, key=key,
                                            where=where, **fields)
        return record.event

    async def wait_for_record(self, topic: TopicRef, event_type: EventType | None = None, *,
                              timeout: float = EFFECT, watch: Iterable[Watched] = (),
                              key: str | bytes | None = None, where: Callable[[Any], bool] | None = None,
                              **fields: Any) -> Seen:
        """The first matching record, once there is one."""
        def first() -> Seen | None:
            found = self.seen(topic, event_type, key=key, where=where, **fields)
            return found[0] if found else None

        what = " ".join(filter(None, [event_type and _type_name(event_type), fields and str(fields),
                                      key and f"key {key!r}"])) or "a record"
        return await eventually(first, timeout=timeout, watch=watch, what=f"{what} on {_name(topic)}")

    async def wait_for_count(self, topic: TopicRef, count: int, event_type: EventType | None = None, *,
                             timeout: float = EFFECT, watch: Iterable[Watched] = (),
                             key: str | bytes | None = None, where: Callable[[Any], bool] | None = None,
                             **fields: Any) -> list[Any]:
        """At least `count` matching events (all found, in order), once there are."""
        def enough() -> list[Any] | None:
            found = self.events(topic, event_type, key=key, where=where, **fields)
            return found if len(found) >= count else None

        name = _type_name(event_type) if event_type else "events"
        return await eventually(enough, timeout=timeout, watch=watch,
                                what=f"{count} x {name} {fields or ''} on {_name(topic)}")

    async def caught_up(self, timeout: float = EFFECT) -> None:
        """Return once everything on the topics at this moment has been read: two polls
        after now, and every partition's position at its fetched high-water mark.
        (Tansu's ListOffsets for "latest" is off, so end offsets are not asked.)"""
        consumer = self._consumer
        if consumer is None:
            raise RuntimeError("TopicReader.start() was not called")
        start = self.polls

        async def done() -> bool:
            if self.polls < start + 2:
                return False
            for tp in consumer.assignment():
                highwater = consumer.highwater(tp)
                if highwater is None or await consumer.position(tp) < highwater:
                    return False
            return True

        await eventually(done, timeout=timeout, what=f"the reader of {self.topics} caught up")


async def group_committed_to_end(bootstrap: str, group: str, topics: Iterable[TopicRef], *,
                                 timeout: float = EFFECT, watch: Iterable[Watched] = ()) -> None:
    """Return once the consumer group `group` has committed every record on `topics` so far:
    a worker of that group stopped now and started again reads nothing it has handled."""
    names = [_name(t) for t in topics]
    # In the group only to read its committed offsets: it assigns partitions, it never joins.
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()  # the metadata, so the partitions are known
        partitions = [TopicPartition(t, p) for t in names for p in sorted(consumer.partitions_for_topic(t) or ())]
        if not partitions:
            raise AssertionError(f"no partitions for {names} on {bootstrap}: create the topics first")
        consumer.assign(partitions)

        async def committed() -> bool:
            ends = await consumer.end_offsets(partitions)
            for tp in partitions:
                if (await consumer.committed(tp) or 0) < ends[tp]:
                    return False
            return True

        await eventually(committed, timeout=timeout, watch=watch, what=f"group {group} committed {names} to the end")
    finally:
        await consumer.stop()
