"""The catalog service as tests/integration/test_catalog.py runs it: its API and
its worker as real processes (`python -m services.catalog.api` / `.worker`, as
`nahnetz up` starts them) against the session's broker and Redis, a consumer
that records what the catalog publishes, and small builders for order events."""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterable

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from nahnetz.events import Event, new_event, read_event
from nahnetz.kit.auth import issue_token
from nahnetz.stack.processes import ManagedProcess, free_port
from nahnetz.topics import Topic

REPO = Path(__file__).resolve().parents[2]
SECRET = "catalog-integration-secret-long-enough-for-hs256"
START = 60.0   # imports, the consumer group's first join
EFFECT = 20.0  # an event travelling API -> broker -> worker -> Redis / broker


async def eventually(probe: Callable[[], Awaitable[Any]], what: str, timeout: float = EFFECT,
                     processes: Iterable[ManagedProcess] = ()) -> Any:
    """Poll `probe` until it returns something truthy; fail naming `what` (with
    the logs of a process that died, or of all when time ran out)."""
    deadline = time.monotonic() + timeout
    while True:
        result = await probe()
        if result:
            return result
        for process in processes:
            if not process.running:
                pytest.fail(f"{what}: {process.name} exited\n{process.log_tail(60)}")
        if time.monotonic() > deadline:
            tails = "\n".join(p.log_tail(30) for p in processes)
            pytest.fail(f"{what}: not within {timeout:.0f} s\n{tails}")
        await asyncio.sleep(0.1)


@dataclass
class CatalogProcesses:
    api: ManagedProcess
    worker: ManagedProcess
    api_url: str
    worker_url: str

    @property
    def all(self) -> list[ManagedProcess]:
        return [self.api, self.worker]

    async def _ready(self, url: str) -> bool:
        try:
            async with httpx.AsyncClient(timeout=5.0) as client:
                return (await client.get(f"{url}/readyz")).status_code == 200
        except httpx.TransportError:
            return False

    async def wait_ready(self) -> None:
        await eventually(lambda: self._ready(self.api_url), "catalog api ready", START, self.all)
        await eventually(lambda: self._ready(self.worker_url), "catalog worker ready", START, self.all)

    def stop(self) -> None:
        self.api.stop(grace=5)
        self.worker.stop(grace=8)


def start_catalog(bootstrap: str, redis_url: str, run_dir: Path, app_id: str) -> CatalogProcesses:
    api_port, worker_port = free_port(), free_port()
    env = {"KAFKA_BOOTSTRAP": bootstrap, "REDIS_URL": redis_url, "NAHNETZ_ENV": "test",
           "NAHNETZ_SERVICE": "catalog", "NAHNETZ_JWT_SECRET": SECRET, "NAHNETZ_HTTP_PORT": str(api_port),
           "NAHNETZ_WORKER_PORT": str(worker_port), "CATALOG_WORKER_APP_ID": app_id,
           "PYTHONUNBUFFERED": "1", "TMPDIR": str(run_dir)}  # Faust's data dir goes under TMPDIR
    api = ManagedProcess(f"{app_id}-api", [sys.executable, "-m", "services.catalog.api"],
                         run_dir / f"{app_id}-api.log", env=env, cwd=REPO).start()
    worker = ManagedProcess(f"{app_id}-worker", [sys.executable, "-m", "services.catalog.worker"],
                            run_dir / f"{app_id}-worker.log", env=env, cwd=REPO).start()
    return CatalogProcesses(api, worker, f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{worker_port}")


@dataclass
class Seen:
    """A record a topic carried, decoded when it is an event."""

    topic: str
    key: str | None
    value: bytes | None
    headers: dict[str, str]
    event: Event | None


@dataclass
class TopicRecorder:
    """Reads topics from their beginning (no consumer group, so nothing to wait
    for) and keeps every record, for tests to wait on what they expect."""

    bootstrap: str
    topics: list[str]
    seen: list[Seen] = field(default_factory=list)
    _consumer: AIOKafkaConsumer | None = None
    _task: asyncio.Task | None = None

    async def start(self) -> "TopicRecorder":
        self._consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        await self._consumer.start()
        partitions = []
        for name in self.topics:
            for number in sorted(self._consumer.partitions_for_topic(name) or ()):
                partitions.append(TopicPartition(name, number))
        assert partitions, f"no partitions for {self.topics}: create the topics first"
        self._consumer.assign(partitions)
        await self._consumer.seek_to_beginning(*partitions)
        self._task = asyncio.create_task(self._record())
        return self

    async def _record(self) -> None:
        assert self._consumer is not None
        while True:
            batches = await self._consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for r in records:
                    try:
                        event = read_event(r.value) if r.value else None
                    except Exception:
                        event = None
                    headers = {k: v.decode("utf-8", "replace") for k, v in (r.headers or ())}
                    self.seen.append(Seen(r.topic, r.key.decode() if r.key else None, r.value, headers, event))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        if self._consumer is not None:
            await self._consumer.stop()

    def events(self, topic: Topic, **fields: Any) -> list[Event]:
        """Events on `topic` whose fields equal `fields` (e.g. order_id=...)."""
        return [s.event for s in self.seen if s.topic == topic.name and s.event is not None
                and all(s.event.data.get(k) == v for k, v in fields.items())]

    def records(self, topic_name: str) -> list[Seen]:
        return [s for s in self.seen if s.topic == topic_name]


# -- tokens and builders ----------------------------------------------------------------------
def operator_token(user: str = "op-anna") -> str:
    return issue_token(SECRET, user, "operator")


def shop_token(shop_id: str) -> str:
    return issue_token(SECRET, f"user-{shop_id}", "shop", shop_id=shop_id)


def resident_token(user: str = "res-karl") -> str:
    return issue_token(SECRET, user, "resident")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def shop_profile(shop_id: str, name: str, municipality: str, lat: float, lon: float, **extra: Any) -> dict:
    return {"shop_id": shop_id, "name": name, "kind": "FARM", "municipality": municipality,
            "address": {"street": "Hauptstraße 1", "postal_code": "33034", "locality": municipality},
            "location": {"lat": lat, "lon": lon},
            "opening_hours": {"intervals": [{"weekday": "MONDAY", "opens": "08:00", "closes": "12:30"},
                                            {"weekday": "SATURDAY", "opens": "08:00", "closes": "12:00"}]},
            "contact": {"person": "Maria Meier", "phone": "+49 5272 123456"}, **extra}


def product_listing(name: str, *, stock: int = 10, price_cents: int = 449, category: str = "DAIRY_EGGS",
                    **extra: Any) -> dict:
    return {"name": name, "unit": "200 g", "price_cents": price_cents, "vat_rate_bp": 700, "stock": stock,
            "category": category, "temperature_class": "CHILLED", "weight_g": 200, "volume_ml": 250, **extra}


def order_placed(order_id: str, lines: list[tuple[str, str, int]], *, pickup_point_id: str = "pp-brakel") -> Event:
    """An OrderPlaced as the orders API writes it; lines are (product_id, shop_id, quantity)."""
    def line(product_id: str, shop_id: str, quantity: int) -> dict:
        return {"product_id": product_id, "shop_id": shop_id, "product_name": f"Ware {product_id[-6:]}",
                "unit": "Stück", "quantity": quantity, "unit_price": {"amount_cents": 100, "currency": "EUR"},
                "vat_rate_bp": 700, "temperature_class": "AMBIENT", "weight_g": 100 * max(quantity, 1),
                "volume_ml": 100 * max(quantity, 1)}

    total = sum(100 * q for _, _, q in lines) + 290
    return new_event("OrderPlaced", producer="orders-api", order_id=order_id, resident_id="res-karl",
                     lines=[line(*l) for l in lines], pickup_point_id=pickup_point_id,
                     delivery_day=date.today() + timedelta(days=2), channel="WEB",
                     delivery_fee={"amount_cents": 290, "currency": "EUR"},
                     total={"amount_cents": total, "currency": "EUR"})


def order_rejected(placed: Event, reason: str = "NO_COMPARTMENT") -> Event:
    return new_event("OrderRejected", producer="orders-worker", caused_by=placed, order_id=placed.order_id,
                     reason=reason)
