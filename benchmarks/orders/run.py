"""Order flow benchmark: orders per second accepted by the orders API and the
placed-to-decided latency of the saga, next to the raw aiokafka rate on the
same broker in the same run.

    .venv/bin/python benchmarks/orders/run.py [--orders 600] [--concurrency 32]

It starts its own embedded stack (`nahnetz.testing.EmbeddedStack`: `nahnetz up
--no-seed --detach`, free ports, a temporary run dir), seeds Kreis Höxter through
the APIs with the demo's client, then:
1. POSTs the orders with `concurrency` clients (bodies prepared beforehand, so
   only the order API is timed) and reads the saga's decisions off
   orders.orders with the test kit's TopicReader: latency = decision time -
   placed time (both stamped by the services on this machine);
2. produces and consumes the same number of OrderPlaced-sized messages with
   aiokafka (the services' producer options: acks=all, one request per message,
   the same concurrency).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform as host
import random
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kafka_baseline import measure, percentile  # noqa: E402

from nahnetz.demo.residents import delivery_day  # noqa: E402
from nahnetz.demo.seeding import seed  # noqa: E402
from nahnetz.records import OrderConfirmed, OrderPlaced, OrderRejected  # noqa: E402
from nahnetz.regions import load_region  # noqa: E402
from nahnetz.testing import EmbeddedStack, TopicReader, eventually  # noqa: E402
from nahnetz.topics import ORDERS_ORDERS  # noqa: E402

DECISIONS = (OrderConfirmed, OrderRejected)


def prepared_orders(seeded, region, day, count: int, rng: random.Random) -> list[dict]:
    """Bodies of `count` orders: 1-3 goods of shops near the resident's home,
    to the nearest pick-up point (computed here, so only the POST is timed)."""
    homes = rng.choices(region.places, [p.population for p in region.places], k=count)
    bodies = []
    for home in homes:
        point = min(region.pickup_points, key=lambda p: math.dist((p.lat, p.lon), (home.lat, home.lon)))
        near = sorted(seeded.products, key=lambda g: math.dist(
            (region_shop(region, g.shop_id).lat, region_shop(region, g.shop_id).lon), (home.lat, home.lon)))[:30]
        basket = rng.sample(near, k=rng.randint(1, 3))
        bodies.append({"lines": [{"product_id": g.product_id, "quantity": 1} for g in basket],
                       "pickup_point_id": point.id, "delivery_day": day.isoformat(),
                       "payment_method": "ONLINE", "channel": "WEB"})
    return bodies


def region_shop(region, shop_id):
    return next(s for s in region.shops if s.id == shop_id)


def saga_times(orders: TopicReader, wanted: set[str]) -> dict[str, dict]:
    """order id -> when it was placed, when first decided and how (the services' own stamps)."""
    seen: dict[str, dict] = {}
    for event in orders.events(ORDERS_ORDERS, where=lambda e: e.order_id in wanted):
        entry = seen.setdefault(event.order_id, {})
        if isinstance(event, OrderPlaced):
            entry["placed"] = event.meta.occurred_at
        elif isinstance(event, DECISIONS) and "decided" not in entry:
            entry["decided"] = event.meta.occurred_at
            entry["outcome"] = event.type
    return seen


async def run(orders: int, concurrency: int) -> None:
    stack = EmbeddedStack(Path(tempfile.mkdtemp(prefix="nahnetz-bench-")), env={"NAHNETZ_LOG_LEVEL": "warning"})
    print(f"starting the embedded stack in {stack.run_dir} ...", flush=True)
    try:
        stack.up()
        platform = stack.platform(timeout=30.0)
        reader = TopicReader(stack.bootstrap, [ORDERS_ORDERS])
        try:
            await reader.start()
            await measure_run(stack, platform, reader, orders, concurrency)
        finally:
            await reader.stop()
            await platform.close()
    finally:
        stack.ensure_down()


async def measure_run(stack: EmbeddedStack, platform, reader: TopicReader, orders: int, concurrency: int) -> None:
    region = load_region("kreis_hoexter")
    seeded = await seed(platform, region, lambda line: None)
    day = await delivery_day(platform)
    bodies = prepared_orders(seeded, region, day, orders, random.Random(7))
    residents = [f"bench-resident-{i:05d}" for i in range(orders)]

    wanted: set[str] = set()
    post_times: list[float] = []
    queue = list(zip(residents, bodies))

    async def client() -> None:
        while queue:
            resident, body = queue.pop()
            headers = platform.token(resident, "resident") | {"Idempotency-Key": str(uuid.uuid4())}
            began = time.perf_counter()
            answer = await platform.clients["orders"].post("/v1/orders", json=body, headers=headers)
            post_times.append(time.perf_counter() - began)
            if answer.status_code != 202:
                raise RuntimeError(f"order refused: {answer.status_code} {answer.text[:200]}")
            wanted.add(answer.json()["order_id"])

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    accepting = time.perf_counter() - began

    def all_decided() -> dict[str, dict] | None:
        seen = saga_times(reader, wanted)
        return seen if all("decided" in seen.get(o, {}) for o in wanted) else None
    seen = await eventually(all_decided, timeout=180, interval=0.05, what=f"all {orders} orders decided")
    all_decided_after = time.perf_counter() - began

    latencies = [(seen[o]["decided"] - seen[o]["placed"]).total_seconds() for o in wanted]
    confirmed = sum(1 for o in wanted if seen[o]["outcome"] == "OrderConfirmed")
    # The baseline sends a real OrderPlaced, so both move the same bytes.
    placed_bytes = reader.seen(ORDERS_ORDERS, OrderPlaced)[0].value
    baseline = await measure(stack.bootstrap, placed_bytes, orders, concurrency)

    api_rate = orders / accepting
    print()
    print(f"machine: {host.machine()}, {os.cpu_count()} cores, {host.processor() or 'cpu'}; "
          f"Python {host.python_version()}; {datetime.now():%Y-%m-%d %H:%M}")
    print(f"load: {orders} orders (1-3 lines each) by {concurrency} concurrent clients; "
          f"{confirmed} confirmed, {orders - confirmed} rejected (stock or compartments ran out)")
    print()
    print(f"{'figure':<46} {'value':>12}")
    print(f"{'orders API: orders accepted per second':<46} {api_rate:>12.1f}")
    print(f"{'orders API: POST latency p50 / p99 (ms)':<46} "
          f"{percentile(post_times, 50) * 1000:>5.0f} / {percentile(post_times, 99) * 1000:<5.0f}")
    print(f"{'saga: placed to decided p50 / p99 (ms)':<46} "
          f"{percentile(latencies, 50) * 1000:>5.0f} / {percentile(latencies, 99) * 1000:<5.0f}")
    print(f"{'saga: all {0} decided after (s)'.format(orders):<46} {all_decided_after:>12.1f}")
    print(f"{'raw aiokafka: produced per second (acks=all)':<46} {baseline.produce_per_s:>12.1f}")
    print(f"{'raw aiokafka: produce+consume per second':<46} {baseline.round_trip_per_s:>12.1f}")
    print(f"{'raw aiokafka: send to receive p50 / p99 (ms)':<46} "
          f"{baseline.latency_p50_ms:>5.0f} / {baseline.latency_p99_ms:<5.0f}")
    print(f"{'ratio: API orders/s / raw produced/s':<46} {api_rate / baseline.produce_per_s:>12.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    asyncio.run(run(args.orders, args.concurrency))


if __name__ == "__main__":
    main()
