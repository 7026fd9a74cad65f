"""The raw broker rate the order flow is compared with: aiokafka producing with
the services' producer options (`acks=all`, one message per request, like the
API does) and a consumer with the workers' group timeouts reading them back, on
the same broker in the same run."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from nahnetz.messaging.faust_app import DEV_HEARTBEAT_INTERVAL, DEV_SESSION_TIMEOUT
from nahnetz.testing import raw_producer


@dataclass(frozen=True)
class BaselineResult:
    messages: int
    produce_per_s: float
    round_trip_per_s: float
    latency_p50_ms: float
    latency_p99_ms: float


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


async def measure(bootstrap: str, payload: bytes, messages: int, concurrency: int) -> BaselineResult:
    """Produce `messages` copies of `payload` with `concurrency` senders awaiting
    each acknowledgement, while one consumer reads them; latency is send-to-receive."""
    topic = f"bench.baseline.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=6, replication_factor=1)])
    finally:
        await admin.close()

    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=f"{topic}-reader", auto_offset_reset="earliest",
        session_timeout_ms=int(DEV_SESSION_TIMEOUT * 1000), heartbeat_interval_ms=int(DEV_HEARTBEAT_INTERVAL * 1000),
    )
    producer = raw_producer(bootstrap, client_id="bench-baseline")  # EventProducer's options
    await consumer.start()
    await producer.start()
    sent_at: dict[bytes, float] = {}
    latencies: list[float] = []
    done = asyncio.Event()

    async def read() -> None:
        async for record in consumer:
            started = sent_at.get(record.key)
            if started is not None:
                latencies.append(time.perf_counter() - started)
            if len(latencies) >= messages:
                done.set()
                return

    reader = asyncio.create_task(read())
    # The consumer's first join takes a few seconds; wait for its assignment
    # so the measured window holds only produce and consume.
    while not consumer.assignment():
        await asyncio.sleep(0.05)

    queue = list(range(messages))

    async def send() -> None:
        while queue:
            n = queue.pop()
            key = f"k{n}".encode()
            sent_at[key] = time.perf_counter()
            await producer.send_and_wait(topic, payload, key=key)

    began = time.perf_counter()
    await asyncio.gather(*(send() for _ in range(concurrency)))
    produced = time.perf_counter() - began
    await asyncio.wait_for(done.wait(), timeout=120)
    round_trip = time.perf_counter() - began
    reader.cancel()
    await producer.stop()
    await consumer.stop()
    return BaselineResult(
        messages=messages,
        produce_per_s=messages / produced,
        round_trip_per_s=messages / round_trip,
        latency_p50_ms=percentile(latencies, 50) * 1000,
        latency_p99_ms=percentile(latencies, 99) * 1000,
    )
