"""Helpers of the pick-up integration tests: a watcher that reads the topics the
service writes, order events, and polling with a deadline."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import date
from typing import Any, Awaitable, Callable

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from nahnetz.avro.errors import EventDecodeError
from nahnetz.events import Event, new_event, read_event
from nahnetz.messaging.dead_letter import dead_letter_topic
from nahnetz.topics import Topic


async def eventually(probe: Callable[[], Awaitable[Any]], timeout: float, what: str, worker=None) -> Any:
    """Poll `probe` until it returns something truthy; fail naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        result = await probe()
        if result:
            return result
        if worker is not None and not worker.running:
            pytest.fail(f"{what}: the worker exited\n{worker.log_tail(40)}")
        if time.monotonic() > deadline:
            tail = f"\n{worker.log_tail(40)}" if worker is not None else ""
            pytest.fail(f"{what}: not within {timeout:.0f} s{tail}")
        await asyncio.sleep(0.1)


class TopicWatcher:
    """Reads topics from their beginning in the background and keeps every record,
    so tests look for the events they caused (by order id) without their own consumer."""

    def __init__(self, bootstrap: str, topics: list[Topic], dead_letters_of: list[Topic]):
        self.bootstrap = bootstrap
        self.names = [t.name for t in topics] + [dead_letter_topic(t).name for t in dead_letters_of]
        self.partitions = {t.name: t.partitions for t in topics}
        self.partitions.update({dead_letter_topic(t).name: 1 for t in dead_letters_of})
        self.records: dict[str, list] = {name: [] for name in self.names}
        self._task: asyncio.Task | None = None
        self._consumer: AIOKafkaConsumer | None = None

    async def start(self) -> "TopicWatcher":
        self._consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False,
                                          auto_offset_reset="earliest")
        await self._consumer.start()
        tps = [TopicPartition(name, p) for name in self.names for p in range(self.partitions[name])]
        self._consumer.assign(tps)
        await self._consumer.seek_to_beginning(*tps)
        self._task = asyncio.create_task(self._run())
        return self

    async def _run(self) -> None:
        while True:
            batch = await self._consumer.getmany(timeout_ms=200)
            for tp, records in batch.items():
                self.records[tp.topic].extend(records)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        if self._consumer is not None:
            await self._consumer.stop()

    def events(self, topic: Topic, order_id: str | None = None, type_: str | None = None) -> list[Event]:
        found = []
        for record in self.records[topic.name]:
            try:
                event = read_event(record.value)
            except EventDecodeError:
                continue
            if order_id is not None and event.data.get("order_id") != order_id:
                continue
            if type_ is not None and event.type != type_:
                continue
            found.append(event)
        return found

    def raw(self, topic_name: str) -> list:
        return list(self.records[topic_name])


def money(cents: int) -> dict[str, Any]:
    return {"amount_cents": cents, "currency": "EUR"}


def line(temperature: str, volume_ml: int, quantity: int = 1, product: str | None = None) -> dict[str, Any]:
    return {"product_id": product or f"p-{uuid.uuid4().hex[:8]}", "shop_id": "shop-test", "product_name": "Ware",
            "unit": "Stück", "quantity": quantity, "unit_price": money(250), "vat_rate_bp": 700,
            "temperature_class": temperature, "weight_g": 500 * quantity, "volume_ml": volume_ml}


def order_placed(order_id: str, point_id: str, day: date, lines: list[dict], resident: str = "r-1") -> Event:
    return new_event("OrderPlaced", producer="orders-api", order_id=order_id, resident_id=resident,
                     lines=lines, pickup_point_id=point_id, delivery_day=day, payment_method="SIMULATED",
                     channel="WEB", delivery_fee=money(290), total=money(290 + 250 * len(lines)))


def locker_body(point_id: str, compartments: list[tuple[str, str, int]], *, lat: float = 51.775,
                lon: float = 9.383, name: str = "Pick-up-Point HX Test") -> dict[str, Any]:
    """compartments: (id, temperature class, litres)."""
    return {
        "pickup_point_id": point_id, "kind": "LOCKER", "name": name,
        "address": {"street": "Am Markt 1", "postal_code": "37671", "locality": "Höxter"},
        "location": {"lat": lat, "lon": lon}, "municipality": "Höxter",
        "compartments": [{"compartment_id": cid, "label": cid, "size": "M", "temperature_class": temp,
                          "volume_ml": litres * 1000} for cid, temp, litres in compartments],
        "access_note": "neben dem Rathauseingang",
    }
