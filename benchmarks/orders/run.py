"""Order flow benchmark: latency at everyday load, saga throughput with one and two
instances of each worker, and a well-tuned aiokafka baseline on the same broker,
in one run, next to the targets of issue #10.

    .venv/bin/python benchmarks/orders/run.py            # the full run (5-10 minutes)
    .venv/bin/python benchmarks/orders/run.py --quick    # a smoke run (about 2 minutes)

It starts its own embedded stack (`nahnetz up --no-seed --detach` on free ports in
a temporary run dir, `nahnetz.testing.EmbeddedStack`), seeds Kreis Höxter through
the APIs, then:

(a) everyday load: orders POSTed to the orders API by an open loop, one every
    1/rate seconds by the clock (a slow answer does not hold the next order back),
    for `--seconds`; placed -> confirmed from the services' own stamps
    (OrderPlaced's and OrderConfirmed's `occurred_at`, all on this machine), and
    as a client sees it: POST sent -> decision read off orders.orders;
(b) saga throughput: OrderPlaced events as the orders API wrote them in (a), each
    with a new order id, put on orders.orders by the clock at each of `--rates`
    in turn for `--burst` seconds, until a rate is not kept up with (every order
    decided and p99 <= 2 s); decided per second
    (orders / first placed -> last decided), placed -> decided p50/p99, the Kafka
    records the flow wrote per order, and the CPU seconds each process spent;
(c) baseline: aiokafka alone on the same broker, done well: a batching producer
    (acks=all, linger, big batches, sends not awaited one by one) and a consumer
    with a short fetch wait and large fetches, moving the same OrderPlaced bytes;
    messages per second and send -> receive latency; the order flow against it;
(d) (b) again on a second stack started with `--instances 2`: two instances of
    every worker in each consumer group.

The load average is printed with each part: other work on the machine slows
every figure, so read them together.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import math
import os
import platform as host
import random
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from datetime import time as dt_time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kafka_baseline import BaselineResult, measure, percentile  # noqa: E402

import httpx  # noqa: E402
from aiokafka import AIOKafkaConsumer, TopicPartition  # noqa: E402

from nahnetz.demo.residents import delivery_day  # noqa: E402
from nahnetz.demo.seeding import seed  # noqa: E402
from nahnetz.demo.settle import settled as demo_settled  # noqa: E402
from nahnetz.events import read_event  # noqa: E402
from nahnetz.messaging.producer import EventProducer  # noqa: E402
from nahnetz.records import OrderConfirmed, OrderPlaced, OrderRejected  # noqa: E402
from nahnetz.regions import load_region  # noqa: E402
from nahnetz.testing import EmbeddedStack, TopicReader, eventually  # noqa: E402
from nahnetz.topics import (CATALOG_STOCK_REQUESTS, CATALOG_STOCK_RESERVATIONS, ORDERS_ORDERS,  # noqa: E402
                            PICKUP_RESERVATION_REQUESTS, PICKUP_RESERVATIONS)

DECISIONS = (OrderConfirmed, OrderRejected)
FLOW = (ORDERS_ORDERS, CATALOG_STOCK_REQUESTS, CATALOG_STOCK_RESERVATIONS, PICKUP_RESERVATION_REQUESTS,
        PICKUP_RESERVATIONS)
OPERATOR = "bench-operator"

# Issue #10's targets on the 2-core embedded stack.
TARGET_P50_MS, TARGET_P99_MS = 150, 500
TARGET_RATE, TARGET_RATE_P99_S = 500, 2.0


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (5 min {five:.1f})"


# -- orders -------------------------------------------------------------------------------
def region_shop(region, shop_id):
    return next(s for s in region.shops if s.id == shop_id)


# The hub collects a shop's goods on the delivery day itself when the shop opens
# before then (services/orders/domain/collection_days.py); such days are always bookable.
LATEST_COLLECTION = dt_time(15, 0)


def collectable(shop, day: date) -> bool:
    return any(i.weekday == day.isoweekday() and i.opens < LATEST_COLLECTION for i in shop.opening_hours)


def prepared_orders(seeded, region, days: list[date], count: int, rng: random.Random) -> list[dict]:
    """Bodies of `count` orders: 1-3 goods of shops near the resident's home, to the
    nearest pick-up point, on one of `days` every shop of the basket can make (spread
    over the days, so the compartments last longer); computed here, so only the POST
    is timed."""
    homes = rng.choices(region.places, [p.population for p in region.places], k=count)
    shops = {s.id: s for s in region.shops}
    bodies = []
    for home in homes:
        point = min(region.pickup_points, key=lambda p: math.dist((p.lat, p.lon), (home.lat, home.lon)))
        near = sorted(seeded.products, key=lambda g: math.dist(
            (shops[g.shop_id].lat, shops[g.shop_id].lon), (home.lat, home.lon)))[:30]
        basket = rng.sample(near, k=rng.randint(1, 3))
        possible = [d for d in days if all(collectable(shops[g.shop_id], d) for g in basket)] or days[:1]
        bodies.append({"lines": [{"product_id": g.product_id, "quantity": 1} for g in basket],
                       "pickup_point_id": point.id, "delivery_day": rng.choice(possible).isoformat(),
                       "payment_method": "ONLINE", "channel": "WEB"})
    return bodies


async def settled(stack: EmbeddedStack, timeout: float = 120.0) -> None:
    """Wait until the stack has worked off the seeding: every worker's consumer group has
    committed its partitions to their ends (the demo's check), then a moment for what
    the handlers do after a commit (markers emptied, timers). A fixed CPU level would
    not do: the idle stack's own use differs by machine and by the number of instances
    (0.4 to 0.7 of a core with one of each worker, the broker answering empty fetches)."""
    workers = [p.url for p in stack.state().processes if p.kind == "worker"]
    await demo_settled(stack.bootstrap, workers, timeout=timeout)
    await asyncio.sleep(2.0)


@dataclass
class Saga:
    placed: datetime | None = None
    decided: datetime | None = None
    outcome: str | None = None
    seen_decided: float | None = None  # perf_counter when the reader had the decision


class SagaWatch:
    """Reads orders.orders as a client would (its own consumer, a short fetch wait):
    when each wanted order was placed and first decided, by the services' stamps,
    and when the decision arrived here."""

    def __init__(self, bootstrap: str):
        self.bootstrap = bootstrap
        self.sagas: dict[str, Saga] = {}
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task | None = None

    async def start(self) -> "SagaWatch":
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False,
                                    fetch_max_wait_ms=20, max_partition_fetch_bytes=4 * 1024 * 1024)
        await consumer.start()
        partitions = [TopicPartition(ORDERS_ORDERS.name, p) for p in range(ORDERS_ORDERS.partitions)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        self._consumer = consumer
        self._task = asyncio.create_task(self._run())
        return self

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._consumer is not None:
            await self._consumer.stop()

    def want(self, order_id: str) -> None:
        self.sagas.setdefault(order_id, Saga())

    async def _run(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=50, max_records=5000)
            now = time.perf_counter()
            for records in batches.values():
                for record in records:
                    if not record.key or not record.value:
                        continue
                    # Every order is kept: its OrderPlaced may be read before its POST returns.
                    saga = self.sagas.setdefault(record.key.decode(), Saga())
                    event = read_event(record.value)
                    if isinstance(event, OrderPlaced):
                        saga.placed = event.meta.occurred_at
                    elif isinstance(event, DECISIONS) and saga.decided is None:
                        saga.decided, saga.outcome, saga.seen_decided = event.meta.occurred_at, event.type, now

    def undecided(self, order_ids) -> list[str]:
        return [o for o in order_ids
                if o not in self.sagas or self.sagas[o].decided is None or self.sagas[o].placed is None]


async def all_decided(watch: SagaWatch, order_ids: list[str], timeout: float) -> None:
    def done() -> bool:
        return not watch.undecided(order_ids)
    await eventually(done, timeout=timeout, interval=0.05, what=f"all {len(order_ids)} orders decided")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


# -- (a) everyday load -------------------------------------------------------------------
@dataclass
class Everyday:
    rate: float
    seconds: float
    offered: int
    confirmed_ms: list[float]
    decided_ms: list[float]
    client_ms: list[float]
    post_ms: list[float]
    late_starts: int
    load: str
    templates: list[OrderPlaced] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


async def everyday(platform, watch: SagaWatch, reader: TopicReader, bodies: list[dict], rate: float,
                   seconds: float) -> Everyday:
    count = int(rate * seconds)
    bodies = bodies[:count]
    posted: dict[str, float] = {}
    post_ms: list[float] = []
    refused: list[str] = []
    late = 0
    client = platform.clients["orders"]

    async def post(n: int, body: dict) -> None:
        headers = platform.token(f"bench-resident-{n:05d}", "resident") | {"Idempotency-Key": str(uuid.uuid4())}
        began = time.perf_counter()
        try:
            answer = await client.post("/v1/orders", json=body, headers=headers)
        except httpx.HTTPError as exc:  # counted, not fatal: the figures say how many
            refused.append(f"{type(exc).__name__}: {exc}")
            return
        post_ms.append(time.perf_counter() - began)
        if answer.status_code != 202:
            refused.append(f"{answer.status_code} {answer.text[:160]}")
            return
        order_id = answer.json()["order_id"]
        posted[order_id] = began
        watch.want(order_id)

    start = time.perf_counter() + 0.2
    tasks = []
    for n, body in enumerate(bodies):
        due = start + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -0.01:
            late += 1  # the loop itself fell behind the clock (a busy machine)
        tasks.append(asyncio.create_task(post(n, body)))
    await asyncio.gather(*tasks)
    measured_load = load()
    ids = list(posted)
    await all_decided(watch, ids, timeout=120)
    sagas = [watch.sagas[o] for o in ids]
    await reader.caught_up()
    templates = [e for e in reader.events(ORDERS_ORDERS, OrderPlaced) if e.order_id in posted]
    return Everyday(
        rate=rate, seconds=seconds, offered=count,
        confirmed_ms=[(s.decided - s.placed).total_seconds() for s in sagas if s.outcome == "OrderConfirmed"],
        decided_ms=[(s.decided - s.placed).total_seconds() for s in sagas],
        client_ms=[watch.sagas[o].seen_decided - posted[o] for o in ids],
        post_ms=post_ms, late_starts=late, load=measured_load, templates=templates, refused=refused)


# -- (b) saga throughput -----------------------------------------------------------------
@dataclass
class Throughput:
    offered_rate: float
    orders: int
    decided: int
    decided_rate: float
    confirmed: int
    p50_s: float
    p99_s: float
    records_per_order: float
    cpu_s_per_1000: dict[str, float]
    load: str

    @property
    def kept_up(self) -> bool:
        """Every order decided, p99 within the target: the backlog stayed bounded.
        (decided/s counts the drain after the last arrival too, so it reads a little
        below the offered rate even then.)"""
        return self.decided == self.orders and self.p99_s <= TARGET_RATE_P99_S


def clone(template: OrderPlaced) -> OrderPlaced:
    """The API's event for a new order: new order and event ids, stamped now."""
    meta = dataclasses.replace(template.meta, event_id=str(uuid.uuid4()), correlation_id=str(uuid.uuid4()),
                               occurred_at=datetime.now(timezone.utc))
    return dataclasses.replace(template, meta=meta, order_id=str(uuid.uuid4()))


def cpu_seconds(stack: EmbeddedStack) -> dict[str, float]:
    """CPU time (user + system) each process of the stack used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    out = {}
    for p in stack.state().processes:
        if not p.pid:
            continue
        try:
            fields = Path(f"/proc/{p.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[p.name] = (int(fields[11]) + int(fields[12])) / ticks
    return out


async def throughput(stack: EmbeddedStack, producer: EventProducer, watch: SagaWatch, reader: TopicReader,
                     templates: list[OrderPlaced], rate: float, seconds: float) -> Throughput:
    rng = random.Random(int(rate))
    count = int(rate * seconds)
    cpu_before = cpu_seconds(stack)
    records_before = len(reader.records)
    ids: list[str] = []
    pending = []
    start = time.perf_counter() + 0.1
    tick = 0.01  # events due in the same 10 ms go out together
    n = 0
    while n < count:
        due = start + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        batch = []
        while n < count and start + n / rate <= time.perf_counter() + tick:
            event = clone(rng.choice(templates))
            watch.want(event.order_id)
            ids.append(event.order_id)
            batch.append(event)
            n += 1
        # Acknowledged in the background: the clock, not the broker, paces arrivals.
        pending.append(asyncio.create_task(producer.publish_all(batch)))
    await asyncio.gather(*pending)
    measured_load = load()
    try:
        await all_decided(watch, ids, timeout=max(120.0, count / 10))
    except AssertionError:
        pass  # reported: fewer decided than placed
    cpu_after = cpu_seconds(stack)
    sagas = [watch.sagas[o] for o in ids if o not in watch.undecided([o])]
    first = min(s.placed for s in sagas)
    last = max(s.decided for s in sagas)
    latencies = [(s.decided - s.placed).total_seconds() for s in sagas]
    wanted = set(ids)
    await reader.caught_up()
    records = sum(1 for r in reader.records[records_before:]
                  if r.event is not None and getattr(r.event, "order_id", None) in wanted)
    cpu = {name: (cpu_after.get(name, 0) - cpu_before.get(name, 0)) * 1000 / count for name in cpu_after}
    return Throughput(offered_rate=rate, orders=count, decided=len(sagas),
                      decided_rate=len(sagas) / (last - first).total_seconds(),
                      confirmed=sum(1 for s in sagas if s.outcome == "OrderConfirmed"),
                      p50_s=percentile(latencies, 50), p99_s=percentile(latencies, 99),
                      records_per_order=records / count, cpu_s_per_1000=cpu, load=measured_load)


# -- a stack ------------------------------------------------------------------------------
async def with_stack(instances: int, work) -> object:
    """Run `work(stack, platform, reader, seeded, region)` on a fresh, seeded stack."""
    stack = EmbeddedStack(Path(tempfile.mkdtemp(prefix="nahnetz-bench-")), env={"NAHNETZ_LOG_LEVEL": "warning"})
    print(f"starting the embedded stack ({instances} instance(s) of each worker) in {stack.run_dir} ...",
          flush=True)
    try:
        stack.up("--instances", str(instances))
        platform = stack.platform(timeout=60.0)
        reader = TopicReader(stack.bootstrap, FLOW)
        try:
            await reader.start()
            region = load_region("kreis_hoexter")
            seeded = await seed(platform, region, lambda line: None)
            return await work(stack, platform, reader, seeded, region)
        finally:
            await reader.stop()
            await platform.close()
    finally:
        stack.ensure_down()


async def throughput_runs(stack, reader, templates, rates, burst) -> list[Throughput]:
    watch = await SagaWatch(stack.bootstrap).start()
    results = []
    try:
        async with EventProducer(stack.bootstrap, client_id="bench-orders-api", linger_ms=2) as producer:
            for rate in rates:
                print(f"  (b) saga throughput: {rate:.0f} orders/s offered for {burst:.0f} s ...", flush=True)
                result = await throughput(stack, producer, watch, reader, templates, rate, burst)
                results.append(result)
                if not result.kept_up:
                    break  # a higher rate would only queue longer
    finally:
        await watch.stop()
    return results


async def api_templates(stack, platform, reader, seeded, region, count: int = 60) -> list[OrderPlaced]:
    """OrderPlaced events as this stack's orders API writes them: `count` orders POSTed
    at 20/s (the events part b clones)."""
    days = list(dict.fromkeys([await delivery_day(platform), *await bookable_days(platform)]))
    bodies = prepared_orders(seeded, region, days, count, random.Random(7))
    watch = await SagaWatch(stack.bootstrap).start()
    try:
        return (await everyday(platform, watch, reader, bodies, 20.0, count / 20.0)).templates
    finally:
        await watch.stop()


async def bookable_days(platform) -> list[date]:
    answer = (await platform.call("orders", "GET", "/v1/delivery-days",
                                  who=platform.token(OPERATOR, "operator"))).json()
    return [date.fromisoformat(d) for d in answer["days"]]


# -- the run ------------------------------------------------------------------------------
@dataclass
class Options:
    rate: float
    seconds: float
    rates: list[float]
    burst: float
    baseline_messages: int
    instances: list[int]


async def run(options: Options) -> None:
    began = datetime.now()
    print(f"{load()} at the start", flush=True)

    async def first_stack(stack, platform, reader, seeded, region):
        days = [await delivery_day(platform), *await bookable_days(platform)]
        days = list(dict.fromkeys(days))  # the demo's day first: the fallback
        await settled(stack)
        bodies = prepared_orders(seeded, region, days, int(options.rate * options.seconds), random.Random(7))
        watch = await SagaWatch(stack.bootstrap).start()
        print(f"  (a) everyday load: {options.rate:.0f} orders/s for {options.seconds:.0f} s ...", flush=True)
        try:
            day = await everyday(platform, watch, reader, bodies, options.rate, options.seconds)
        finally:
            await watch.stop()
        results = await throughput_runs(stack, reader, day.templates, options.rates, options.burst)
        print(f"  (c) baseline: {options.baseline_messages} messages through aiokafka ...", flush=True)
        baseline = await measure(stack.bootstrap, day.templates[0].encode(), options.baseline_messages)
        return day, results, baseline

    day, by_instances, baseline = None, {}, None
    for instances in options.instances:
        if day is None:
            day, by_instances[instances], baseline = await with_stack(instances, first_stack)
        else:
            async def again(stack, platform, reader, seeded, region):
                # This stack's seeding gave the goods and points new ids: (a)'s events would
                # name goods it does not know, and every order would be rejected. Its own
                # API writes the templates here (a few orders, like (a)'s first seconds).
                await settled(stack)
                templates = await api_templates(stack, platform, reader, seeded, region)
                await settled(stack)
                return await throughput_runs(stack, reader, templates, options.rates, options.burst)
            print("  (d) the same saga throughput with more worker instances", flush=True)
            by_instances[instances] = await with_stack(instances, again)
    report(options, began, day, by_instances, baseline)


def mark(ok: bool) -> str:
    return "met" if ok else "MISSED"


def report(options: Options, began: datetime, day: Everyday, by_instances: dict[int, list[Throughput]],
           baseline: BaselineResult) -> None:
    print()
    print(f"machine: {host.machine()}, {os.cpu_count()} cores, {host.processor() or 'cpu'}; "
          f"Python {host.python_version()}; run of {began:%Y-%m-%d %H:%M}")
    print()
    p50, p99 = percentile(day.confirmed_ms, 50), percentile(day.confirmed_ms, 99)
    print(f"(a) everyday load: {day.offered} orders POSTed at {day.rate:.0f}/s by the clock for "
          f"{day.seconds:.0f} s ({day.late_starts} started late); {len(day.confirmed_ms)} confirmed, "
          f"{len(day.decided_ms) - len(day.confirmed_ms)} rejected, {len(day.refused)} refused by the API; {day.load}")
    if day.refused:
        print(f"    first refusal: {day.refused[0]}")
    print(f"    {'figure':<50} {'p50':>7} {'p99':>7}   target")
    print(f"    {'placed -> confirmed (ms, services stamps)':<50} {ms(p50):>7} {ms(p99):>7}   "
          f"p50 <= {TARGET_P50_MS}, p99 <= {TARGET_P99_MS}: {mark(p50 * 1000 <= TARGET_P50_MS)}, "
          f"{mark(p99 * 1000 <= TARGET_P99_MS)}")
    print(f"    {'placed -> decided, rejected too (ms)':<50} {ms(percentile(day.decided_ms, 50)):>7} "
          f"{ms(percentile(day.decided_ms, 99)):>7}")
    print(f"    {'client: POST sent -> decision read (ms)':<50} {ms(percentile(day.client_ms, 50)):>7} "
          f"{ms(percentile(day.client_ms, 99)):>7}")
    print(f"    {'orders API: POST answered (ms)':<50} {ms(percentile(day.post_ms, 50)):>7} "
          f"{ms(percentile(day.post_ms, 99)):>7}")
    print()
    print(f"(b, d) saga throughput: OrderPlaced put on orders.orders by the clock, {options.burst:.0f} s per rate; "
          f"target >= {TARGET_RATE}/s, all decided, p99 <= {TARGET_RATE_P99_S:.0f} s")
    print(f"    {'instances':>9} {'offered/s':>9} {'orders':>7} {'decided':>7} {'decided/s':>9} {'confirmed':>9} "
          f"{'p50 ms':>7} {'p99 ms':>7} {'records/order':>13} {'kept up':>7}  load")
    for instances, results in by_instances.items():
        for t in results:
            print(f"    {instances:>9} {t.offered_rate:>9.0f} {t.orders:>7} {t.decided:>7} {t.decided_rate:>9.0f} "
                  f"{t.confirmed:>9} {ms(t.p50_s):>7} {ms(t.p99_s):>7} {t.records_per_order:>13.1f} "
                  f"{'yes' if t.kept_up else 'no':>7}  {t.load}")
        sustained = [t for t in results if t.kept_up]
        if sustained:
            t = max(sustained, key=lambda t: t.decided_rate)
            print(f"    sustained with {instances} instance(s) of each worker: {t.decided_rate:.0f} orders/s, all "
                  f"decided, p99 {ms(t.p99_s)} ms; target {TARGET_RATE}/s: {mark(t.decided_rate >= TARGET_RATE)}")
        else:
            print(f"    with {instances} instance(s): no offered rate was kept up with: {mark(False)}")
    first = by_instances[min(by_instances)]
    heaviest = max(first, key=lambda t: t.offered_rate)
    top = sorted(heaviest.cpu_s_per_1000.items(), key=lambda kv: -kv[1])[:7]
    print(f"    CPU seconds per 1000 orders at {heaviest.offered_rate:.0f}/s, "
          f"{min(by_instances)} instance(s): " + ", ".join(f"{name} {s:.1f}" for name, s in top))
    print()
    flow_rate = max((t.decided_rate for t in first), default=0.0)
    records = heaviest.records_per_order
    print(f"(c) baseline on the same broker: aiokafka, batching producer (acks=all, linger {baseline.linger_ms} ms), "
          f"consumer with {baseline.fetch_wait_ms} ms fetch wait; {baseline.messages} messages of "
          f"{baseline.size} bytes; {baseline.load}")
    print(f"    {'messages per second, produced and consumed':<50} {baseline.round_trip_per_s:>9.0f}")
    print(f"    {'messages per second, produced (acknowledged)':<50} {baseline.produce_per_s:>9.0f}")
    print(f"    {'send -> receive p50 / p99 (ms), all at once':<50} {baseline.latency_p50_ms:>5.0f} / "
          f"{baseline.latency_p99_ms:.0f}")
    print(f"    {f'send -> receive p50 / p99 (ms), {baseline.paced_rate:.0f}/s paced':<50} "
          f"{baseline.paced_p50_ms:>5.0f} / {baseline.paced_p99_ms:.0f}")
    print(f"    {'order flow: orders/s ÷ baseline messages/s':<50} {flow_rate / baseline.round_trip_per_s:>9.3f}")
    print(f"    {'order flow: its records/s ÷ baseline messages/s':<50} "
          f"{flow_rate * records / baseline.round_trip_per_s:>9.3f}   ({records:.1f} records per order)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a smoke run: every part, small and short")
    parser.add_argument("--rate", type=float, default=20.0, help="(a) orders per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="(a) for how long")
    parser.add_argument("--rates", default="25,50,100,200,500",
                        help="(b) offered orders per second, in turn, until one is not kept up with")
    parser.add_argument("--burst", type=float, default=20.0, help="(b) seconds per rate")
    parser.add_argument("--baseline-messages", type=int, default=100_000)
    parser.add_argument("--instances", default="1,2", help="(d) worker instances to compare")
    args = parser.parse_args()
    options = Options(args.rate, args.seconds, [float(r) for r in args.rates.split(",")], args.burst,
                      args.baseline_messages, [int(i) for i in args.instances.split(",")])
    if args.quick:
        options = dataclasses.replace(options, seconds=min(args.seconds, 10.0), rates=[25.0], burst=5.0,
                                      baseline_messages=10_000)
    asyncio.run(run(options))


if __name__ == "__main__":
    main()
