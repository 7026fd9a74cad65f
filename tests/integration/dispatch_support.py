"""Helpers of the dispatch integration tests: the worker as a process, the API in
this process over ASGI with its lifespan, a log of what lands on topics, and the
upstream events (a shop, a pick-up point, shipments, a plan) a tour is built from."""

from __future__ import annotations

import asyncio
import sys
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi import FastAPI

from nahnetz.avro.errors import EventDecodeError
from nahnetz.events import Event, new_event, read_event
from nahnetz.records import (PickupPointRegistered, RoutePlanned, RoutePlanRequested, ShipmentRequested,
                             ShopRegistered)
from nahnetz.stack.processes import ManagedProcess, free_port
from nahnetz.topics import Topic

REPO = Path(__file__).resolve().parents[2]
WORKER_START = 60.0  # import + the group's first join (about half the 6 s session timeout)


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


# -- the worker as its own process -------------------------------------------------------------------
@dataclass
class DispatchWorker:
    process: ManagedProcess
    port: int

    async def ready(self) -> bool:
        try:
            async with httpx.AsyncClient(timeout=5.0) as client:
                answer = await client.get(f"http://127.0.0.1:{self.port}/readyz")
        except httpx.TransportError:
            return False
        return answer.status_code == 200


async def start_worker(app_id: str, bootstrap: str, redis_url: str, run_dir: Path) -> DispatchWorker:
    """`python -m services.dispatch.worker` as the stack runs it, in its own consumer group."""
    port = free_port()
    process = ManagedProcess(
        app_id, [sys.executable, "-m", "services.dispatch.worker"], run_dir / f"{app_id}.log",
        env={"KAFKA_BOOTSTRAP": bootstrap, "REDIS_URL": redis_url, "NAHNETZ_ENV": "test",
             "NAHNETZ_SERVICE": "dispatch", "NAHNETZ_WORKER_PORT": str(port), "DISPATCH_APP_ID": app_id},
        cwd=REPO,
    ).start()
    worker = DispatchWorker(process, port)
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
        async with httpx.AsyncClient(transport=transport, base_url="http://dispatch.test", timeout=30.0) as client:
            yield client


# -- what lands on topics ------------------------------------------------------------------------------
@dataclass
class TopicLog:
    """Reads topics from their beginning in the background and keeps every record."""

    bootstrap: str
    topics: list[tuple[str, int]]          # (name, partitions)
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

    def events(self, topic: Topic, *, key: str, type_: str | None = None) -> list[Event]:
        found = []
        for record in self.records:
            if record.topic != topic.name or record.key != key.encode():
                continue
            try:
                event = read_event(record.value)
            except EventDecodeError:
                continue
            if type_ is None or event.type == type_:
                found.append(event)
        return found

    def raw(self, topic_name: str, *, key: str) -> list:
        return [r for r in self.records if r.topic == topic_name and r.key == key.encode()]


# -- upstream events: what the hub, routing, catalog and pick-up services would publish --------------
def address(street: str, postal_code: str, locality: str) -> dict:
    return {"street": street, "postal_code": postal_code, "locality": locality, "country": "DE"}


def shop_registered(shop_id: str, name: str, lat: float, lon: float, note: str | None = None) -> Event:
    return new_event(ShopRegistered, producer="catalog-api", shop_id=shop_id, name=name, kind="FARM",
                     address=address("Dorfstraße 3", "37688", "Amelunxen"), location={"lat": lat, "lon": lon},
                     municipality="Beverungen", opening_hours={"intervals": [], "closed_on": [], "note": None},
                     contact={"person": None, "phone": "+4952719999", "email": None}, collection_note=note)


def point_registered(point_id: str) -> Event:
    return new_event(PickupPointRegistered, producer="pickup-api", pickup_point_id=point_id, kind="LOCKER",
                     name="Pick-up-Point HX Höxter Rathaus", address=address("Rathausplatz 1", "37671", "Höxter"),
                     location={"lat": 51.775, "lon": 9.383}, municipality="Höxter",
                     compartments=[{"compartment_id": "AM01", "label": "A1", "size": "M",
                                    "temperature_class": "AMBIENT", "volume_ml": 40000},
                                   {"compartment_id": "CM01", "label": "K1", "size": "M",
                                    "temperature_class": "CHILLED", "volume_ml": 40000}],
                     access_note="neben dem Rathauseingang")


def shipment_requested(shipment_id: str, order_id: str, shop_id: str, point_id: str, day: date,
                       compartments: list[str], temperature: str = "AMBIENT", weight_g: int = 2000) -> Event:
    window = {"start": datetime.combine(day, datetime.min.time(), timezone.utc) + timedelta(hours=6),
              "end": datetime.combine(day, datetime.min.time(), timezone.utc) + timedelta(hours=16)}
    return new_event(ShipmentRequested, producer="hub-worker", shipment_id=shipment_id, order_id=order_id,
                     shop_id=shop_id, pickup_point_id=point_id, compartment_ids=compartments, delivery_day=day,
                     weight_g=weight_g, volume_ml=weight_g * 2, temperature_class=temperature,
                     pickup_windows=[window], shop_location={"lat": 51.65, "lon": 9.33},
                     pickup_point_location={"lat": 51.775, "lon": 9.383})


@dataclass(frozen=True)
class Scenario:
    """One plan with one tour: hub -> shop A (s1) -> shop B (s2, chilled) -> point (s1, s2) -> hub."""

    plan_id: str
    tour_id: str
    vehicle_id: str
    day: date
    shop_a: str
    shop_b: str
    point: str
    shipments: tuple[str, str]
    orders: tuple[str, str]


def scenario(unique: str, day: date) -> Scenario:
    return Scenario(f"plan-{unique}", f"tour-{unique}", f"van-{unique}", day, f"shop-a-{unique}",
                    f"shop-b-{unique}", f"pp-{unique}", (f"s1-{unique}", f"s2-{unique}"),
                    (f"o1-{unique}", f"o2-{unique}"))


def _start(s: Scenario) -> datetime:
    return datetime.combine(s.day, datetime.min.time(), timezone.utc) + timedelta(hours=6)


def _stop(s: Scenario, kind: str, place: str, minutes: int, shipments: list[str] = ()) -> dict:
    return {"kind": kind, "place_id": place, "name": None, "location": {"lat": 51.7, "lon": 9.3},
            "job_ids": [f"job-{sid}" for sid in shipments], "shipment_ids": list(shipments),
            "eta": _start(s) + timedelta(minutes=minutes), "load_g": 1000 * len(shipments),
            "load_ml": 2000 * len(shipments)}


def _plan(s: Scenario, plan_id: str, tour_id: str, stops: list[dict], replan_of: str | None = None) -> list[Event]:
    depot = {"depot_id": "hub-hx", "name": "Logistikport HX", "location": {"lat": 51.69, "lon": 9.19}}
    vehicle = {"vehicle_id": s.vehicle_id, "name": "HX-NN 104", "max_weight_g": 800_000,
               "max_volume_ml": 6_000_000, "temperature_classes": ["AMBIENT", "CHILLED"],
               "shift": {"start": _start(s), "end": _start(s) + timedelta(hours=9)}}
    requested = new_event(RoutePlanRequested, producer="routing-api", plan_id=plan_id, day=s.day,
                          depot=depot, vehicles=[vehicle], jobs=[], time_budget_s=5, replan_of=replan_of)
    tour = {"tour_id": tour_id, "vehicle_id": s.vehicle_id, "distance_km": 61.3, "duration_s": 9000,
            "empty_km": 20.1, "load_factor": 0.1, "stops": stops}
    planned = new_event(RoutePlanned, producer="routing-worker", caused_by=requested, plan_id=plan_id,
                        day=s.day, tours=[tour], distance_km=61.3, solve_time_ms=800, matrix_source="great-circle",
                        replan_of=replan_of)
    return [requested, planned]


def replan_events(s: Scenario, plan_id: str, tour_id: str, urgent: str, order: str) -> list[Event]:
    """What routing answers to a re-plan of the scenario's plan: hub and shop A stay
    first (done), shop B is gone (closed), an urgent shipment of shop A's neighbour
    (shop B's place is reused for it) joins, the delivery takes both."""
    s1 = s.shipments[0]
    stops = [_stop(s, "DEPOT", "hub-hx", 0), _stop(s, "PICKUP", s.shop_a, 30, [s1]),
             _stop(s, "PICKUP", s.shop_b, 70, [urgent]), _stop(s, "DELIVERY", s.point, 110, [s1, urgent]),
             _stop(s, "DEPOT", "hub-hx", 160)]
    return [shipment_requested(urgent, order, s.shop_b, s.point, s.day, ["AM01"]),
            *_plan(s, plan_id, tour_id, stops, replan_of=s.plan_id)]


def plan_events(s: Scenario) -> list[Event]:
    """Everything dispatch needs before it can dispatch the scenario's tour, in the
    order the owners would publish it."""
    s1, s2 = s.shipments
    stops = [_stop(s, "DEPOT", "hub-hx", 0), _stop(s, "PICKUP", s.shop_a, 30, [s1]),
             _stop(s, "PICKUP", s.shop_b, 60, [s2]), _stop(s, "DELIVERY", s.point, 100, [s1, s2]),
             _stop(s, "DEPOT", "hub-hx", 150)]
    return [
        shop_registered(s.shop_a, "Hofladen Amelunxen", 51.65, 9.33, note="Anlieferung über den Hof"),
        shop_registered(s.shop_b, "Metzgerei <Brakel>", 51.71, 9.18),
        point_registered(s.point),
        shipment_requested(s1, s.orders[0], s.shop_a, s.point, s.day, ["AM01"]),
        shipment_requested(s2, s.orders[1], s.shop_b, s.point, s.day, ["CM01"], temperature="CHILLED"),
        *_plan(s, s.plan_id, s.tour_id, stops),
    ]
