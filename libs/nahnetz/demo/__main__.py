"""`python -m nahnetz.demo`: seed Kreis Höxter and show a day of orders.

Settings (environment): NAHNETZ_URL_<SERVICE> (set by `nahnetz up`),
NAHNETZ_DEMO_ORDERS (default 300), NAHNETZ_DEMO_SEED (default 2026),
NAHNETZ_DEMO_REGION (default kreis_hoexter), NAHNETZ_DEMO_EXPORTS (where the day's
KPI exports go; `nahnetz up` sets <run dir>/exports), NAHNETZ_DEMO_SIMULATE_DAYS (the
days before today run first through the stack's moved clock, so the KPIs have a past;
default 7, 0 for none; needs NAHNETZ_CLOCK_FILE and NAHNETZ_WORKER_URLS, which `nahnetz
up` sets).
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time
from pathlib import Path

from ..clock import today_in_berlin
from ..regions import load_region
from .client import DemoError, Platform, service_urls
from .freight import freight_day, participant
from .insights import DemoDays, exports_folder, insights_day
from .logistics import (
    codes_from_messages,
    delivered_orders,
    dispatch_and_drive,
    plan_tours,
    print_plan,
    residents_collect,
    wait_for_shipments,
    wait_until_ready,
)
from .report import print_compartments, print_orders, print_second_chance
from .residents import delivery_day, outcomes, place_orders, take_alternatives
from .seeding import OPERATOR, seed
from .simulate import Clock, Simulation, simulate, summary_line
from .web import web_sign_ins


WOCHENTAGE = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")


def say(line: str = "") -> None:
    print(line, flush=True)


async def run(urls: dict[str, str], orders: int, seed_value: int, region_name: str) -> None:
    region = load_region(region_name)
    platform = Platform(urls)
    try:
        say(f"Region {region.name}: {len(region.towns)} Städte / towns, {len(region.villages)} Dörfer / villages, "
            f"{len(region.shops)} Läden / shops, {len(region.pickup_points)} Abholstellen / pick-up points "
            f"(Koordinaten ungefähr / coordinates approximate)")
        past = await simulated_past(platform, region, seed_value, say)
        await seed(platform, region, say)
        day = await delivery_day(platform)
        say(f"\n{orders} Bestellungen für / orders for {WOCHENTAGE[day.weekday()]} {day:%d.%m.%Y} ...")
        began = time.monotonic()
        placed = await place_orders(platform, region, day, orders, seed_value)
        placing = time.monotonic() - began
        say(f"  aufgegeben in / placed in {placing:.1f} s ({len(placed) / placing:.0f} pro Sekunde / per second)")
        final = await outcomes(platform, placed)
        print_orders(placed, final, say)
        # Each rejection names what would work instead; a resident takes it (up to three times).
        for attempt in range(1, 4):
            second = await take_alternatives(platform, final)
            if not second:
                break
            print_second_chance(final, second, attempt, say)
            final |= second
        operator = platform.token(OPERATOR, "operator")
        views = await asyncio.gather(*(
            platform.call("pickup", "GET", f"/v1/pickup-points/{p.id}/occupancy", who=operator,
                          params={"day": day.isoformat()}) for p in region.pickup_points))
        print_compartments([v.json() for v in views], {p.id: p.name for p in region.pickup_points}, say)
        tours = 0
        if {"hub", "routing", "dispatch"} <= set(urls):
            tours = await logistics_day(platform, day, final, seed_value, say, region.hub.name)
        await freight_day(platform, region, day, os.environ["KAFKA_BOOTSTRAP"], say)
        if "insights" in urls:  # the day as the town halls see it
            demo_days = DemoDays(today_in_berlin(), day, len(final), tours, past.first if past else None)
            await insights_day(platform, demo_days, say, exports_folder())
        await web_sign_ins(platform, region, say, driver="driver-hx-1",
                           participant=participant(region.freight_trips[0].driver) if region.freight_trips else None,
                           resident_id=next((o.get("resident_id") for o in final.values()
                                             if o.get("status") == "CONFIRMED"), None))
    finally:
        await platform.close()


async def simulated_past(platform: Platform, region, seed_value: int, say) -> Simulation | None:
    """A short run of the days before today (`nahnetz simulate`), so the day's KPIs have a past."""
    days = int(os.environ.get("NAHNETZ_DEMO_SIMULATE_DAYS", "7"))
    clock_file, workers = os.environ.get("NAHNETZ_CLOCK_FILE"), os.environ.get("NAHNETZ_WORKER_URLS", "").split()
    if days <= 0 or not clock_file or not workers:
        return None
    say(f"\nDie letzten {days} Tage im Zeitraffer / the last {days} days, simulated (nahnetz simulate) ...")
    clock = Clock(Path(clock_file), os.environ["KAFKA_BOOTSTRAP"], workers)
    simulation = await simulate(platform, region, clock, days=days, orders_per_day=20, seed_value=seed_value + 1,
                                today=today_in_berlin(), say=lambda _line: None,
                                progress=lambda simulated, *_: say("  " + summary_line(simulated)))
    return simulation


async def logistics_day(platform: Platform, day, final: dict[str, dict], seed_value: int, say,
                        hub_name: str = "Logistikport HX") -> int:
    """Plan, dispatch and drive the day's tours, then let residents collect; returns the tours driven."""
    rng = random.Random(seed_value)
    confirmed = [o for o in final.values() if o["status"] == "CONFIRMED"]
    shipments = await wait_for_shipments(platform, day, confirmed)
    say(f"\n{hub_name}: {shipments['count']} Sendungen / shipments "
        f"(je Laden und Bestellung / one per shop and order)")
    plan = await plan_tours(platform, day, budget_s=int(os.environ.get("NAHNETZ_DEMO_PLAN_SECONDS", "10")))
    print_plan(plan, say)
    reports, tours = await dispatch_and_drive(platform, plan, say)
    say("  Fahrer melden / drivers report: " + ", ".join(f"{n} {what}" for what, n in reports.items()))
    orders = await wait_until_ready(platform, await delivered_orders(platform, tours))
    ready = [o for o in orders.values() if o["status"] == "READY_FOR_PICKUP"]
    waiting = len(confirmed) - len(ready)
    say(f"  {len(ready)} Bestellungen abholbereit / orders ready for pick-up, {waiting} warten auf die "
        f"nächste Tour / wait for the next tour")
    pins = await codes_from_messages(os.environ["KAFKA_BOOTSTRAP"], {o["order_id"] for o in ready})
    collected = await residents_collect(platform, ready, pins, rng)
    say("\nAbholung / collection: " + ", ".join(f"{n} {what}" for what, n in collected.items()))
    return len(tours)


def main() -> int:
    try:
        asyncio.run(run(
            service_urls(),
            orders=int(os.environ.get("NAHNETZ_DEMO_ORDERS", "300")),
            seed_value=int(os.environ.get("NAHNETZ_DEMO_SEED", "2026")),
            region_name=os.environ.get("NAHNETZ_DEMO_REGION", "kreis_hoexter"),
        ))
    except DemoError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
