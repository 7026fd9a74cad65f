"""Wait until every worker has handled everything on its topics.

A simulation moves the platform's clock in jumps; a worker that handles an event
after a jump stamps what it derives with the new time (an order collected on
Thursday would count on Friday). So before each jump the simulation waits until
each worker's consumer group has committed every record of its partitions, and
the topics' ends stood still while it looked (a handled event may have caused
another). Each worker's /readyz names its group and partitions.
"""

from __future__ import annotations

import asyncio
import time
from typing import Iterable

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from .client import DemoError

POLL_S = 0.25


async def _groups(worker_urls: Iterable[str]) -> dict[str, set[TopicPartition]]:
    """group id -> the partitions its instances hold (from each worker's /readyz)."""
    groups: dict[str, set[TopicPartition]] = {}
    async with httpx.AsyncClient(timeout=5.0) as client:
        answers = await asyncio.gather(*(client.get(f"{url.rstrip('/')}/readyz") for url in worker_urls))
    for answer in answers:
        doc = answer.json()
        if "group" not in doc:
            raise DemoError(f"{answer.url} does not name its consumer group: a worker older than this command "
                            f"(restart the stack)")
        for name in doc.get("partitions", []):
            topic, _, partition = name.rpartition("[")
            groups.setdefault(doc["group"], set()).add(TopicPartition(topic, int(partition.rstrip("]"))))
    return groups


async def settled(bootstrap: str, worker_urls: list[str], timeout: float = 120.0) -> float:
    """Return (the seconds it took) once every group has committed its partitions to their ends."""
    began = time.monotonic()
    if not worker_urls:
        return 0.0
    groups = await _groups(worker_urls)
    # In each group only to read its committed offsets: never joining, nothing assigned (an
    # assigned consumer starts fetching its partitions, which made every look take seconds).
    consumers = {group: AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
                 for group in groups}
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)   # the topics' ends
    await asyncio.gather(reader.start(), *(c.start() for c in consumers.values()))
    try:
        every = sorted({tp for tps in groups.values() for tp in tps})
        last_ends = None
        done: dict[tuple[str, TopicPartition], int] = {}   # committed up to this end already: not asked again
        while time.monotonic() - began < timeout:
            ends = await reader.end_offsets(every)
            behind = [await _behind(group, consumer, groups[group], ends, done)
                      for group, consumer in consumers.items()]
            if not any(behind) and ends == last_ends:
                return time.monotonic() - began
            last_ends = ends
            await asyncio.sleep(POLL_S)
        late = [b for b in behind if b]
        raise DemoError(f"the workers did not catch up within {timeout:.0f} s: {', '.join(late)}")
    finally:
        await asyncio.gather(reader.stop(), *(c.stop() for c in consumers.values()))


async def _behind(group: str, consumer: AIOKafkaConsumer, partitions: set[TopicPartition],
                  ends: dict[TopicPartition, int], done: dict[tuple[str, TopicPartition], int]) -> str:
    """'' when the group has committed every partition to its end, else what it lags on.
    A partition whose end has not moved since the group was seen at it is not asked again
    (one request per partition: asking all of them at every look was most of the wait)."""
    for tp in sorted(partitions):
        if done.get((group, tp)) == ends[tp]:
            continue
        if (await consumer.committed(tp) or 0) < ends[tp]:
            return f"{group} on {tp.topic}[{tp.partition}]"
        done[(group, tp)] = ends[tp]
    return ""
