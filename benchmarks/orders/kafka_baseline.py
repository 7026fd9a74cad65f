"""The broker's own rate, the order flow is compared with: aiokafka alone on the
same broker in the same run, done well.

- the producer batches: `acks="all"` like the services, a short linger and big
  batches, and sends are queued without awaiting each acknowledgement (at most
  `WINDOW` unacknowledged, all awaited at the end), so one request carries many
  records;
- the consumer asks with a short fetch wait and takes large fetches in
  `getmany` batches, in a consumer group with the workers' group timeouts.

The figure is messages per second produced and consumed (first send to last
receive), with each message's send -> receive latency.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from nahnetz.messaging.faust_app import DEV_HEARTBEAT_INTERVAL, DEV_SESSION_TIMEOUT

LINGER_MS = 5
BATCH_BYTES = 512 * 1024
FETCH_WAIT_MS = 10
FETCH_BYTES = 4 * 1024 * 1024
WINDOW = 20_000  # unacknowledged sends at most


@dataclass(frozen=True)
class BaselineResult:
    messages: int
    size: int
    linger_ms: int
    fetch_wait_ms: int
    produce_per_s: float
    round_trip_per_s: float
    latency_p50_ms: float
    latency_p99_ms: float
    load: str
    paced_rate: float = 0.0
    paced_p50_ms: float = float("nan")
    paced_p99_ms: float = float("nan")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


async def measure(bootstrap: str, payload: bytes, messages: int, paced_rate: float = 50.0,
                  paced_seconds: float = 5.0) -> BaselineResult:
    """Produce `messages` copies of `payload` (keys spread over 6 partitions, like
    orders) as fast as it goes while one consumer reads them back; then one hop's
    latency at a light, paced load (`paced_rate` messages a second, each awaited)."""
    topic = f"bench.baseline.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=6, replication_factor=1)])
    finally:
        await admin.close()

    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=f"{topic}-reader", auto_offset_reset="earliest",
        fetch_max_wait_ms=FETCH_WAIT_MS, max_partition_fetch_bytes=FETCH_BYTES, fetch_max_bytes=4 * FETCH_BYTES,
        session_timeout_ms=int(DEV_SESSION_TIMEOUT * 1000), heartbeat_interval_ms=int(DEV_HEARTBEAT_INTERVAL * 1000),
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, client_id="bench-baseline", acks="all",
                                linger_ms=LINGER_MS, max_batch_size=BATCH_BYTES)
    await consumer.start()
    await producer.start()
    sent_at: dict[bytes, float] = {}
    latencies: list[float] = []
    done = asyncio.Event()

    async def read() -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=100, max_records=10_000)
            now = time.perf_counter()
            for records in batches.values():
                for record in records:
                    started = sent_at.get(record.key)
                    if started is not None:
                        latencies.append(now - started)
            if len(latencies) >= messages:
                done.set()
                return

    reader = asyncio.create_task(read())
    # The consumer's first join takes a few seconds; wait for its assignment
    # so the measured window holds only produce and consume.
    while not consumer.assignment():
        await asyncio.sleep(0.05)

    began = time.perf_counter()
    window: list[asyncio.Future] = []
    for n in range(messages):
        key = f"k{n}".encode()
        sent_at[key] = time.perf_counter()
        window.append(await producer.send(topic, payload, key=key))
        if len(window) >= WINDOW:
            await asyncio.gather(*window)
            window = []
    await asyncio.gather(*window)
    produced = time.perf_counter() - began
    await asyncio.wait_for(done.wait(), timeout=300)
    round_trip = time.perf_counter() - began
    one, five, _ = os.getloadavg()
    reader.cancel()

    # One hop at a light load: what a message waits on this broker when little is going on.
    bulk = list(latencies)
    latencies.clear()
    sent_at.clear()
    paced = int(paced_rate * paced_seconds)
    done.clear()
    messages_before, messages = messages, paced
    reader = asyncio.create_task(read())
    start = time.perf_counter()
    for n in range(paced):
        delay = start + n / paced_rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        key = f"p{n}".encode()
        sent_at[key] = time.perf_counter()
        await (await producer.send(topic, payload, key=key))
    await asyncio.wait_for(done.wait(), timeout=60)
    reader.cancel()
    paced_latencies, latencies[:] = list(latencies), bulk
    messages = messages_before
    await producer.stop()
    await consumer.stop()
    return BaselineResult(
        messages=messages, size=len(payload), linger_ms=LINGER_MS, fetch_wait_ms=FETCH_WAIT_MS,
        produce_per_s=messages / produced,
        round_trip_per_s=messages / round_trip,
        latency_p50_ms=percentile(latencies, 50) * 1000,
        latency_p99_ms=percentile(latencies, 99) * 1000,
        load=f"load average {one:.1f} (5 min {five:.1f})",
        paced_rate=paced_rate, paced_p50_ms=percentile(paced_latencies, 50) * 1000,
        paced_p99_ms=percentile(paced_latencies, 99) * 1000,
    )
