"""Helpers of the e2e tests (fixtures in conftest.py): the stack as processes,
a log of what arrives on topics, and the platform as a test sees it: the API
URLs from state.json, the broker bootstrap, the Redis URL, a token minter, an
HTTP client per service, and seeding of a unique shop with its goods and a
unique pick-up point per test through the HTTP APIs, waiting until the read
models show them (never a fixed sleep)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Awaitable, Callable

import httpx
import pytest
import redis.asyncio as aioredis
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from nahnetz.events import Event, read_event
from nahnetz.kit.auth import issue_token
from nahnetz.stack.discovery import ServiceProcess, api_urls, assign_ports, discover
from nahnetz.stack.processes import ManagedProcess, free_port_block, process_start_ticks
from nahnetz.stack.state import ProcessRecord, StackState
from nahnetz.topics import (CATALOG_STOCK_REQUESTS, CATALOG_STOCK_RESERVATIONS, ORDERS_ORDERS,
                            PICKUP_RESERVATION_REQUESTS, PICKUP_RESERVATIONS)
from services.orders import keys as orders_keys

NAHNETZ = str(Path(sys.executable).with_name("nahnetz"))
REPO = Path(__file__).resolve().parents[2]
SERVICES = REPO / "services"
SECRET = "nahnetz-e2e-secret-long-enough-for-hs256-signing"
OPERATOR = "operator-e2e"
SAGA_TIMEOUT_S = 20
# Read models follow their events within a second or two; generous for a loaded 2-core machine.
SHOWS_UP = 30.0
DECIDED = {"CONFIRMED", "REJECTED"}
# The topics of the order flow: the log reads the decisions and the dead letters of all.
ORDER_FLOW = (ORDERS_ORDERS, CATALOG_STOCK_REQUESTS, CATALOG_STOCK_RESERVATIONS, PICKUP_RESERVATION_REQUESTS,
              PICKUP_RESERVATIONS)
LOGGED_TOPICS = (ORDERS_ORDERS.name, CATALOG_STOCK_RESERVATIONS.name, PICKUP_RESERVATIONS.name)
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


async def eventually(probe: Callable[[], Awaitable[Any]], timeout: float, what: str,
                     poll: float = 0.1) -> Any:
    """Poll `probe` until it returns something truthy; fail naming `what` and the
    last answer."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = await probe()
        if last:
            return last
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout:.0f} s (last seen: {last!r})"[:3000])
        await asyncio.sleep(poll)


# -- the stack as processes ---------------------------------------------------------------------
class E2EStack:
    """`nahnetz up/down` in a run dir of its own, on a block of free ports."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        base = free_port_block(60)
        self.broker_port, self.redis_port = base, base + 1
        self.api_base, self.worker_base = base + 10, base + 35
        self.env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
        self.env.update({
            "NAHNETZ_RUN_DIR": str(run_dir),
            "NAHNETZ_BROKER_PORT": str(self.broker_port),
            "NAHNETZ_REDIS_PORT": str(self.redis_port),
            "NAHNETZ_API_PORT_BASE": str(self.api_base),
            "NAHNETZ_WORKER_PORT_BASE": str(self.worker_base),
            "NAHNETZ_READY_TIMEOUT": "150",
            "NAHNETZ_STOP_GRACE": "5",
            "NAHNETZ_ENV": "test",
            "NAHNETZ_JWT_SECRET": SECRET,
            # An order whose answers are not all in after this is rejected (TIMEOUT).
            "ORDERS_SAGA_TIMEOUT_SECONDS": str(SAGA_TIMEOUT_S),
        })
        self.recorded: list[dict] = []
        self.restarted: list[ManagedProcess] = []  # our children: reaped after `down`

    @property
    def state_path(self) -> Path:
        return self.run_dir / "state.json"

    def state(self) -> StackState:
        state = StackState.load(self.state_path)
        assert state is not None, f"no state file at {self.state_path}"
        return state

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        result = subprocess.run([NAHNETZ, *args], env=self.env, cwd=REPO, capture_output=True, text=True,
                                timeout=timeout)
        self.remember_state()
        return result

    def remember_state(self) -> None:
        """Keep every process ever recorded, to check at the end that none is left."""
        if self.state_path.exists():
            for p in json.loads(self.state_path.read_text())["processes"]:
                if p["pid"] and p not in self.recorded:
                    self.recorded.append(p)

    def service_env(self, process: ServiceProcess, port: int) -> dict[str, str]:
        """What `nahnetz up` gives a service process (see Stack.child_env and
        ServiceProcess.env): our environment, the broker, Redis, the API URLs."""
        state = self.state()
        planned = assign_ports(discover(SERVICES), self.api_base, self.worker_base)
        return {**self.env, "KAFKA_BOOTSTRAP": state.bootstrap, "REDIS_URL": state.redis_url,
                "NAHNETZ_ENV": "test", "NAHNETZ_JWT_SECRET": SECRET, "PYTHONUNBUFFERED": "1",
                **api_urls(planned), **process.env(port)}

    def start_again(self, name: str) -> ManagedProcess:
        """Start a stopped service process with the same command and environment,
        and record it in state.json, so `nahnetz down` stops it too."""
        state = self.state()
        old = state.by_name(name)
        assert old is not None and old.port is not None, f"{name} is not in the state file"
        process = next(p for p in discover(SERVICES) if p.name == name)
        started = ManagedProcess(name, process.argv(sys.executable), Path(old.log or self.run_dir / f"{name}.log"),
                                 env=self.service_env(process, old.port), cwd=SERVICES.parent).start()
        state.record(ProcessRecord(name, old.kind, started.pid, old.port, old.url, old.log,
                                   process_start_ticks(started.pid)))
        state.save(self.state_path)
        self.remember_state()
        self.restarted.append(started)
        return started

    def reap(self) -> None:
        for process in self.restarted:
            if process.popen is not None:
                try:
                    process.popen.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass

    def leftovers(self) -> list[str]:
        """Processes of this stack still alive: recorded ones, and any process whose
        environment or command line carries the run dir or the broker/Redis port."""
        marker = f"NAHNETZ_RUN_DIR={self.run_dir}".encode()
        ports = {str(self.broker_port), str(self.redis_port)}
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                    continue
                environ = (entry / "environ").read_bytes()
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            mentions_port = any(re.search(rf"(?<!\d){p}(?!\d)", cmdline) for p in ports)
            if marker in environ.split(b"\0") or str(self.run_dir) in cmdline or mentions_port:
                found.append(f"pid {entry.name}: {cmdline.strip()}")
        for p in self.recorded:
            if _alive(p["pid"]):
                found.append(f"recorded {p['name']} pid {p['pid']}")
        return found

    def force_cleanup(self) -> None:
        """Last resort, so a failed `down` does not leak processes into the machine."""
        for p in self.recorded:
            try:
                os.killpg(p["pid"], signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


# -- what arrives on topics -----------------------------------------------------------------------
@dataclass
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]
    event: Event | None

    def header(self, name: str) -> str | None:
        return next((v.decode(errors="replace") for k, v in self.headers if k == name), None)


@dataclass
class TopicLog:
    """Reads topics from their beginning in the background and keeps every record."""

    bootstrap: str
    topics: list[str]
    records: list[Record] = field(default_factory=list)
    polls: int = 0
    _consumer: AIOKafkaConsumer | None = None
    _task: asyncio.Task | None = None

    async def start(self) -> "TopicLog":
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False,
                                    auto_offset_reset="earliest", max_partition_fetch_bytes=4 * 1024 * 1024)
        await consumer.start()
        await consumer.topics()
        partitions = [TopicPartition(t, p) for t in self.topics for p in sorted(consumer.partitions_for_topic(t))]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        self._consumer = consumer
        self._task = asyncio.create_task(self._run())
        return self

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        if self._consumer is not None:
            await self._consumer.stop()

    async def _run(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for r in records:
                    try:
                        event = read_event(r.value) if not r.topic.endswith(".dlq") else None
                    except Exception:
                        event = None
                    self.records.append(Record(r.topic, r.partition, r.offset, r.key, r.value,
                                               list(r.headers or []), event))
            self.polls += 1

    def on(self, topic: str, event_type: str | None = None, **fields: Any) -> list[Record]:
        return [r for r in self.records if r.topic == topic and r.event is not None
                and (event_type is None or r.event.type == event_type)
                and all(r.event.data.get(k) == v for k, v in fields.items())]

    def dead_letters(self, keys: set[str]) -> list[Record]:
        """Dead letters of the order flow's topics whose key (an order, product or
        pick-up point id) is one of `keys`."""
        wanted = {k.encode() for k in keys}
        return [r for r in self.records if r.topic.endswith(".dlq") and r.key in wanted]

    async def wait_for(self, topic: str, event_type: str, timeout: float = SHOWS_UP, **fields: Any) -> Record:
        async def found() -> Record | None:
            matches = self.on(topic, event_type, **fields)
            return matches[0] if matches else None
        return await eventually(found, timeout, f"{event_type} {fields} on {topic}")

    async def caught_up(self, timeout: float = SHOWS_UP) -> None:
        """Everything on the topics at this moment has been read: a poll after now,
        and every partition's position at its fetched high-water mark (Tansu's
        ListOffsets for "latest" is off, so end offsets are not asked)."""
        consumer = self._consumer
        start = self.polls

        async def done() -> bool:
            if self.polls < start + 2:
                return False
            for tp in consumer.assignment():
                highwater = consumer.highwater(tp)
                if highwater is None or await consumer.position(tp) < highwater:
                    return False
            return True
        await eventually(done, timeout, "the topic log caught up")


# -- the platform as a test sees it ---------------------------------------------------------------
@dataclass
class Shop:
    shop_id: str
    products: dict[str, str]  # name -> product id


@dataclass
class Platform:
    stack: E2EStack
    urls: dict[str, str]  # service -> API URL
    workers: dict[str, str]  # service -> worker health URL
    bootstrap: str
    redis_url: str
    topics: TopicLog
    redis: aioredis.Redis
    clients: dict[str, httpx.AsyncClient] = field(default_factory=dict)

    def __post_init__(self) -> None:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        for service, url in self.urls.items():
            self.clients[service] = httpx.AsyncClient(base_url=url, timeout=60.0, limits=limits)

    async def close(self) -> None:
        await asyncio.gather(*(c.aclose() for c in self.clients.values()))

    # tokens -------------------------------------------------------------------
    def token(self, sub: str, role: str, **scopes: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(SECRET, sub, role, **scopes)}"}

    @property
    def operator(self) -> dict[str, str]:
        return self.token(OPERATOR, "operator")

    async def call(self, service: str, method: str, path: str, *, who: dict[str, str] | None = None,
                   ok: tuple[int, ...] = (200, 201, 202), **kwargs: Any) -> httpx.Response:
        headers = (who if who is not None else self.operator) | kwargs.pop("headers", {})
        answer = await self.clients[service].request(method, path, headers=headers, **kwargs)
        assert answer.status_code in ok, f"{service}: {method} {path} answered {answer.status_code}: {answer.text}"
        return answer

    # seeding ------------------------------------------------------------------
    async def seed_shop(self, unique: str, goods: dict[str, dict[str, Any]]) -> Shop:
        """A shop of its own with `goods` ({name: {"stock": n, "temperature_class": ...}}),
        registered and listed by the operator (the shop phoned them in); returns once
        the catalog and the orders service both know every product."""
        shop_id = f"e2e-shop-{unique}"
        await self.call("catalog", "POST", "/v1/shops", json={
            "shop_id": shop_id, "name": f"Hofladen {unique}", "kind": "FARM",
            "address": {"street": "Dorfstraße 1", "postal_code": "37671", "locality": "Höxter"},
            "location": {"lat": 51.77, "lon": 9.38}, "municipality": "Höxter",
            # Open every day, so the hub can always plan the collection of what was sold.
            "opening_hours": {"intervals": [{"weekday": d, "opens": "07:00", "closes": "19:00"} for d in WEEKDAYS]},
            "accepts_phone_listing": True, "channel": "PHONE",
        })
        await eventually(lambda: self._status_is("catalog", f"/v1/shops/{shop_id}", 200), SHOWS_UP,
                         f"the catalog shows shop {shop_id}")
        products: dict[str, str] = {}
        for name, spec in goods.items():
            body = {"name": name, "category": "OTHER", "unit": "Stück", "price_cents": spec.get("price_cents", 299),
                    "vat_rate_bp": 700, "stock": spec["stock"],
                    "temperature_class": spec.get("temperature_class", "AMBIENT"),
                    "weight_g": 250, "volume_ml": spec.get("volume_ml", 500), "channel": "PHONE"}
            answer = await self.call("catalog", "POST", f"/v1/shops/{shop_id}/products", json=body,
                                     headers={"Idempotency-Key": str(uuid.uuid4())})
            products[name] = answer.json()["product_id"]
        for name, product_id in products.items():
            stock = goods[name]["stock"]
            await eventually(lambda: self._availability_is(product_id, stock), SHOWS_UP,
                             f"the catalog shows {name} ({product_id}) with {stock} units")
            # The orders API prices new orders from its own projection of catalog.products;
            # no route shows it, so look at the read model it answers from.
            await eventually(lambda: self.redis.exists(orders_keys.product(product_id)), SHOWS_UP,
                             f"the orders service knows product {product_id}")
        return Shop(shop_id, products)

    async def seed_point(self, unique: str, ambient: int, chilled: int = 0, volume_ml: int = 40_000,
                         location: tuple[float, float] = (51.717, 9.183)) -> str:
        """A locker of its own with `ambient` + `chilled` compartments (by default in
        Brakel, at `location` (lat, lon) else); returns once the pick-up and orders
        services both know it."""
        point_id = f"e2e-pp-{unique}"
        compartments = ([{"compartment_id": f"A{i:03d}", "size": "M", "temperature_class": "AMBIENT",
                          "volume_ml": volume_ml} for i in range(ambient)]
                        + [{"compartment_id": f"K{i:03d}", "size": "M", "temperature_class": "CHILLED",
                            "volume_ml": volume_ml} for i in range(chilled)])
        await self.call("pickup", "POST", "/v1/pickup-points", json={
            "pickup_point_id": point_id, "kind": "LOCKER", "name": f"Packstation {unique}",
            "address": {"street": "Am Bahnhof 2", "postal_code": "33034", "locality": "Brakel"},
            "location": {"lat": location[0], "lon": location[1]}, "municipality": "Brakel",
            "compartments": compartments,
        })
        await eventually(lambda: self._status_is("pickup", f"/v1/pickup-points/{point_id}", 200), SHOWS_UP,
                         f"the pick-up service shows point {point_id}")
        await eventually(lambda: self.redis.exists(orders_keys.pickup_point(point_id)), SHOWS_UP,
                         f"the orders service knows pick-up point {point_id}")
        return point_id

    async def _status_is(self, service: str, path: str, status: int) -> bool:
        return (await self.clients[service].get(path, headers=self.operator)).status_code == status

    async def _availability_is(self, product_id: str, available: int) -> bool:
        answer = await self.clients["catalog"].get(f"/v1/products/{product_id}/availability")
        return answer.status_code == 200 and answer.json()["available"] == available

    # the flow -----------------------------------------------------------------
    async def delivery_day(self) -> date:
        """A bookable day a few days ahead, so the cut-off cannot pass during the run."""
        days = (await self.call("orders", "GET", "/v1/delivery-days")).json()["days"]
        return date.fromisoformat(days[min(3, len(days) - 1)])

    async def place(self, resident: str, point_id: str, day: date, lines: dict[str, int]) -> str:
        """A resident orders online; returns the order id (202)."""
        answer = await self.call("orders", "POST", "/v1/orders", who=self.token(resident, "resident"), ok=(202,),
                                 headers={"Idempotency-Key": str(uuid.uuid4())}, json={
                                     "lines": [{"product_id": p, "quantity": q} for p, q in lines.items()],
                                     "pickup_point_id": point_id, "delivery_day": day.isoformat(),
                                     "payment_method": "ONLINE", "channel": "web"})
        return answer.json()["order_id"]

    async def order(self, order_id: str) -> dict[str, Any]:
        return (await self.call("orders", "GET", f"/v1/orders/{order_id}")).json()

    async def decided(self, order_ids: list[str], timeout: float, concurrency: int = 16) -> dict[str, dict]:
        """Each order's view once it is CONFIRMED or REJECTED; fails naming the
        orders still undecided at the deadline."""
        pending, final = set(order_ids), {}
        gate = asyncio.Semaphore(concurrency)

        async def look(order_id: str) -> tuple[str, dict]:
            async with gate:
                return order_id, await self.order(order_id)

        deadline = time.monotonic() + timeout
        while pending:
            for order_id, view in await asyncio.gather(*(look(o) for o in sorted(pending))):
                if view["status"] in DECIDED:
                    final[order_id] = view
                    pending.discard(order_id)
            if not pending:
                break
            if time.monotonic() > deadline:
                pytest.fail(f"{len(pending)} of {len(order_ids)} orders not decided within {timeout:.0f} s: "
                            f"{sorted(pending)[:5]}")
            await asyncio.sleep(0.3)
        return final

    async def availability(self, product_id: str) -> dict[str, Any]:
        return (await self.call("catalog", "GET", f"/v1/products/{product_id}/availability")).json()

    async def occupancy(self, point_id: str, day: date) -> dict[str, Any]:
        return (await self.call("pickup", "GET", f"/v1/pickup-points/{point_id}/occupancy",
                                params={"day": day.isoformat()})).json()

    async def producer(self) -> AIOKafkaProducer:
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all", enable_idempotence=False)
        await producer.start()
        return producer


def held_by(occupancy: dict[str, Any]) -> dict[str, str]:
    """compartment id -> order id of the occupied compartments."""
    return {c["compartment_id"]: c["order_id"] for c in occupancy["compartments"] if c["occupied"]}
