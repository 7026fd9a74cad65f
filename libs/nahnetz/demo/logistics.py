"""The logistics day: the hub's shipments, tours planned by OR-Tools, dispatched
to drivers, driven stop by stop (one shop is found closed), parcels into the
lockers, and residents collecting with the code from their message."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from datetime import date, timedelta

from aiokafka import AIOKafkaConsumer

from ..avro.errors import EventDecodeError
from ..events import read_event
from ..records import NotificationRequested
from ..topics import NOTIFY_REQUESTS
from .client import DemoError, Platform
from .seeding import OPERATOR

SETTLED = ("READY_FOR_PICKUP", "COLLECTED", "EXPIRED", "CANCELLED", "REJECTED")


async def wait_for_shipments(platform: Platform, day: date, confirmed: list[dict],
                             timeout: float = 60.0) -> dict:
    """The hub's shipments of the day, once there is one for every shop of every
    confirmed order (the hub may move one to a later day when a shop is closed,
    so the week after `day` counts too)."""
    operator = platform.token(OPERATOR, "operator")
    wanted = {(o["order_id"], line["shop_id"]) for o in confirmed for line in o["lines"]}
    days = [day + timedelta(days=n) for n in range(7)]
    deadline = time.monotonic() + timeout
    while True:
        answers = await asyncio.gather(*(platform.call("hub", "GET", "/v1/shipments", who=operator,
                                                       params={"day": d.isoformat()}) for d in days))
        found = {(s["order_id"], s["shop_id"]) for a in answers for s in a.json()["shipments"]}
        if wanted <= found or time.monotonic() > deadline:
            return answers[0].json()
        await asyncio.sleep(0.3)


async def plan_tours(platform: Platform, day: date, budget_s: int, timeout: float = 120.0) -> dict:
    operator = platform.token(OPERATOR, "operator")
    requested = (await platform.call("routing", "POST", "/v1/plans", who=operator,
                                     json={"day": day.isoformat(), "time_budget_s": budget_s},
                                     headers={"Idempotency-Key": str(uuid.uuid4())})).json()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        plan = (await platform.call("routing", "GET", f"/v1/plans/{requested['plan_id']}", who=operator)).json()
        if plan["status"] == "PLANNED":
            return plan
        if plan["status"] == "FAILED":
            raise DemoError(f"planning failed: {plan.get('failure')}")
        await asyncio.sleep(0.5)
    raise DemoError(f"plan {requested['plan_id']} not ready within {timeout:.0f} s")


def print_plan(plan: dict, say) -> None:
    figures = plan["figures"]
    say("")
    say(f"Touren für / tours for {plan['day']} (OR-Tools, {figures['solve_time_ms'] / 1000:.1f} s)")
    say(f"  {'Fahrzeug / vehicle':<14} {'Stopps':>6} {'km':>7} {'Kosten / cost €':>15} {'Leer-km':>8} {'Dauer':>7} "
        f"{'Auslastung':>10}")
    for tour in plan["tours"]:
        stops = len(tour["stops"]) - 2  # without leaving and returning to the hub
        hours, minutes = divmod(round(tour["duration_s"] / 60), 60)
        load = f"{tour['load_factor'] * 100:.0f} %" if tour.get("load_factor") is not None else "-"
        say(f"  {tour['vehicle_id']:<14} {stops:>6} {tour['distance_km']:>7.1f} {_euros(tour.get('cost_eur')):>15} "
            f"{tour['empty_km']:>8.1f} {hours:>4}:{minutes:02d} {load:>10}")
    say(f"  {'Summe / total':<14} {figures['stops']:>6} {figures['distance_km']:>7.1f} "
        f"{_euros(plan.get('cost_eur')):>15} {figures['empty_km']:>8.1f}")
    if plan["dropped"]:
        say("  Nicht eingeplant / left out:")
        for reason, count in Counter(d["reason"] for d in plan["dropped"]).most_common():
            detail = next(d.get("detail") for d in plan["dropped"] if d["reason"] == reason)
            say(f"    {count} x {reason}" + (f": {detail}" if detail else ""))


def _euros(amount: float | None) -> str:
    """Euros like the km beside them; a plan from before costs were carried has none (-)."""
    return "-" if amount is None else f"{amount:.2f}"


async def dispatch_and_drive(platform: Platform, plan: dict, say) -> tuple[Counter, list[tuple[str, str]]]:
    """Dispatch every tour to a driver and drive it; returns what the drivers
    reported and the (tour, driver) pairs."""
    operator = platform.token(OPERATOR, "operator")
    reports: Counter = Counter()
    tours = []
    for n, tour in enumerate(plan["tours"], start=1):
        driver = f"driver-hx-{n}"
        dispatched = await _dispatch(platform, operator, plan["plan_id"], tour["vehicle_id"], driver)
        tours.append((dispatched["tour_id"], driver))
    say(f"  {len(tours)} Touren an Fahrer übergeben / tours dispatched to drivers "
        f"(Tourenzettel / tour sheet: GET /v1/tours/<id>/sheet)")
    # One shop is found closed on the first tour: its goods stay for the next day.
    closed_shop = next((stop["place_id"] for stop in (await _tour(platform, *tours[0]))["stops"]
                        if any(c["shop_id"] == stop["place_id"] for c in stop["load"])), None) if tours else None
    await asyncio.gather(*(_drive(platform, tour_id, driver, closed_shop, reports) for tour_id, driver in tours))
    return reports, tours


async def _dispatch(platform: Platform, operator: dict, plan_id: str, vehicle_id: str, driver: str,
                    patience_s: float = 30.0) -> dict:
    """Hand a planned tour to a driver. Dispatch learns of the plan from the routing
    service's event: until then it answers 409 "try again when it is planned"."""
    deadline = time.monotonic() + patience_s
    while True:
        answer = await platform.call("dispatch", "POST", "/v1/tours", who=operator, ok=(201, 202, 409),
                                     json={"plan_id": plan_id, "vehicle_id": vehicle_id, "driver_id": driver},
                                     headers={"Idempotency-Key": f"{plan_id}-{vehicle_id}"})
        if answer.status_code != 409:
            return answer.json()
        if "try again" not in answer.text or time.monotonic() > deadline:
            raise DemoError(f"dispatch: POST /v1/tours answered 409: {answer.text[:300]}")
        await asyncio.sleep(0.5)


async def _tour(platform: Platform, tour_id: str, driver: str) -> dict:
    return (await platform.call("dispatch", "GET", f"/v1/tours/{tour_id}",
                                who=platform.token(driver, "driver"))).json()


async def _drive(platform: Platform, tour_id: str, driver: str, closed_shop: str | None,
                 reports: Counter) -> None:
    me = platform.token(driver, "driver")
    tour = await _tour(platform, tour_id, driver)
    for stop in tour["stops"]:
        path = f"/v1/tours/{tour_id}/stops/{stop['seq']}"
        if stop["place_id"] == closed_shop:
            await platform.call("dispatch", "POST", f"{path}/failed", who=me,
                                json={"reason": "SHOP_CLOSED", "note": "Laden geschlossen / shop closed"})
            reports["Laden geschlossen / shop closed"] += 1
            continue
        await platform.call("dispatch", "POST", f"{path}/arrived", who=me)
        # At the hub mid-tour the van is unloaded first, then loaded for the last mile.
        if stop["unload"]:
            answer = await platform.call("dispatch", "POST", f"{path}/delivered", who=me, ok=(201, 409))
            if answer.status_code == 409:
                # Nothing of it is on board (its shop was closed): the stop fails, the goods come tomorrow.
                await platform.call("dispatch", "POST", f"{path}/failed", who=me, json={
                    "reason": "OTHER", "note": "Ware nicht an Bord / goods not on board"})
                reports["nicht an Bord / not on board"] += 1
                continue
            reports["abgeliefert / delivered"] += 1
        if stop["load"]:
            await platform.call("dispatch", "POST", f"{path}/collected", who=me)
            reports["abgeholt / collected"] += 1


async def delivered_orders(platform: Platform, plan_tours: list[tuple[str, str]]) -> dict[str, set[str]]:
    """Orders whose goods a driver reported delivered into a pick-up point, with the
    shops whose goods arrived (an order across shops is ready once all have)."""
    delivered: dict[str, set[str]] = {}
    for tour_id, driver in plan_tours:
        for stop in (await _tour(platform, tour_id, driver))["stops"]:
            # Unloaded at a pick-up point (not at the hub on the way).
            if stop["kind"] == "DELIVERY" and stop["status"] == "DONE":
                unloaded = set(stop["progress"].get("delivered", ()))  # goods not on board stay out
                for c in stop["unload"]:
                    if c["shipment_id"] in unloaded:
                        delivered.setdefault(c["order_id"], set()).add(c["shop_id"])
    return delivered


async def wait_until_ready(platform: Platform, delivered: dict[str, set[str]],
                           timeout: float = 60.0) -> dict[str, dict]:
    """The delivered orders as the orders API shows them, once each whose goods all
    arrived is ready for pick-up (its parcel deposited) — or the deadline passed.
    An order still missing a shop's goods (a closed shop) waits for a later tour."""
    operator = platform.token(OPERATOR, "operator")
    deadline = time.monotonic() + timeout

    def waiting_for(order: dict) -> bool:
        complete = {line["shop_id"] for line in order["lines"]} <= delivered.get(order["order_id"], set())
        return complete and order["status"] not in SETTLED

    while True:
        answers = await asyncio.gather(*(platform.call("orders", "GET", f"/v1/orders/{o}", who=operator)
                                         for o in delivered))
        orders = {a.json()["order_id"]: a.json() for a in answers}
        if not any(map(waiting_for, orders.values())) or time.monotonic() > deadline:
            return orders
        await asyncio.sleep(0.5)


async def codes_from_messages(bootstrap: str, order_ids: set[str], timeout: float = 30.0) -> dict[str, str]:
    """The residents' phones: the PIN of each parcel from its 'parcel ready' message."""
    consumer = AIOKafkaConsumer(NOTIFY_REQUESTS.name, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                group_id=f"demo-inbox-{uuid.uuid4().hex[:8]}", session_timeout_ms=6000,
                                heartbeat_interval_ms=1000)
    await consumer.start()
    pins: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    try:
        while set(pins) < order_ids and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    try:
                        event = read_event(record.value)
                    except EventDecodeError:
                        continue  # not an event: the notify worker dead-letters it
                    if isinstance(event, NotificationRequested) and event.params.get("pin"):
                        if event.params.get("order_id") in order_ids:
                            pins[event.params["order_id"]] = event.params["pin"]
    finally:
        await consumer.stop()
    return pins


async def residents_collect(platform: Platform, ready: list[dict], pins: dict[str, str],
                            rng: random.Random) -> Counter:
    """Most fetch their goods; some mistype the code first; a few do not come (yet)."""
    outcome: Counter = Counter()
    gate = asyncio.Semaphore(16)

    async def fetch(order: dict) -> None:
        pin = pins.get(order["order_id"])
        luck = rng.random()
        if pin is None or luck < 0.1:
            outcome["noch im Fach / still in the locker"] += 1
            return
        me = platform.token(order["resident_id"], "resident")
        path = f"/v1/pickup-points/{order['pickup_point']['pickup_point_id']}/collect"
        async with gate:
            if luck < 0.2:
                wrong = f"{(int(pin) + 1) % 1_000_000:06d}"
                await platform.call("pickup", "POST", path, who=me, ok=(403,),
                                    json={"order_id": order["order_id"], "code": wrong})
                outcome["falscher Code zuerst / wrong code first"] += 1
            await platform.call("pickup", "POST", path, who=me, ok=(201,),
                                json={"order_id": order["order_id"], "code": pin})
        outcome["abgeholt / collected"] += 1

    await asyncio.gather(*(fetch(o) for o in ready))
    return outcome
