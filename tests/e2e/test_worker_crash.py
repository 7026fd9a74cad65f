"""The catalog worker dies hard in the middle of a busy hour and is started
again: no order is lost and no unit is reserved twice."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from collections import Counter, defaultdict
from pathlib import Path

import httpx
import pytest

from e2e_support import SERVICES, Platform, eventually, held_by
from nahnetz.stack.discovery import discover
from nahnetz.stack.processes import live_groups
from nahnetz.topics import CATALOG_STOCK_RESERVATIONS

pytestmark = pytest.mark.e2e

ORDERS = 500
KILL_AFTER = 200       # orders accepted before the worker is killed
CONCURRENCY = 16
STOCK = 150            # per product; about half of the demand, so stock runs out too
WORKER = "catalog-worker"
STACK_VARIABLES = ("NAHNETZ_", "KAFKA_", "REDIS_", "ORDERS_", "CATALOG_", "PYTHONUNBUFFERED")


def environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def stack_variables(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k.startswith(STACK_VARIABLES)}


async def test_catalog_worker_killed_and_restarted_during_500_orders_loses_none_and_reserves_none_twice(
        platform: Platform, unique: str) -> None:
    names = ["Kartoffeln", "Möhren", "Zwiebeln", "Milch", "Mehl"]
    shop = await platform.seed_shop(unique, {name: {"stock": STOCK} for name in names})
    products = list(shop.products.values())
    points = [await platform.seed_point(f"{unique}-{n}", ambient=260) for n in range(2)]
    day = await platform.delivery_day()

    rng = random.Random(unique)
    plans = []
    for i in range(ORDERS):
        basket = rng.sample(products, k=rng.choice((1, 1, 2)))
        plans.append((f"resident-{unique}-{i:03d}", points[i % 2], {p: rng.randint(1, 3) for p in basket}))

    stack = platform.stack
    original = stack.state().by_name(WORKER)
    assert original is not None and original.alive
    # The restart gets what `nahnetz up` gave the worker.
    process = next(p for p in discover(SERVICES) if p.name == WORKER)
    assert stack_variables(stack.service_env(process, original.port)) == stack_variables(environ_of(original.pid))

    accepted: list[str] = []
    enough_placed = asyncio.Event()
    gate = asyncio.Semaphore(CONCURRENCY)

    async def place(resident: str, point: str, lines: dict[str, int]) -> None:
        async with gate:
            accepted.append(await platform.place(resident, point, day, lines))
        if len(accepted) >= KILL_AFTER:
            enough_placed.set()

    async def crash_and_restart() -> tuple[int, float, int]:
        await enough_placed.wait()
        os.killpg(original.pid, signal.SIGKILL)
        placed_before_kill = len(accepted)
        await eventually(lambda: _gone(original.pid), 10, f"{WORKER} killed")
        killed_at = time.monotonic()
        restarted = stack.start_again(WORKER)
        async with httpx.AsyncClient(timeout=5) as client:
            async def ready() -> bool:
                try:
                    return (await client.get(f"{original.url}/readyz")).status_code == 200
                except httpx.TransportError:
                    return False
            await eventually(ready, 120, f"the restarted {WORKER} ready")
        return restarted.pid, time.monotonic() - killed_at, placed_before_kill

    crash = asyncio.create_task(crash_and_restart())
    await asyncio.gather(*(place(*plan) for plan in plans))
    restarted_pid, down_for, placed_before_kill = await crash
    assert placed_before_kill < ORDERS, "the worker was killed only after the last order"
    assert len(set(accepted)) == ORDERS
    assert stack.state().by_name(WORKER).pid == restarted_pid != original.pid

    # Every order decided, none lost (a saga timeout while the worker was away counts as decided).
    final = await platform.decided(accepted, timeout=180)
    statuses = Counter(view["status"] for view in final.values())
    reasons = Counter(view["rejection"]["reason"] for view in final.values() if view["status"] == "REJECTED")
    print(f"\n{ORDERS} orders, {WORKER} down for {down_for:.1f} s ({ORDERS - placed_before_kill} placed after "
          f"the kill): {dict(statuses)}; rejected because {dict(reasons)}")
    assert set(statuses) <= {"CONFIRMED", "REJECTED"} and sum(statuses.values()) == ORDERS
    assert statuses["CONFIRMED"] > 0

    # None reserved twice: what the catalog holds is exactly what the confirmed orders
    # imply, once the releases of the rejected ones are through.
    sold: dict[str, int] = defaultdict(int)
    for view in final.values():
        if view["status"] == "CONFIRMED":
            for line in view["lines"]:
                sold[line["product_id"]] += line["quantity"]
    expected = {p: {"available": STOCK - sold[p], "reserved": sold[p]} for p in products}

    async def stock_as_implied() -> dict | None:
        now = {p: {k: v for k, v in (await platform.availability(p)).items() if k in ("available", "reserved")}
               for p in products}
        return now if now == expected else None
    try:
        await eventually(stock_as_implied, 60, "stock as the confirmed orders imply", poll=0.5)
    except pytest.fail.Exception:
        actual = {p: await platform.availability(p) for p in products}
        pytest.fail(f"catalog stock differs from what the confirmed orders imply:\nexpected {expected}\n"
                    f"actual   {actual}")

    # On the wire: one reservation per order and product (a redelivered request
    # repeats the very same event, same id); one for every confirmed order's product.
    await platform.topics.caught_up()
    reservations: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in platform.topics.on(CATALOG_STOCK_RESERVATIONS.name, "StockReserved"):
        if r.event.order_id in final:
            for line in r.event.lines:
                reservations[(r.event.order_id, line["product_id"])].add(r.event.event_id)
    twice = {k: ids for k, ids in reservations.items() if len(ids) > 1}
    assert not twice, f"reserved twice: {twice}"
    for order_id, view in final.items():
        if view["status"] == "CONFIRMED":
            assert all((order_id, line["product_id"]) in reservations for line in view["lines"])

    # And the compartments: held by exactly the confirmed orders.
    for point in points:
        confirmed_here = {o for o, v in final.items()
                          if v["status"] == "CONFIRMED" and v["pickup_point"]["pickup_point_id"] == point}

        async def only_confirmed(point: str = point, confirmed_here: set = confirmed_here) -> bool:
            return set(held_by(await platform.occupancy(point, day)).values()) == confirmed_here
        await eventually(only_confirmed, 30, f"compartments of {point} held by its confirmed orders")


async def _gone(pgid: int) -> bool:
    return pgid not in live_groups([pgid])
