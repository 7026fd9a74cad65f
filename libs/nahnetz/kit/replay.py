"""Rebuilds that replay topics themselves (catalog, pickup, freight, insights, notify),
instead of leaving it to a worker in a new consumer group (`nahnetz.kit.rebuild`):
reading a topic from its beginning to its end, applying its events as the worker
would (what the worker dead-letters is skipped), and the `--yes` command line around it."""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Awaitable, Callable, TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from ..avro.errors import EventDecodeError
from ..events import Event, read_event
from ..topics import Topic
from .logs import configure_logging
from .settings import Settings, load_settings

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Replayed:
    """What a rebuild replayed: the events applied, by topic, and those skipped
    (records that are no event, events the worker dead-letters)."""

    counts: dict[str, int] = field(default_factory=dict)
    skipped: int = 0

    async def apply(self, topic: str, handle: Callable[[Event], Awaitable[Any]], event: Event,
                    skip: type[BaseException] | tuple[type[BaseException], ...] = Exception) -> None:
        """`handle(event)`, counted for `topic`; an error of the kinds in `skip` (the worker
        dead-lettered that event) is logged and counted as skipped."""
        self.counts.setdefault(topic, 0)
        try:
            await handle(event)
        except skip as exc:
            log.warning("skipped %s %s: %s", event.type, event.event_id, exc)
            self.skipped += 1
            return
        self.counts[topic] += 1

    def report(self) -> None:
        for name, count in self.counts.items():
            print(f"{name}: {count} events replayed")
        print(f"skipped: {self.skipped}")


async def read_topic(bootstrap: str, topic: Topic, timeout: float = 120.0) -> tuple[list[Event], int]:
    """Every event of `topic` to its end, and the number of records that are no event
    (they went to the dead letters when first read)."""
    events: list[Event] = []
    skipped = 0
    async for record in replay(bootstrap, topic, timeout=timeout):
        try:
            events.append(read_event(record.value))
        except EventDecodeError:
            skipped += 1
    return events, skipped


async def replay(bootstrap: str, topic: Topic, *, timeout: float = 120.0) -> AsyncIterator[ConsumerRecord]:
    """Every record of `topic`, partition by partition in offset order, up to the
    high-water mark seen on the way (the fetch's mark: Tansu's ListOffsets for
    "latest" is off). No consumer group: nothing is committed."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic.name, p) for p in sorted(consumer.partitions_for_topic(topic.name) or ())]
        if not partitions:
            return
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        deadline = time.monotonic() + timeout
        while True:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    yield record
            if await _at_end(consumer, partitions):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{topic.name}: not read to its end within {timeout:.0f} s")
    finally:
        await consumer.stop()


async def _at_end(consumer: AIOKafkaConsumer, partitions: list[TopicPartition]) -> bool:
    for tp in partitions:
        mark = consumer.highwater(tp)
        if mark is None or await consumer.position(tp) < mark:
            return False
    return True


def replay_command(doc: str, service: str, what: str, rebuild: Callable[[Settings], Awaitable[T]]) -> T:
    """The `python -m services.<name>.rebuild --yes` entry point: refuses without
    --yes, then runs `rebuild` with the shared settings and the service's logging
    and returns what it counted."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--yes", action="store_true", help=f"really delete and rebuild {what}")
    if not parser.parse_args().yes:
        raise SystemExit(f"this deletes {what} in Redis and replays the topics; run again with --yes")
    settings = load_settings()
    configure_logging(service, settings.log_level)
    return asyncio.run(rebuild(settings))
