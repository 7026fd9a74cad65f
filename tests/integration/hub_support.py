"""Helpers of the hub and routing integration tests: workers as their own
processes (each test module its own consumer group), APIs in this process over
ASGI with their lifespan, a log of what lands on topics, the worker's metrics,
and the upstream events (shops, pick-up points, orders, shipments, tours)."""

from __future__ import annotations

import asyncio
import re
import sys
import time
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time as clock, timezone
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi import FastAPI

from nahnetz.avro.errors import EventDecodeError
from nahnetz.clock import BERLIN
from nahnetz.events import Event, new_event, read_event
from nahnetz.kit.auth import issue_token
from nahnetz.kit.settings import DEV_JWT_SECRET
from nahnetz.records import OrderConfirmed, OrderPlaced, PickupPointRegistered, ShopRegistered
from nahnetz.stack.processes import ManagedProcess, free_port
from nahnetz.topics import Topic

REPO = Path(__file__).resolve().parents[2]
WORKER_START = 60.0  # import + the group's first join (about half the 6 s session timeout)
EFFECT = 30.0


async def eventually(probe: Callable[[], Awaitable[Any]], timeout: float, what: str,
                     process: ManagedProcess | None = None) -> Any:
    """Poll `probe` until it returns something truthy; fail naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        result = await probe()
        if result:
            return result
        if process is not None and not process.running:
            pytest.fail(f"{what}: the worker exited\n{process.log_tail(40)}")
        if time.monotonic() > deadline:
            tail = f"\n{process.log_tail(40)}" if process is not None else ""
            pytest.fail(f"{what}: not within {timeout:.0f} s{tail}")
        await asyncio.sleep(0.1)


def auth(role: str = "operator", sub: str = "op-test") -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(DEV_JWT_SECRET, sub, role)}"}


# -- workers as processes -------------------------------------------------------------------------------
@dataclass
class Worker:
    process: ManagedProcess
    port: int

    async def get(self, path: str) -> httpx.Response | None:
        try:
            async with httpx.AsyncClient(timeout=5.0) as client:
                return await client.get(f"http://127.0.0.1:{self.port}{path}")
        except httpx.TransportError:
            return None

    async def ready(self) -> bool:
        answer = await self.get("/readyz")
        return answer is not None and answer.status_code == 200

    async def handled(self, topic: Topic, event_type: str) -> int:
        """How many events of the type the worker has handled from the topic."""
        answer = await self.get("/metrics")
        pattern = (r'nahnetz_worker_events_handled_total\{event_type="%s",service="[^"]+",topic="%s"\} ([0-9.e+]+)'
                   % (re.escape(event_type), re.escape(topic.name)))
        found = re.search(pattern, answer.text) if answer is not None else None
        return int(float(found.group(1))) if found else 0


async def start_worker(service: str, app_id: str, bootstrap: str, redis_url: str, run_dir: Path,
                       env: dict[str, str] | None = None) -> Worker:
    """`python -m services.<service>.worker` as the stack runs it, in its own consumer group."""
    port = free_port()
    process = ManagedProcess(
        app_id, [sys.executable, "-m", f"services.{service}.worker"], run_dir / f"{app_id}.log",
        env={"KAFKA_BOOTSTRAP": bootstrap, "REDIS_URL": redis_url, "NAHNETZ_ENV": "test",
             "NAHNETZ_SERVICE": service, "NAHNETZ_WORKER_PORT": str(port),
             f"{service.upper()}_APP_ID": app_id, **(env or {})},
        cwd=REPO,
    ).start()
    worker = Worker(process, port)
    try:
        await eventually(worker.ready, WORKER_START, f"{app_id} ready", process)
    except BaseException:
        process.stop(grace=8)
        raise
    return worker


@asynccontextmanager
async def api_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan (Redis, producer) and call it over ASGI."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test", timeout=30.0) as client:
            yield client


# -- what lands on topics ------------------------------------------------------------------------------
@dataclass
class TopicLog:
    """Reads topics from their beginning in the background and keeps every record."""

    bootstrap: str
    topics: list[tuple[str, int]]  # (name, partitions)
    records: list[Any] = field(default_factory=list)
    _consumer: AIOKafkaConsumer | None = None
    _task: asyncio.Task | None = None

    async def start(self) -> "TopicLog":
        self._consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False,
                                          auto_offset_reset="earliest")
        await self._consumer.start()
        tps = [TopicPartition(name, p) for name, partitions in self.topics for p in range(partitions)]
        self._consumer.assign(tps)
        await self._consumer.seek_to_beginning(*tps)
        self._task = asyncio.create_task(self._run())
        return self

    async def _run(self) -> None:
        while True:
            batch = await self._consumer.getmany(timeout_ms=200)
            for records in batch.values():
                self.records.extend(records)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        if self._consumer is not None:
            await self._consumer.stop()

    def events(self, topic: Topic, *, key: str | None = None, type_: str | None = None,
               where: Callable[[Event], bool] | None = None) -> list[Event]:
        found = []
        for record in self.records:
            if record.topic != topic.name or (key is not None and record.key != key.encode()):
                continue
            try:
                event = read_event(record.value)
            except EventDecodeError:
                continue
            if (type_ is None or event.type == type_) and (where is None or where(event)):
                found.append(event)
        return found

    def raw(self, topic_name: str, *, key: str) -> list:
        return [r for r in self.records if r.topic == topic_name and r.key == key.encode()]

    async def wait_for(self, topic: Topic, count: int, what: str, process: ManagedProcess | None = None,
                       timeout: float = EFFECT, **filters: Any) -> list[Event]:
        async def enough() -> list[Event] | None:
            found = self.events(topic, **filters)
            return found if len(found) >= count else None

        return await eventually(enough, timeout, what, process)


# -- upstream events ------------------------------------------------------------------------------------
def unique_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def money(cents: int) -> dict[str, Any]:
    return {"amount_cents": cents, "currency": "EUR"}


def opening_hours(days: tuple[str, ...] = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"),
                  opens: clock = clock(8), closes: clock = clock(18)) -> dict[str, Any]:
    return {"intervals": [{"weekday": d, "opens": opens, "closes": closes} for d in days],
            "closed_on": [], "note": None}


def shop_registered(shop_id: str, *, lat: float = 51.72, lon: float = 9.30,
                    hours: dict | None = None) -> ShopRegistered:
    return new_event(
        ShopRegistered, producer="catalog-api", shop_id=shop_id, name=f"Hofladen {shop_id[-4:]}", kind="FARM",
        address={"street": "Dorfstraße 3", "postal_code": "37671", "locality": "Ottbergen", "country": "DE"},
        location={"lat": lat, "lon": lon}, municipality="Höxter", opening_hours=hours or opening_hours(),
        contact={"person": None, "phone": "+4952711234", "email": None})


def point_registered(point_id: str, *, lat: float = 51.71, lon: float = 9.18,
                     kind: str = "LOCKER") -> PickupPointRegistered:
    return new_event(
        PickupPointRegistered, producer="pickup-api", pickup_point_id=point_id, kind=kind,
        name=f"Pick-up-Point HX {point_id[-4:]}",
        address={"street": "Am Bahnhof 1", "postal_code": "33034", "locality": "Brakel", "country": "DE"},
        location={"lat": lat, "lon": lon}, municipality="Brakel",
        compartments=[{"compartment_id": f"A{i}", "label": f"A{i}", "size": "M", "temperature_class": "AMBIENT",
                       "volume_ml": 45_000, "max_weight_g": None} for i in range(1, 5)])


def order_line(shop_id: str, product_id: str, *, weight_g: int = 800, volume_ml: int = 1500,
               temperature: str = "AMBIENT", quantity: int = 1) -> dict[str, Any]:
    return {"product_id": product_id, "shop_id": shop_id, "product_name": f"Ware {product_id[-4:]}",
            "unit": "Stück", "quantity": quantity, "unit_price": money(250), "vat_rate_bp": 700,
            "temperature_class": temperature, "weight_g": weight_g, "volume_ml": volume_ml}


def order_placed(order_id: str, point_id: str, day: date, lines: list[dict[str, Any]]) -> OrderPlaced:
    return new_event(OrderPlaced, producer="orders-api", order_id=order_id, resident_id="r-test",
                     lines=lines, pickup_point_id=point_id, delivery_day=day, payment_method="SIMULATED",
                     channel="WEB", delivery_fee=money(250), total=money(250 + 250 * len(lines)))


def order_confirmed(placed: OrderPlaced, compartments: list[str]) -> OrderConfirmed:
    return new_event(OrderConfirmed, producer="orders-worker", caused_by=placed, order_id=placed.order_id,
                     pickup_point_id=placed.pickup_point_id, delivery_day=placed.delivery_day,
                     compartment_ids=compartments)


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    """Local wall-clock time in Brakel on `day`, as UTC."""
    return datetime.combine(day, clock(hour, minute), tzinfo=BERLIN).astimezone(timezone.utc)
