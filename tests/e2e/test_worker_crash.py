"""The catalog worker dies hard in the middle of a busy hour and is started
again: no order is lost and no unit is reserved twice.

Orders come before the kill (some decided, many in flight), while the worker is
away (until the saga rejects the first for TIMEOUT, so that path is taken too:
their requests are decided and released after the restart), and after it is
ready again (decided behind the backlog; stock runs out)."""

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

from nahnetz.records import OrderRejected, StockReserved
from nahnetz.stack.discovery import discover
from nahnetz.stack.processes import live_groups
from nahnetz.testing import NotInTime, eventually
from nahnetz.topics import CATALOG_STOCK_RESERVATIONS, ORDERS_ORDERS

from .e2e_support import SAGA_TIMEOUT_S, E2EPlatform, held_by

pytestmark = pytest.mark.e2e

ORDERS = 300
BEFORE, DURING = 200, 100  # orders placed before and while the worker is away; the rest after
KILL_AT = 150              # orders accepted when the worker is killed
CONCURRENCY = 16
STOCK = 60             # per product: less than the orders after the restart want, so stock runs out too
WORKER = "catalog-worker"
STACK_VARIABLES = ("NAHNETZ_", "KAFKA_", "REDIS_", "ORDERS_", "CATALOG_", "PYTHONUNBUFFERED")


def environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def stack_variables(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k.startswith(STACK_VARIABLES)}


async def test_catalog_worker_killed_and_restarted_during_300_orders_loses_none_and_reserves_none_twice(
        platform: E2EPlatform, unique: str) -> None:
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
    process = next(p for p in discover(stack.services_dir) if p.name == WORKER)
    assert stack_variables(stack.service_env(process, original.port)) == stack_variables(environ_of(original.pid))

    accepted: list[str] = []
    gate = asyncio.Semaphore(CONCURRENCY)

    async def place(plans: list) -> None:
        async def one(resident: str, point: str, lines: dict[str, int]) -> None:
            async with gate:
                accepted.append(await platform.place(resident, point, day, lines))
        await asyncio.gather(*(one(*plan) for plan in plans))

    async def kill_when(placed: int) -> int:
        await eventually(lambda: len(accepted) >= placed, timeout=120, what=f"{placed} orders placed")
        os.killpg(original.pid, signal.SIGKILL)
        return len(accepted)

    async def first_timeout() -> bool:
        ours = set(accepted)
        return any(e.reason == "TIMEOUT" and e.order_id in ours
                   for e in platform.topics.events(ORDERS_ORDERS, OrderRejected))

    # Before: the worker is killed hard while it is busy with the first orders.
    killing = asyncio.create_task(kill_when(KILL_AT))
    await place(plans[:BEFORE])
    placed_before_kill = await killing
    await eventually(lambda: original.pid not in live_groups([original.pid]), timeout=10, what=f"{WORKER} killed")
    killed_at = time.monotonic()
    # During: orders keep coming while nobody decides their stock, until the saga
    # gives up on the first (TIMEOUT), so that path is taken too.
    await place(plans[BEFORE:BEFORE + DURING])
    await eventually(first_timeout, timeout=SAGA_TIMEOUT_S + 60,
                     what="an order rejected for TIMEOUT while the worker is away")
    # After: started again with the same command and environment; once it is ready
    # (group joined, partitions assigned) the rest of the orders come in while it
    # works off what waited.
    restarted = stack.start_again(WORKER)
    assert stack.state().by_name(WORKER).pid == restarted.pid != original.pid
    async with httpx.AsyncClient(timeout=5) as client:
        async def ready() -> bool:
            try:
                return (await client.get(f"{original.url}/readyz")).status_code == 200
            except httpx.TransportError:
                return False
        await eventually(ready, timeout=120, what=f"the restarted {WORKER} ready")
    down_for = time.monotonic() - killed_at
    await place(plans[BEFORE + DURING:])
    assert len(set(accepted)) == ORDERS

    # Every order decided, none lost (a saga timeout while the worker was away counts as decided).
    final = await platform.decided(accepted, timeout=180)
    statuses = Counter(view["status"] for view in final.values())
    reasons = Counter(view["rejection"]["reason"] for view in final.values() if view["status"] == "REJECTED")
    print(f"\n{ORDERS} orders, {WORKER} killed after {placed_before_kill} were placed, ready again after "
          f"{down_for:.1f} s: {dict(statuses)}; rejected because {dict(reasons)}")
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
        await eventually(stock_as_implied, timeout=60, interval=0.5, what="stock as the confirmed orders imply")
    except NotInTime:
        actual = {p: await platform.availability(p) for p in products}
        pytest.fail(f"catalog stock differs from what the confirmed orders imply:\nexpected {expected}\n"
                    f"actual   {actual}")

    # On the wire: one reservation per order and product (a redelivered request
    # repeats the very same event, same id); one for every confirmed order's product.
    await platform.topics.caught_up()
    reservations: dict[tuple[str, str], set[str]] = defaultdict(set)
    for reserved in platform.topics.events(CATALOG_STOCK_RESERVATIONS, StockReserved):
        if reserved.order_id in final:
            for line in reserved.lines:
                reservations[(reserved.order_id, line.product_id)].add(reserved.event_id)
    twice = {k: ids for k, ids in reservations.items() if len(ids) > 1}
    assert not twice, f"reserved twice: {twice}"
    for order_id, view in final.items():
        if view["status"] == "CONFIRMED":
            assert all((order_id, line["product_id"]) in reservations for line in view["lines"])

    # Redelivered after the crash, nothing was given up on.
    assert platform.topics.dead_letters(keys={*accepted, *products, *points}) == []

    # And the compartments: held by exactly the confirmed orders.
    for point in points:
        confirmed_here = {o for o, v in final.items()
                          if v["status"] == "CONFIRMED" and v["pickup_point"]["pickup_point_id"] == point}

        async def only_confirmed(point: str = point, confirmed_here: set = confirmed_here) -> bool:
            return set(held_by(await platform.occupancy(point, day)).values()) == confirmed_here
        await eventually(only_confirmed, timeout=30, what=f"compartments of {point} held by its confirmed orders")
