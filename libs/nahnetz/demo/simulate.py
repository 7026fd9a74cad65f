"""Days of a region's life through the real services, so the KPIs show trends.

The stack's clock (`nahnetz.clock`, an offset file in the run dir) is moved through
the N days before today; on each market day (Thursday and Friday, when every shop
of the region pack is open) residents order the evening before, the hub plans and
drives the tours in the morning, residents collect in the afternoon, and parcels
nobody fetches expire as the days pass. Every figure comes from the services'
own events, stamped with the simulated time. At the end the clock is back on the
wall clock, whatever happened.

    nahnetz up --no-seed --detach && nahnetz simulate --days 90

Volume per market day varies around `orders_per_day` (Friday busier, a slow
growth over the weeks, noise), with the same residents ordering again.
"""

from __future__ import annotations

import random
import time as time_module
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Callable

from ..clock import BERLIN, set_offset
from ..regions import Region
from .client import DemoError, Platform
from .logistics import (
    codes_from_messages, delivered_orders, dispatch_and_drive, plan_tours, residents_collect, wait_for_shipments,
    wait_until_ready,
)
from .residents import MARKET_DAYS, outcomes, place_orders, take_alternatives
from .seeding import seed
from .settle import settled

ORDERS_AT = time(16, 0)      # the evening before, before the 18:00 cut-off
TOURS_AT = time(5, 30)       # the morning of the market day
COLLECT_AT = time(17, 0)     # residents fetch their goods after work
PLAN_BUDGET_S = 5


@dataclass
class SimulatedDay:
    day: date
    orders: int = 0
    confirmed: int = 0
    tours: int = 0
    ready: int = 0
    collected: int = 0
    seconds: dict[str, float] = field(default_factory=dict)   # real time each phase took
    problem: str | None = None   # what went wrong with the day's tours (the simulation goes on)

    def timed(self, phase: str, began: float) -> None:
        self.seconds[phase] = round(time_module.monotonic() - began, 1)


@dataclass
class Simulation:
    first: date
    last: date
    days: list[SimulatedDay] = field(default_factory=list)

    @property
    def orders(self) -> int:
        return sum(d.orders for d in self.days)


def market_days(first: date, last: date) -> list[date]:
    """The Thursdays and Fridays in [first, last]."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)
            if (first + timedelta(days=n)).weekday() in MARKET_DAYS]


def volume(day: date, first: date, orders_per_day: int, rng: random.Random) -> int:
    """Orders on a market day: Friday a fifth busier, growing 1 % a week, +-15 % noise."""
    weeks = (day - first).days / 7
    mean = orders_per_day * (1.2 if day.weekday() == 4 else 1.0) * (1.01 ** weeks)
    return max(1, round(rng.gauss(mean, 0.15 * mean)))


class Clock:
    """The stack's clock, set to local times of simulated days; each move waits until
    the workers have handled what happened before it (`settle.settled`)."""

    def __init__(self, path: Path, bootstrap: str, worker_urls: list[str]) -> None:
        self.path, self.bootstrap, self.worker_urls = path, bootstrap, worker_urls
        self.waited_s = 0.0

    async def at(self, day: date, clock: time) -> None:
        self.waited_s += await settled(self.bootstrap, self.worker_urls)
        wanted = datetime.combine(day, clock, tzinfo=BERLIN)
        set_offset(self.path, (wanted - datetime.now(timezone.utc)).total_seconds())

    async def back_to_wall_clock(self) -> None:
        try:
            self.waited_s += await settled(self.bootstrap, self.worker_urls)
        finally:
            self.path.unlink(missing_ok=True)


async def simulate(platform: Platform, region: Region, clock: Clock, *, days: int,
                   orders_per_day: int, seed_value: int, today: date, say: Callable[[str], None],
                   progress: Callable[[SimulatedDay, int, int], None] = lambda *_: None,
                   seed_region: bool = True) -> Simulation:
    """Simulate the `days` days before `today`; `progress(day, done, total)` after each market day."""
    if days < 1:
        raise DemoError("simulate at least one day")
    first, last = today - timedelta(days=days), today - timedelta(days=1)
    rng = random.Random(seed_value)
    simulation = Simulation(first, last)
    schedule = market_days(first, last)
    try:
        if seed_region:  # the shops and points exist from the first simulated day on
            await clock.at(first - timedelta(days=1), time(8, 0))
            await seed(platform, region, say)
        for n, day in enumerate(schedule, start=1):
            simulated = await market_day(platform, region, clock, day,
                                         volume(day, first, orders_per_day, rng), rng)
            simulation.days.append(simulated)
            progress(simulated, n, len(schedule))
    finally:
        await clock.back_to_wall_clock()
    return simulation


async def market_day(platform: Platform, region: Region, clock: Clock, day: date, orders: int,
                     rng: random.Random) -> SimulatedDay:
    simulated = SimulatedDay(day, orders=orders)
    await clock.at(day - timedelta(days=1), ORDERS_AT)
    began = time_module.monotonic()
    placed = await place_orders(platform, region, day, orders, rng.randrange(1 << 30))
    final = await outcomes(platform, placed)
    final |= await take_alternatives(platform, final)
    confirmed = [o for o in final.values() if o["status"] == "CONFIRMED"]
    simulated.confirmed = len(confirmed)
    simulated.timed("orders", began)
    if not confirmed:
        return simulated
    await clock.at(day, TOURS_AT)
    try:
        await _tours_and_collection(platform, clock, simulated, confirmed, rng)
    except DemoError as exc:   # e.g. no plan within the budget on a busy machine: as on a real bad day
        simulated.problem = str(exc)
    return simulated


async def _tours_and_collection(platform: Platform, clock: Clock, simulated: SimulatedDay, confirmed: list[dict],
                                rng: random.Random) -> None:
    day = simulated.day
    began = time_module.monotonic()
    await wait_for_shipments(platform, day, confirmed)
    simulated.timed("shipments", began)
    began = time_module.monotonic()
    plan = await plan_tours(platform, day, budget_s=PLAN_BUDGET_S)
    simulated.timed("plan", began)
    began = time_module.monotonic()
    _, tours = await dispatch_and_drive(platform, plan, lambda _line: None)
    simulated.tours = len(tours)
    simulated.timed("drive", began)
    began = time_module.monotonic()
    ready = [o for o in (await wait_until_ready(platform, await delivered_orders(platform, tours))).values()
             if o["status"] == "READY_FOR_PICKUP"]
    simulated.ready = len(ready)
    simulated.timed("ready", began)
    began = time_module.monotonic()
    pins = await codes_from_messages(clock.bootstrap, {o["order_id"] for o in ready})
    simulated.timed("codes", began)
    await clock.at(day, COLLECT_AT)
    began = time_module.monotonic()
    collected = await residents_collect(platform, ready, pins, rng)
    simulated.collected = collected.get("abgeholt / collected", 0)
    simulated.timed("collect", began)


def summary_line(simulated: SimulatedDay) -> str:
    return (f"{simulated.day:%a %d.%m.%Y}: {simulated.orders} Bestellungen / orders, {simulated.confirmed} bestätigt / "
            f"confirmed, {simulated.tours} Touren / tours, {simulated.collected} abgeholt / collected "
            f"({sum(simulated.seconds.values()):.0f} s: "
            + ", ".join(f"{phase} {s:.0f}" for phase, s in simulated.seconds.items()) + ")"
            + (f"; Problem: {simulated.problem}" if simulated.problem else ""))


