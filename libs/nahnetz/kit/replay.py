"""Rebuilds that replay topics themselves (catalog, pickup), instead of leaving
it to a worker in a new consumer group (`nahnetz.kit.rebuild`): reading a topic
from its beginning to its end, and the `--yes` command line around it."""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import AsyncIterator, Awaitable, Callable, TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from ..topics import Topic
from .logs import configure_logging
from .settings import Settings, load_settings

T = TypeVar("T")


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
