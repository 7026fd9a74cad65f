"""The fault campaign (issue #10): orders flow in while, in turn, each worker type is
killed hard (SIGKILL) and started again and Redis is restarted; afterwards the
outcome is checked from the topics, never from the services' own counters:

- every order the API accepted is on orders.orders and decided (confirmed or
  rejected) exactly once: 0 lost, 0 decided twice (a repeated decision with the
  same event id is one decision: consumers dedupe by event id);
- 0 units oversold: per product, the units held (StockReserved minus StockReleased,
  in the order the catalog decided them) never exceed the stock it was listed with;
- 0 compartments double-booked: per pick-up point, day and compartment, no
  CompartmentReserved while another order still holds it;
- what rejected orders held is given back, and nothing of the campaign is dead-lettered.

    campaign = FaultCampaign(stack, CampaignPlan(orders=300, rate=10), say=print)
    report = await campaign.run()      # seed, place, inject the faults, wait for every decision
    print(report.summary())
    report.check()                     # AssertionError naming every broken invariant

The small version runs in ./run-tests (tests/e2e/test_fault_campaign.py), the full
one is `benchmarks/faults/run.py`. The stack is an `EmbeddedStack` (its own Redis:
the campaign restarts it on its append-only file, as an operator would).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterable

import httpx

from ..demo.client import Platform
from ..stack.infra import redis_process, wait_for_redis
from ..stack.processes import live_groups, process_start_ticks, stop_groups
from ..stack.state import ProcessRecord
from ..topics import (CATALOG_PRODUCTS, CATALOG_STOCK_REQUESTS, CATALOG_STOCK_RESERVATIONS, ORDERS_ORDERS,
                      PICKUP_RESERVATION_REQUESTS, PICKUP_RESERVATIONS)
from .stack import EmbeddedStack
from .topics import TopicReader
from .waiting import NotInTime, eventually

REDIS = "redis"
# Every worker type of the platform, then Redis: the full campaign's faults, in turn.
# `redis` restarts Redis at once; `redis:60` keeps it away for 60 s first (an outage).
ALL_FAULTS = ("catalog", "pickup", "orders", "hub", "routing", "dispatch", "notify", REDIS)
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
# The order flow's topics and dead letters: what the checks read.
READ = (ORDERS_ORDERS, CATALOG_STOCK_RESERVATIONS, PICKUP_RESERVATIONS, CATALOG_PRODUCTS)
DEAD_LETTERS = (ORDERS_ORDERS, CATALOG_STOCK_REQUESTS, CATALOG_STOCK_RESERVATIONS, PICKUP_RESERVATION_REQUESTS,
                PICKUP_RESERVATIONS, CATALOG_PRODUCTS)
DECISIONS = ("OrderConfirmed", "OrderRejected")


@dataclass(frozen=True)
class CampaignPlan:
    orders: int = 300
    rate: float = 10.0                # arrivals per second (open loop: they do not wait for answers)
    max_in_flight: int = 64
    products: int = 8
    stock: int = 40                   # units per product: fewer than the orders want, so stock runs out
    points: int = 3
    compartments: int = 40            # per point: fewer than the orders, so points fill up
    faults: tuple[str, ...] = ALL_FAULTS
    decide_timeout: float = 180.0     # after the last order, until every order is decided
    settle_timeout: float = 60.0      # then until what rejected orders held is given back
    request_timeout: float = 120.0    # one order's POSTs, retries (503 while Redis restarts) included
    seed: int = 10


@dataclass
class Fault:
    target: str
    at: float                  # seconds after the first order
    back_after: float | None = None  # until ready again (a worker) or answering (Redis)
    pids: tuple[int, ...] = ()


@dataclass
class Placement:
    index: int
    resident: str
    body: dict[str, Any]
    order_id: str | None = None
    status: int | None = None
    attempts: int = 0
    error: str | None = None
    latency: float | None = None


@dataclass
class CampaignReport:
    plan: CampaignPlan
    requested: int = 0
    accepted: int = 0
    refused: Counter = field(default_factory=Counter)       # status of orders the API never accepted
    on_topic: int = 0                                        # OrderPlaced of the campaign on orders.orders
    orphans: list[str] = field(default_factory=list)        # on the topic, the client saw no 202
    lost: list[str] = field(default_factory=list)           # accepted, not on the topic or never decided
    decided_twice: list[str] = field(default_factory=list)
    outcomes: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)
    units_oversold: int = 0
    oversold_products: dict[str, int] = field(default_factory=dict)
    double_booked: list[str] = field(default_factory=list)
    confirmed_sharing: list[str] = field(default_factory=list)
    confirmed_without_stock: list[str] = field(default_factory=list)
    held_by_rejected: dict[str, int] = field(default_factory=dict)
    dead_letters: list[str] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    retried_posts: int = 0
    slowest_post: float = 0.0                                # seconds until a 202, retries included
    posts_over_10s: int = 0
    seconds_seeding: float = 0.0
    seconds_placing: float = 0.0
    seconds_to_all_decided: float = 0.0
    seconds_placed_to_last_decision: float = 0.0  # by the services' own stamps: first OrderPlaced to last decision
    seconds_to_settled: float = 0.0
    settled: bool = False

    def problems(self) -> list[str]:
        found = []
        if self.lost:
            found.append(f"{len(self.lost)} accepted orders lost or never decided: {self.lost[:5]}")
        if self.decided_twice:
            found.append(f"{len(self.decided_twice)} orders decided twice: {self.decided_twice[:5]}")
        if self.orphans:
            # The client was answered an error, so it places the order again: one request, two orders.
            found.append(f"{len(self.orphans)} orders placed though the client saw no 202: {self.orphans[:5]}")
        if self.units_oversold:
            found.append(f"{self.units_oversold} units oversold: {self.oversold_products}")
        if self.double_booked:
            found.append(f"{len(self.double_booked)} compartments double-booked: {self.double_booked[:5]}")
        if self.confirmed_sharing:
            found.append(f"confirmed orders sharing a compartment: {self.confirmed_sharing[:5]}")
        if self.confirmed_without_stock:
            found.append(f"confirmed orders without their stock held: {self.confirmed_without_stock[:5]}")
        if self.held_by_rejected:
            found.append(f"rejected orders still hold: {dict(list(self.held_by_rejected.items())[:5])}")
        if self.dead_letters:
            found.append(f"{len(self.dead_letters)} dead letters: {self.dead_letters[:5]}")
        if self.accepted == 0:
            found.append("no order was accepted")
        return found

    def check(self) -> None:
        problems = self.problems()
        assert not problems, "the fault campaign broke:\n  " + "\n  ".join(problems) + "\n" + self.summary()

    def summary(self) -> str:
        down = ", ".join(f"{f.target} at {f.at:.0f} s (back after {f.back_after:.1f} s)"
                         if f.back_after is not None else f"{f.target} at {f.at:.0f} s (never back)"
                         for f in self.faults)
        refused = f", refused {dict(self.refused)}" if self.refused else ""
        lines = [
            f"orders requested {self.requested}, accepted {self.accepted}{refused}; "
            f"POSTs retried (503/409 while Redis restarted) {self.retried_posts}; slowest order until its 202 "
            f"{self.slowest_post:.1f} s, {self.posts_over_10s} took over 10 s",
            f"on orders.orders {self.on_topic} (placed though the client saw no 202: {len(self.orphans)})",
            f"decided {sum(self.outcomes.values())}: {dict(self.outcomes)}; rejected because {dict(self.reasons)}",
            f"lost {len(self.lost)}, decided twice {len(self.decided_twice)}, units oversold {self.units_oversold}, "
            f"compartments double-booked {len(self.double_booked)}, confirmed without stock "
            f"{len(self.confirmed_without_stock)}, held by rejected orders {sum(self.held_by_rejected.values())}, "
            f"dead letters {len(self.dead_letters)}",
            f"faults: {down}",
            f"seeding {self.seconds_seeding:.1f} s, placing {self.seconds_placing:.1f} s; the last decision "
            f"{self.seconds_placed_to_last_decision:.1f} s after the first order was placed (the services' "
            f"stamps); seen all decided after {self.seconds_to_all_decided:.1f} s, settled after "
            f"{self.seconds_to_settled:.1f} s" + ("" if self.settled else " (NOT settled)"),
        ]
        return "\n".join(lines)


# -- faults on an embedded stack --------------------------------------------------------------
class StackFaults:
    """Kill and restart what `nahnetz up` started, recording the new processes in its
    state file (so `nahnetz down` stops them)."""

    def __init__(self, stack: EmbeddedStack, grace: float = 5.0):
        self.stack = stack
        self.grace = grace

    def workers(self, service: str) -> list[ProcessRecord]:
        name = f"{service}-worker"
        return [p for p in self.stack.state().processes
                if p.kind == "worker" and (p.name == name or p.name.startswith(f"{name}-"))]

    async def kill_worker(self, service: str, began: float) -> Fault:
        """SIGKILL every instance of the service's worker and start each again at once."""
        found = self.workers(service)
        if not found:
            raise AssertionError(f"no {service} worker in {self.stack.state_path}")
        fault = Fault(service, time.monotonic() - began, pids=tuple(p.pid for p in found if p.pid))
        for record in found:
            os.killpg(record.pid, signal.SIGKILL)
        await eventually(lambda: not live_groups(fault.pids), timeout=10, what=f"{service} worker killed")
        for record in found:
            self.stack.start_again(record.name)
        return fault

    async def wait_back(self, fault: Fault, began: float, timeout: float = 180.0) -> None:
        urls = [p.url for p in self.workers(fault.target)]
        async with httpx.AsyncClient(timeout=5) as client:
            async def ready() -> bool:
                for url in urls:
                    try:
                        if (await client.get(f"{url}/readyz")).status_code != 200:
                            return False
                    except httpx.TransportError:
                        return False
                return True
            await eventually(ready, timeout=timeout, interval=0.2, what=f"{fault.target} worker ready again")
        fault.back_after = time.monotonic() - began - fault.at

    async def restart_redis(self, began: float, away: float = 0.0) -> Fault:
        """Stop the stack's Redis (SIGTERM: it writes out its append-only file), leave it
        away for `away` seconds (an outage), start it again on the same data dir and
        port; return once it answers."""
        state = self.stack.state()
        record = state.by_name(REDIS)
        if record is None or not record.managed or record.port is None:
            raise AssertionError("the campaign restarts the stack's own Redis; this stack uses one at REDIS_URL")
        fault = Fault(f"{REDIS}:{away:g}" if away else REDIS, time.monotonic() - began, pids=(record.pid,))
        await asyncio.to_thread(stop_groups, [record.pid], self.grace)
        await asyncio.sleep(away)  # the outage itself: its length is the point, not a wait for something
        log = Path(record.log) if record.log else Path(state.run_dir) / "logs" / "redis.log"
        # `nahnetz up` keeps the stack's Redis data in <run dir>/redis (nahnetz.stack.launcher).
        process = redis_process(record.port, Path(state.run_dir) / "redis", log).start()
        state.record(ProcessRecord(REDIS, "redis", process.pid, record.port, record.url, str(log),
                                   process_start_ticks(process.pid)))
        state.save(self.stack.state_path)
        self.stack.remember_state()
        self.stack.restarted.append(process)
        await asyncio.to_thread(wait_for_redis, process, record.port, 60.0)
        fault.back_after = time.monotonic() - began - fault.at
        return fault


# -- the campaign -------------------------------------------------------------------------------
class FaultCampaign:
    def __init__(self, stack: EmbeddedStack, plan: CampaignPlan, *, platform: Platform | None = None,
                 say: Callable[[str], None] = lambda line: None, label: str | None = None):
        self.stack = stack
        self.plan = plan
        self.platform = platform or stack.platform(timeout=60.0)
        self.own_platform = platform is None
        self.say = say
        self.label = label or f"fc-{uuid.uuid4().hex[:6]}"
        self.rng = random.Random(plan.seed)
        self.faults = StackFaults(stack)
        self.products: list[str] = []
        self.points: list[str] = []
        self.day: date | None = None
        self.report = CampaignReport(plan)

    # -- seeding ------------------------------------------------------------------------------
    async def seed(self) -> None:
        began = time.monotonic()
        p = self.plan
        shop = f"{self.label}-shop"
        await self.platform.call("catalog", "POST", "/v1/shops", json={
            "shop_id": shop, "name": f"Hofladen {self.label}", "kind": "FARM",
            "address": {"street": "Dorfstraße 1", "postal_code": "37671", "locality": "Höxter"},
            "location": {"lat": 51.77, "lon": 9.38}, "municipality": "Höxter",
            # Open every day: the hub can always plan the collection of what was sold.
            "opening_hours": {"intervals": [{"weekday": d, "opens": "07:00", "closes": "19:00"} for d in WEEKDAYS]},
            "accepts_phone_listing": True, "channel": "PHONE"})
        await self._until(lambda: self._status("catalog", f"/v1/shops/{shop}", 200), f"shop {shop} in the catalog")
        for n in range(p.products):
            answer = await self.platform.call("catalog", "POST", f"/v1/shops/{shop}/products", json={
                "name": f"Ware {n} {self.label}", "category": "OTHER", "unit": "Stück", "price_cents": 199 + n,
                "vat_rate_bp": 700, "stock": p.stock, "temperature_class": "AMBIENT", "weight_g": 250,
                "volume_ml": 500, "channel": "PHONE"}, headers={"Idempotency-Key": f"{self.label}-product-{n}"})
            self.products.append(answer.json()["product_id"])
        for n in range(p.points):
            point = f"{self.label}-pp{n}"
            await self.platform.call("pickup", "POST", "/v1/pickup-points", json={
                "pickup_point_id": point, "kind": "LOCKER", "name": f"Packstation {self.label} {n}",
                "address": {"street": "Am Bahnhof 2", "postal_code": "33034", "locality": "Brakel"},
                "location": {"lat": 51.717 + n / 100, "lon": 9.183}, "municipality": "Brakel",
                "compartments": [{"compartment_id": f"A{i:03d}", "size": "M", "temperature_class": "AMBIENT",
                                  "volume_ml": 40_000} for i in range(p.compartments)]})
            self.points.append(point)
        for product in self.products:
            await self._until(lambda product=product: self._available(product, p.stock), f"{product} available")
        for point in self.points:
            await self._until(lambda point=point: self._status("pickup", f"/v1/pickup-points/{point}", 200),
                              f"point {point}")
        days = (await self.platform.call("orders", "GET", "/v1/delivery-days")).json()["days"]
        self.day = date.fromisoformat(days[min(3, len(days) - 1)])
        self.report.seconds_seeding = time.monotonic() - began

    async def _until(self, condition: Callable[[], Any], what: str, timeout: float = 60.0) -> None:
        await eventually(condition, timeout=timeout, interval=0.2, what=what)

    async def _status(self, service: str, path: str, status: int) -> bool:
        return (await self.platform.clients[service].get(path, headers=self.platform.operator)).status_code == status

    async def _available(self, product: str, units: int) -> bool:
        answer = await self.platform.clients["catalog"].get(f"/v1/products/{product}/availability")
        return answer.status_code == 200 and answer.json()["available"] == units

    # -- orders -------------------------------------------------------------------------------
    def _bodies(self) -> list[Placement]:
        placements = []
        for i in range(self.plan.orders):
            basket = self.rng.sample(self.products, k=self.rng.choice((1, 1, 2)))
            body = {"lines": [{"product_id": product, "quantity": self.rng.randint(1, 3)} for product in basket],
                    "pickup_point_id": self.rng.choice(self.points), "delivery_day": self.day.isoformat(),
                    "payment_method": "ONLINE", "channel": "web"}
            placements.append(Placement(i, f"{self.label}-r{i:05d}", body))
        return placements

    async def _warm_up(self, placements: list[Placement]) -> None:
        """The orders service learns products and points from the topics: the first
        order of each point with every product is retried while it answers 422
        (not known there yet). These orders count like every other."""
        for point, placement in zip(self.points, placements):
            placement.body = {**placement.body, "pickup_point_id": point,
                              "lines": [{"product_id": product, "quantity": 1} for product in self.products]}

            async def accepted(placement: Placement = placement) -> bool:
                await self._place(placement, retry_unknown=True)
                return placement.order_id is not None
            try:
                await self._until(accepted, f"the orders service accepting an order at {point}")
            except NotInTime as exc:
                raise NotInTime(f"{exc}; its last answer: {placement.status} {placement.error}") from None

    async def _place(self, placement: Placement, retry_unknown: bool = False) -> None:
        # The same key for every retry of one request; a warm-up try after a 422 is a new request.
        key = f"{self.label}-order-{placement.index}" + (f"-{placement.attempts}" if retry_unknown else "")
        headers = {**self.platform.token(placement.resident, "resident"), "Idempotency-Key": key}
        client = self.platform.clients["orders"]
        started = time.monotonic()
        deadline = started + self.plan.request_timeout
        while True:
            placement.attempts += 1
            try:
                answer = await client.post("/v1/orders", json=placement.body, headers=headers)
            except httpx.TransportError as exc:
                placement.error = f"{type(exc).__name__}: {exc}"
                wait = 0.5
            else:
                placement.status = answer.status_code
                if answer.status_code == 202:
                    placement.order_id = answer.json()["order_id"]
                    placement.latency = time.monotonic() - started
                    return
                if answer.status_code == 422 and retry_unknown:
                    placement.error = answer.text[:300]
                    return
                if answer.status_code not in (409, 429, 503):
                    placement.error = answer.text[:300]
                    return
                # Redis or the broker away (503), the first try still being answered (409).
                wait = float(answer.headers.get("Retry-After", "1"))
            if time.monotonic() + wait > deadline:
                return
            self.report.retried_posts += 1
            await asyncio.sleep(wait)

    # -- the run ------------------------------------------------------------------------------
    async def run(self) -> CampaignReport:
        reader = TopicReader(self.stack.bootstrap, [*READ, *(t.dlq for t in DEAD_LETTERS)])
        await reader.start()
        try:
            return await self._run(reader)
        finally:
            await reader.stop()
            if self.own_platform:
                await self.platform.close()

    async def _run(self, reader: TopicReader) -> CampaignReport:
        p, report = self.plan, self.report
        await self.seed()
        placements = self._bodies()
        report.requested = len(placements)
        self.say(f"seeded {len(self.products)} products x {p.stock} units, {len(self.points)} points x "
                 f"{p.compartments} compartments in {report.seconds_seeding:.1f} s; {p.orders} orders at "
                 f"{p.rate:g}/s, faults in turn: {', '.join(p.faults)}")
        began = time.monotonic()
        await self._warm_up(placements)
        rest = placements[len(self.points):]
        placing_for = len(rest) / p.rate
        gate = asyncio.Semaphore(p.max_in_flight)

        async def one(placement: Placement, at: float) -> None:
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            async with gate:
                await self._place(placement)

        start = time.monotonic()
        placing = [asyncio.create_task(one(pl, start + n / p.rate)) for n, pl in enumerate(rest)]
        back: list[asyncio.Task] = []
        for k, target in enumerate(p.faults):
            # Spread over the middle of the run: orders before the first fault and after the last.
            await asyncio.sleep(max(0.0, start + placing_for * (k + 1) / (len(p.faults) + 1) - time.monotonic()))
            if target == REDIS or target.startswith(f"{REDIS}:"):
                away = float(target.partition(":")[2] or 0)
                fault = await self.faults.restart_redis(began, away)
            else:
                fault = await self.faults.kill_worker(target, began)
                back.append(asyncio.create_task(self.faults.wait_back(fault, began)))
            report.faults.append(fault)
            what = "killed and restarted" if not target.startswith(REDIS) else (
                "restarted" if target == REDIS else f"stopped for {away:g} s, then started again:")
            self.say(f"  {fault.at:5.1f} s  {what} {target}; {sum(1 for pl in placements if pl.order_id)} "
                     f"orders accepted so far")
        await asyncio.gather(*placing)
        report.seconds_placing = time.monotonic() - began
        await asyncio.gather(*back)
        accepted = [pl for pl in placements if pl.order_id]
        report.accepted = len(accepted)
        report.refused = Counter(pl.status or 0 for pl in placements if not pl.order_id)
        latencies = [pl.latency for pl in accepted if pl.latency is not None]
        report.slowest_post = max(latencies, default=0.0)
        report.posts_over_10s = sum(1 for t in latencies if t > 10)
        self.say(f"  {report.accepted} orders accepted in {report.seconds_placing:.1f} s; waiting for the decisions")

        ids = {pl.order_id for pl in accepted}
        tally = Tally(reader, self.label)
        # Checking whether all were decided sorts all the holdings: not too often beside a busy stack.
        interval = 0.5 if len(placements) <= 1000 else 2.0
        try:
            await eventually(lambda: not self._undecided(tally, ids), timeout=p.decide_timeout, interval=0.5,
                             what=f"all {len(ids)} orders decided")
        except NotInTime:
            pass  # reported as lost below
        report.seconds_to_all_decided = time.monotonic() - began
        try:
            await eventually(lambda: self._settled(tally), timeout=p.settle_timeout, interval=interval,
                             what="what rejected orders held given back")
            report.settled = True
        except NotInTime:
            report.settled = False
        await reader.caught_up(timeout=60)
        report.seconds_to_settled = time.monotonic() - began
        self._check(tally, placements)
        return report

    # -- reading the outcome off the topics ---------------------------------------------------
    def _undecided(self, tally: "Tally", ids: set[str]) -> set[str]:
        tally.update()
        return {o for o in ids if not tally.decisions.get(o)}

    def _settled(self, tally: "Tally") -> bool:
        tally.update()
        if any(not tally.decisions.get(o) for o in tally.placed):
            return False
        rejected = tally.rejected()
        return not _held_stock(tally.stock_events(rejected)) and not _held_compartments(
            tally.compartment_events(rejected))

    def _check(self, reader: Any, placements: list[Placement]) -> None:
        report = self.report
        tally = reader if isinstance(reader, Tally) else Tally(reader, self.label)
        tally.update()
        orders, decisions = tally.placed, tally.decisions
        accepted = {pl.order_id for pl in placements if pl.order_id}
        report.accepted = len(accepted)
        report.on_topic = len(orders)
        report.orphans = sorted(set(orders) - accepted)
        report.lost = sorted(o for o in accepted | set(orders) if o not in orders or not decisions.get(o))
        report.decided_twice = sorted(o for o in orders if len(decisions.get(o, {})) > 1)
        for order_id in orders:
            for event in decisions.get(order_id, {}).values():
                report.outcomes[event.type] += 1
                if event.type == "OrderRejected":
                    report.reasons[str(event.reason)] += 1
        confirmed = tally.confirmed()
        rejected = tally.rejected()
        first_decisions = [min(e.meta.occurred_at for e in decisions[o].values()) for o in orders if decisions.get(o)]
        if orders and first_decisions:
            first_placed = min(e.meta.occurred_at for e in orders.values())
            report.seconds_placed_to_last_decision = (max(first_decisions) - first_placed).total_seconds()

        # Stock: replay each product's reservations and releases in the order the catalog decided them.
        stock = tally.stock_events(set(orders))
        peak = _peak_held(stock, set(self.products))
        report.oversold_products = {product: held - tally.listed.get(product, 0) for product, held in peak.items()
                                    if held > tally.listed.get(product, 0)}
        report.units_oversold = sum(report.oversold_products.values())
        holding = _net_stock(stock)
        for order_id in sorted(confirmed):
            wanted: Counter = Counter()
            for line in orders[order_id].lines:
                wanted[line.product_id] += line.quantity
            if any(holding.get((order_id, product), 0) != units for product, units in wanted.items()):
                report.confirmed_without_stock.append(order_id)
        held = {**_held_stock(tally.stock_events(rejected)),
                **_held_compartments(tally.compartment_events(rejected))}
        report.held_by_rejected = {f"{o} {kind}": units for (o, kind), units in held.items()}

        # Compartments: per point and day, no reservation while another order holds it.
        report.double_booked = _double_booked(tally.compartment_events(set(orders)))
        by_slot: dict[tuple, list[str]] = defaultdict(list)
        for order_id in confirmed:
            for event in decisions[order_id].values():
                if event.type == "OrderConfirmed":
                    for compartment in event.compartment_ids:
                        by_slot[(event.pickup_point_id, event.delivery_day, compartment)].append(order_id)
        report.confirmed_sharing = sorted(f"{slot}: {holders}" for slot, holders in by_slot.items()
                                          if len(holders) > 1)

        ours = {*orders, *self.products, *self.points}
        report.dead_letters = sorted(
            f"{r.topic}@{r.offset} {r.header('dlq-reason')} {r.header('dlq-error-message')}"
            for r in tally.reader.dead_letters(keys=ours) if r.value is not None)


COMPARTMENT_DECISIONS = ("CompartmentReserved", "CompartmentReleased", "CompartmentHoldMoved")
STOCK_DECISIONS = ("StockReserved", "StockReleased")


class Tally:
    """What the campaign's topics said so far, taken from a reader's records as they come
    (each look reads only what is new: a campaign of 10,000 orders reads ~100,000 records)."""

    def __init__(self, reader: Any, label: str):
        self.reader = reader
        self.prefix = f"{label}-r"
        self.at = 0
        self.placed: dict[str, Any] = {}                              # order id -> OrderPlaced (ours)
        self.decisions: dict[str, dict[str, Any]] = defaultdict(dict)  # order id -> {event id: decision}
        self.stock: dict[str, Any] = {}                               # event id -> stock decision
        self.compartments: dict[str, Any] = {}                        # event id -> compartment decision
        self.listed: dict[str, int] = {}                              # product id -> stock listed with

    def update(self) -> None:
        records = self.reader.records
        while self.at < len(records):
            record = records[self.at]
            self.at += 1
            event = record.event
            if event is None:
                continue
            kind = event.type
            if record.topic == ORDERS_ORDERS.name:
                if kind == "OrderPlaced" and event.resident_id.startswith(self.prefix):
                    self.placed[event.order_id] = event
                elif kind in DECISIONS:
                    self.decisions[event.order_id][event.event_id] = event  # the same id twice is one decision
            elif record.topic == CATALOG_STOCK_RESERVATIONS.name and kind in STOCK_DECISIONS:
                self.stock[event.event_id] = event
            elif record.topic == PICKUP_RESERVATIONS.name and kind in COMPARTMENT_DECISIONS:
                self.compartments[event.event_id] = event
            elif record.topic == CATALOG_PRODUCTS.name and kind == "ProductListed":
                self.listed.setdefault(event.product_id, event.stock)

    def confirmed(self) -> set[str]:
        return {o for o in self.placed if any(e.type == "OrderConfirmed" for e in self.decisions.get(o, {}).values())}

    def rejected(self) -> set[str]:
        return {o for o in self.placed if self.decisions.get(o)} - self.confirmed()

    def stock_events(self, orders: set[str]) -> list[Any]:
        return _in_decision_order(e for e in self.stock.values() if e.order_id in orders)

    def compartment_events(self, orders: set[str]) -> list[Any]:
        return _in_decision_order(e for e in self.compartments.values() if e.order_id in orders)


def _in_decision_order(events: Iterable[Any]) -> list[Any]:
    # Releases first within the same millisecond: give the decider the benefit of the doubt.
    return sorted(events, key=lambda e: (e.meta.occurred_at, 0 if "Releas" in e.type else 1))


def _peak_held(events: list[Any], products: set[str]) -> dict[str, int]:
    held: Counter = Counter()
    peak: Counter = Counter()
    for event in events:
        sign = 1 if event.type == "StockReserved" else -1
        for line in event.lines:
            if line.product_id in products:
                held[line.product_id] += sign * line.quantity
                peak[line.product_id] = max(peak[line.product_id], held[line.product_id])
    return dict(peak)


def _net_stock(events: list[Any]) -> dict[tuple[str, str], int]:
    """(order, product) -> units still held at the end."""
    held: Counter = Counter()
    for event in events:
        sign = 1 if event.type == "StockReserved" else -1
        for line in event.lines:
            held[(event.order_id, line.product_id)] += sign * line.quantity
    return dict(held)


def _held_stock(events: list[Any]) -> dict[tuple[str, str], int]:
    return {(order_id, f"units of {product}"): units for (order_id, product), units in _net_stock(events).items()
            if units}


def _compartment_moves(event: Any) -> tuple[list[tuple], list[tuple]]:
    """(given back, taken) as (point, day, compartment) of a compartment decision."""
    point = event.pickup_point_id
    if event.type == "CompartmentReserved":
        return [], [(point, event.delivery_day, c) for c in event.compartment_ids]
    if event.type == "CompartmentReleased":
        return [(point, event.delivery_day, c) for c in event.compartment_ids], []
    # A part of the order moved to another day (CompartmentHoldMoved).
    return ([(point, event.from_day, c) for c in event.released_compartment_ids],
            [(point, event.to_day, c) for c in event.compartment_ids])


def _held_compartments(events: list[Any]) -> dict[tuple[str, str], int]:
    held: dict[str, set] = defaultdict(set)
    for event in events:
        given, taken = _compartment_moves(event)
        held[event.order_id] -= set(given)
        held[event.order_id] |= set(taken)
    return {(order_id, "compartments"): len(slots) for order_id, slots in held.items() if slots}


def _double_booked(events: list[Any]) -> list[str]:
    holder: dict[tuple, str] = {}
    found = []
    for event in events:
        given, taken = _compartment_moves(event)
        for slot in given:
            if holder.get(slot) == event.order_id:
                del holder[slot]
        for slot in taken:
            other = holder.get(slot)
            if other is not None and other != event.order_id:
                found.append(f"{slot[0]} {slot[1]} {slot[2]}: {other} and {event.order_id}")
            holder[slot] = event.order_id
    return found
