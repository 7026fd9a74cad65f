"""Helpers for the orders and notify integration tests: a service worker as a real
process, the orders API in this process over httpx with its lifespan, a log of
what arrives on topics, and the other services' parts played by producing their
events."""

from __future__ import annotations

import asyncio
import sys
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Iterable

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from nahnetz.events import Event, new_event, read_event
from nahnetz.messaging.producer import EventProducer
from nahnetz.stack.processes import ManagedProcess, free_port

REPO = Path(__file__).resolve().parents[2]
SECRET = "orders-integration-secret-long-enough-for-hs256"
WORKER_START = 60.0  # import + the group's first join (about half the 6 s session timeout)
EFFECT = 20.0


async def eventually(probe: Callable[[], Awaitable[Any]], timeout: float, what: str,
                     worker: "ServiceWorker | None" = None) -> Any:
    """Poll `probe` until it returns something truthy; fail naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        result = await probe()
        if result:
            return result
        if worker is not None and not worker.process.running:
            pytest.fail(f"{what}: the worker exited\n{worker.process.log_tail(60)}")
        if time.monotonic() > deadline:
            tail = f"\n{worker.process.log_tail(60)}" if worker is not None else ""
            pytest.fail(f"{what}: not within {timeout:.0f} s{tail}")
        await asyncio.sleep(0.1)


# -- a service's worker as its own process ----------------------------------------------------
@dataclass
class ServiceWorker:
    process: ManagedProcess
    port: int
    service: str

    async def get(self, path: str) -> httpx.Response | None:
        try:
            async with httpx.AsyncClient(timeout=5.0) as client:
                return await client.get(f"http://127.0.0.1:{self.port}{path}")
        except httpx.TransportError:
            return None  # web server not up yet

    async def ready(self) -> bool:
        answer = await self.get("/readyz")
        return answer is not None and answer.status_code == 200

    async def handled(self, topic: str, event_type: str | None = None) -> float:
        """Events the worker's agents handled from `topic` (its /metrics)."""
        answer = await self.get("/metrics")
        assert answer is not None and answer.status_code == 200
        total = 0.0
        for family in text_string_to_metric_families(answer.text):
            for sample in family.samples:
                if (sample.name == "nahnetz_worker_events_handled_total" and sample.labels.get("topic") == topic
                        and event_type in (None, sample.labels.get("event_type"))):
                    total += sample.value
        return total

    def stop(self) -> None:
        self.process.stop(grace=8)


async def start_worker(service: str, name: str, env: dict[str, str], run_dir: Path) -> ServiceWorker:
    port = free_port()
    process = ManagedProcess(
        name, [sys.executable, "-m", f"services.{service}.worker"], run_dir / f"{name}.log",
        env={"NAHNETZ_ENV": "test", "NAHNETZ_SERVICE": service, "NAHNETZ_WORKER_PORT": str(port), **env},
        cwd=REPO,
    ).start()
    worker = ServiceWorker(process, port, service)
    try:
        await eventually(worker.ready, WORKER_START, f"{name} ready", worker)
    except BaseException:
        worker.stop()
        raise
    return worker


# -- the API in this process ------------------------------------------------------------------
@asynccontextmanager
async def api_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan (Redis, producer) and call it over ASGI."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://orders.test", timeout=30.0) as client:
            yield client


# -- what arrives on topics -------------------------------------------------------------------
@dataclass
class Record:
    topic: str
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]
    event: Event | None

    def header(self, name: str) -> str | None:
        return next((v.decode() for k, v in self.headers if k == name), None)


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
                                    auto_offset_reset="earliest")
        await consumer.start()
        await consumer.topics()  # metadata, so the partitions are known
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
                    self.records.append(Record(r.topic, r.key, r.value, list(r.headers or []), event))
            self.polls += 1

    def events(self, event_type: str | None = None, **fields: Any) -> list[Event]:
        return [r.event for r in self.records if r.event is not None
                and (event_type is None or r.event.type == event_type)
                and all(r.event.data.get(k) == v for k, v in fields.items())]

    async def wait_for(self, event_type: str, timeout: float = EFFECT, worker: ServiceWorker | None = None,
                       **fields: Any) -> Event:
        async def found():
            matches = self.events(event_type, **fields)
            return matches[0] if matches else None
        return await eventually(found, timeout, f"{event_type} {fields}", worker)

    async def wait_for_record(self, predicate: Callable[[Record], bool], what: str,
                              timeout: float = EFFECT) -> Record:
        async def found():
            return next((r for r in self.records if predicate(r)), None)
        return await eventually(found, timeout, what)

    async def caught_up(self, timeout: float = EFFECT) -> None:
        """Wait until everything on the topics at this moment has been read: a poll
        after now, and every partition's position at its fetched high-water mark."""
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


# -- playing catalog and pickup ---------------------------------------------------------------
def product_listed(product_id: str, shop_id: str, name: str, price_cents: int, *, stock: int = 50,
                   temperature: str = "AMBIENT") -> Event:
    return new_event("ProductListed", producer="catalog-api", product_id=product_id, shop_id=shop_id, name=name,
                     unit="Stück", price={"amount_cents": price_cents, "currency": "EUR"}, vat_rate_bp=700,
                     stock=stock, temperature_class=temperature, weight_g=250, volume_ml=500)


def pickup_point_registered(pickup_point_id: str, name: str) -> Event:
    return new_event(
        "PickupPointRegistered", producer="pickup-api", pickup_point_id=pickup_point_id, kind="LOCKER", name=name,
        address={"street": "Am Markt 1", "postal_code": "33034", "locality": "Brakel"},
        location={"lat": 51.717, "lon": 9.183}, municipality="Brakel",
        compartments=[{"compartment_id": "AM01", "temperature_class": "AMBIENT", "volume_ml": 40000}])


def stock_reserved(placed: Event, product_id: str) -> Event:
    lines = [{"product_id": l["product_id"], "shop_id": l["shop_id"], "quantity": l["quantity"]}
             for l in placed.lines if l["product_id"] == product_id]
    return new_event("StockReserved", producer="catalog-worker", caused_by=placed, order_id=placed.order_id,
                     lines=lines)


def stock_rejected(placed: Event, product_id: str, reason: str = "INSUFFICIENT_STOCK",
                   available: int | None = 1) -> Event:
    lines = [{"product_id": l["product_id"], "shop_id": l["shop_id"], "quantity": l["quantity"],
              "reason": reason, "available": available} for l in placed.lines if l["product_id"] == product_id]
    return new_event("StockRejected", producer="catalog-worker", caused_by=placed, order_id=placed.order_id,
                     lines=lines)


def compartment_reserved(placed: Event, compartment_ids: Iterable[str] = ("AM01",)) -> Event:
    return new_event("CompartmentReserved", producer="pickup-worker", caused_by=placed, order_id=placed.order_id,
                     pickup_point_id=placed.pickup_point_id, delivery_day=placed.delivery_day,
                     compartment_ids=list(compartment_ids))


def products_of(placed: Event) -> list[str]:
    return sorted({line["product_id"] for line in placed.lines})


async def answer_all_reserved(producer: EventProducer, placed: Event) -> list[Event]:
    answers = [stock_reserved(placed, pid) for pid in products_of(placed)] + [compartment_reserved(placed)]
    for answer in answers:
        await producer.publish(answer)
    return answers


def days_ahead(n: int) -> date:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo
    return datetime.now(ZoneInfo("Europe/Berlin")).date() + timedelta(days=n)
