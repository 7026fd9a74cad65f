"""The logistics day end to end, through HTTP and Kafka on the real stack: orders
confirmed, the hub's shipments, a plan by OR-Tools, tours dispatched to drivers,
driven stop by stop (shop, hub, pick-up points), parcels deposited into the
lockers, residents collecting with the code from their message.

The test books the last day of the booking window, which no other e2e test
uses (they book `platform.delivery_day()`), so the day's shipments and plan are
only this test's. One shop sells to two pick-up points, so routing consolidates
its goods through the hub (Logistikport HX); the plan's two vans work before
and after the hub's consolidation time, so the goods change vans there:
collected at the shop and unloaded at the hub by the morning van, loaded again
and delivered into the lockers by the afternoon van."""

from __future__ import annotations

import asyncio
import html
import re
import uuid
from datetime import date

import pytest

from nahnetz.events import Event
from nahnetz.records import (NotificationRequested, OrderReadyForPickup, ParcelCollected, ParcelDeposited,
                             RoutePlanned, ShipmentAtHub, ShipmentCollected, ShipmentDelivered, ShipmentRequested,
                             TourCompleted, TourDispatched)
from nahnetz.testing import TopicReader, eventually
from nahnetz.topics import (LOGISTICS_PLANS, LOGISTICS_SHIPMENTS, LOGISTICS_TOURS, NOTIFY_REQUESTS, ORDERS_ORDERS,
                            PICKUP_PARCELS)

from .e2e_support import SHOWS_UP, E2EPlatform

pytestmark = pytest.mark.e2e

SHIPMENTS, PLANS, TOURS = LOGISTICS_SHIPMENTS, LOGISTICS_PLANS, LOGISTICS_TOURS
PARCELS, NOTICES, ORDERS = PICKUP_PARCELS, NOTIFY_REQUESTS, ORDERS_ORDERS
LOGGED = (LOGISTICS_SHIPMENTS, LOGISTICS_PLANS, LOGISTICS_TOURS, PICKUP_PARCELS, NOTIFY_REQUESTS)
HUB = "hub-logistikport-hx"  # the region pack's hub, the depot of every tour
MORNING_VAN, AFTERNOON_VAN = "van-hx-1", "van-hx-3"  # fleet vans that carry chilled goods
PLAN_BUDGET_S = 3
PLANNED_WITHIN = 60.0  # queueing, the solver's budget and a second round, on a busy 2-core machine


@pytest.fixture
async def road(platform: E2EPlatform) -> TopicReader:
    """The logistics topics, the parcels and the notifications (and their dead
    letters), read from the beginning."""
    async with TopicReader(platform.bootstrap, LOGGED, dead_letters=True) as reader:
        yield reader


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def only(events: list[Event], what: str) -> Event:
    """The one event among `events` (a redelivery repeats its event id)."""
    ids = {e.event_id for e in events}
    assert len(ids) == 1, f"{what}: {len(ids)} distinct events"
    return events[0]


def describe(plan: dict) -> str:
    """The plan's tours in a line each, for a failing assertion."""
    return "\n".join(f"{t['vehicle_id']}: " + "  ".join(
        f"{s['kind']} {s['place_id']} {s['eta'][11:16]}Z {s['shipment_ids']}" for s in t["stops"])
        for t in plan["tours"]) + f"\ndropped: {plan['dropped']}"


def where(tour: dict, shipment_id: str) -> list[tuple[str, str]]:
    """The stops of a planned tour that handle the shipment: (kind, place)."""
    return [(s["kind"], s["place_id"]) for s in tour["stops"] if shipment_id in s["shipment_ids"]]


def handled(view: dict) -> dict[str, list[tuple[str, str]]]:
    """shipment -> [(stop kind, LOAD/UNLOAD)] in driving order, as dispatch shows the tour."""
    found: dict[str, list[tuple[str, str]]] = {}
    for stop in view["stops"]:
        for action, consignments in (("UNLOAD", stop["unload"]), ("LOAD", stop["load"])):
            for c in consignments:
                found.setdefault(c["shipment_id"], []).append((stop["kind"], action))
    return found


async def drive(platform: E2EPlatform, view: dict) -> None:
    """The driver reports each stop in order: arrived, then delivered where goods
    are unloaded, then collected where goods are loaded (at the hub: unload first)."""
    me = platform.token(view["driver_id"], "driver")
    for stop in view["stops"]:
        path = f"/v1/tours/{view['tour_id']}/stops/{stop['seq']}"
        last = (await platform.call("dispatch", "POST", f"{path}/arrived", who=me, headers=key(), ok=(201,))).json()
        if stop["unload"]:
            last = (await platform.call("dispatch", "POST", f"{path}/delivered", who=me, headers=key(),
                                        ok=(201,))).json()
        if stop["load"]:
            last = (await platform.call("dispatch", "POST", f"{path}/collected", who=me, headers=key(),
                                        ok=(201,))).json()
        assert last["stop_status"] == "DONE", (view["tour_id"], stop["seq"], last)
    assert last["tour_status"] == "FINISHED", last


async def completed(platform: E2EPlatform, road: TopicReader, view: dict) -> None:
    """TourCompleted on logistics.tours, and dispatch shows the tour completed."""
    tour_id = view["tour_id"]
    done = await road.wait_for(TOURS, TourCompleted, tour_id=tour_id)
    assert (done.plan_id, done.driver_id, done.stops_completed, done.stops_failed) == (
        view["plan_id"], view["driver_id"], len(view["stops"]), 0), done

    async def shown() -> dict | None:
        now = (await platform.call("dispatch", "GET", f"/v1/tours/{tour_id}")).json()
        return now if now["status"] == "COMPLETED" else None
    now = await eventually(shown, timeout=SHOWS_UP, what=f"dispatch shows tour {tour_id} completed")
    assert {s["status"] for s in now["stops"]} == {"DONE"}, now["stops"]


async def test_orders_go_from_the_shop_through_the_hub_into_the_lockers_and_are_collected_with_their_codes(
        platform: E2EPlatform, unique: str, road: TopicReader) -> None:
    # -- 1. a shop open every day, two lockers, a day no other test books --------------------------
    shop = await platform.seed_shop(unique, {
        "Bauernbrot": {"stock": 20},
        "Weichkäse": {"stock": 20, "temperature_class": "CHILLED"},
    })
    bread, cheese = shop.products["Bauernbrot"], shop.products["Weichkäse"]
    brakel = await platform.seed_point(f"{unique}-bk", ambient=3, chilled=3)
    nieheim = await platform.seed_point(f"{unique}-nh", ambient=3, chilled=3, location=(51.805, 9.110))
    days = (await platform.call("orders", "GET", "/v1/delivery-days")).json()["days"]
    day = date.fromisoformat(days[-1])
    assert day != await platform.delivery_day(), "the last bookable day is the other tests' day"

    # -- 2. three residents order for that day --------------------------------------------------------
    wanted = {
        f"resident-{unique}-1": (brakel, {bread: 2, cheese: 1}),
        f"resident-{unique}-2": (nieheim, {bread: 1}),
        f"resident-{unique}-3": (nieheim, {cheese: 2}),
    }
    placed = await asyncio.gather(*(platform.place(r, p, day, lines) for r, (p, lines) in wanted.items()))
    resident_of = dict(zip(placed, wanted))
    orders = await platform.decided(placed, timeout=30)
    assert {o: v["status"] for o, v in orders.items()} == dict.fromkeys(placed, "CONFIRMED"), orders
    point_of = {o: v["pickup_point"]["pickup_point_id"] for o, v in orders.items()}
    compartments_of = {o: sorted(v["compartment_ids"]) for o, v in orders.items()}
    assert point_of == {o: wanted[resident_of[o]][0] for o in placed}
    assert all(compartments_of.values()), compartments_of

    # -- 3. the hub requests one shipment per shop and order --------------------------------------------
    shipment_of: dict[str, str] = {}
    for order_id in placed:
        await road.wait_for(SHIPMENTS, ShipmentRequested, order_id=order_id)
    await road.caught_up()
    for order_id in placed:
        request = only(road.events(SHIPMENTS, ShipmentRequested, order_id=order_id),
                       f"ShipmentRequested of {order_id}")
        assert (request.shop_id, request.pickup_point_id, request.delivery_day) == (
            shop.shop_id, point_of[order_id], day), request
        assert sorted(request.compartment_ids) == compartments_of[order_id], request
        chilled = cheese in wanted[resident_of[order_id]][1]
        assert request.temperature_class == ("CHILLED" if chilled else "AMBIENT"), request
        shipment_of[order_id] = request.shipment_id
    order_of = {s: o for o, s in shipment_of.items()}
    assert len(order_of) == len(placed)

    async def hub_shows(status: str) -> list[dict] | None:
        found = (await platform.call("hub", "GET", "/v1/shipments", params={"day": day.isoformat()})).json()
        statuses = {s["shipment_id"]: s["status"] for s in found["shipments"]}
        return found["shipments"] if statuses == dict.fromkeys(order_of, status) else None
    # The day is this test's alone: the hub lists exactly its three shipments.
    await eventually(lambda: hub_shows("REQUESTED"), timeout=SHOWS_UP,
                     what=f"the hub lists the shipments of {day} as requested")

    # -- 4. a plan for the day: a morning van collects, an afternoon van distributes -----------------
    # With the whole fleet one van would collect and distribute the goods itself, and its hub stop
    # would hand nothing over. Shifts on both sides of the hub's consolidation time (11:00) make the
    # goods change vans at the hub: unloaded there (ShipmentAtHub), loaded again for the last mile.
    requested = (await platform.call("routing", "POST", "/v1/plans", headers=key(), ok=(202,), json={
        "day": day.isoformat(), "time_budget_s": PLAN_BUDGET_S,
        "vehicles": [{"vehicle_id": MORNING_VAN, "shift_end": "11:00"},
                     {"vehicle_id": AFTERNOON_VAN, "shift_start": "11:00"}]})).json()
    plan_id = requested["plan_id"]

    async def answered() -> dict | None:
        plan = (await platform.call("routing", "GET", f"/v1/plans/{plan_id}")).json()
        if plan["status"] == "FAILED":
            pytest.fail(f"plan {plan_id} failed: {plan.get('failure')}")
        return plan if plan["status"] == "PLANNED" else None
    plan = await eventually(answered, timeout=PLANNED_WITHIN, interval=0.3, what=f"plan {plan_id} planned")
    assert plan["dropped"] == [], plan["dropped"]
    tours = {t["vehicle_id"]: t for t in plan["tours"]}
    assert set(tours) == {MORNING_VAN, AFTERNOON_VAN}, describe(plan)
    for tour in tours.values():
        ends = [(s["kind"], s["place_id"]) for s in (tour["stops"][0], tour["stops"][-1])]
        assert ends == [("DEPOT", HUB)] * 2, describe(plan)
    on_tours = {sid for t in tours.values() for stop in t["stops"] for sid in stop["shipment_ids"]}
    assert on_tours == set(order_of), "every shipment on a tour, and only the day's"
    for sid, order_id in order_of.items():
        assert where(tours[MORNING_VAN], sid) == [("PICKUP", shop.shop_id), ("DEPOT", HUB)], describe(plan)
        assert where(tours[AFTERNOON_VAN], sid) == [("DEPOT", HUB), ("DELIVERY", point_of[order_id])], describe(plan)
    await road.wait_for(PLANS, RoutePlanned, plan_id=plan_id)
    await road.caught_up()
    planned_event = only(road.events(PLANS, RoutePlanned, plan_id=plan_id), "RoutePlanned")
    assert planned_event.day == day
    assert {t.vehicle_id: t.tour_id for t in planned_event.tours} == {
        v: t["tour_id"] for v, t in tours.items()}

    # -- 5. every tour dispatched to a driver -------------------------------------------------------------
    driver_of = {t["tour_id"]: f"driver-{unique}-{v}" for v, t in tours.items()}
    dispatched: dict[str, dict] = {}  # vehicle -> the tour as its driver sees it
    for vehicle, tour in tours.items():
        tour_id, driver = tour["tour_id"], driver_of[tour["tour_id"]]

        async def dispatch(vehicle: str = vehicle, driver: str = driver) -> dict | None:
            # Dispatch learns the plan and the shipments from their topics: 404 / 409 with
            # Retry-After until it has.
            answer = await platform.call("dispatch", "POST", "/v1/tours", headers=key(), ok=(201, 404, 409), json={
                "plan_id": plan_id, "vehicle_id": vehicle, "driver_id": driver})
            if answer.status_code == 409 and "retry-after" not in answer.headers:
                pytest.fail(f"dispatch refused the tour of {vehicle}: {answer.text}")
            return answer.json() if answer.status_code == 201 else None
        summary = await eventually(dispatch, timeout=SHOWS_UP, interval=0.3, what=f"tour {tour_id} dispatched")
        assert (summary["tour_id"], summary["driver_id"], summary["status"]) == (tour_id, driver, "DISPATCHED")

        event = await road.wait_for(TOURS, TourDispatched, tour_id=tour_id)
        assert (event.plan_id, event.driver_id, event.vehicle_id, event.day) == (plan_id, driver, vehicle, day)
        me = platform.token(driver, "driver")
        mine = (await platform.call("dispatch", "GET", "/v1/drivers/me/tours", who=me,
                                    params={"day": day.isoformat()})).json()
        assert [t["tour_id"] for t in mine["tours"]] == [tour_id], mine
        view = mine["tours"][0]
        assert [s["place_id"] for s in view["stops"]] == [s["place_id"] for s in tour["stops"]]
        assert {s["status"] for s in view["stops"]} == {"PENDING"}, view
        dispatched[vehicle] = view
        # A driver sees only their own tours.
        await platform.call("dispatch", "GET", f"/v1/tours/{tour_id}", ok=(404,),
                            who=platform.token(f"driver-{unique}-other", "driver"))
        # The A4 sheet: one row per stop in driving order, with the place and the orders handled there.
        sheet = (await platform.call("dispatch", "GET", f"/v1/tours/{tour_id}/sheet", who=me)).text
        rows = re.split(r'<tr class="stop" ', sheet)[1:]
        assert [int(re.match(r'data-seq="(\d+)"', r).group(1)) for r in rows] == list(range(len(view["stops"])))
        for row, stop in zip(rows, view["stops"]):
            assert stop["name"] and html.escape(stop["name"]) in row, (stop["name"], row[:600])
            for c in stop["load"] + stop["unload"]:
                assert c["order_id"] in row, (c["order_id"], row[:600])
            if stop["kind"] == "DELIVERY":
                for c in stop["unload"]:
                    assert all(cid in row for cid in c["compartment_ids"]), (c, row[:600])
    morning, afternoon = dispatched[MORNING_VAN], dispatched[AFTERNOON_VAN]
    # What each van does with each shipment, as dispatch tells its driver.
    assert handled(morning) == {sid: [("PICKUP", "LOAD"), ("DEPOT", "UNLOAD")] for sid in order_of}
    assert handled(afternoon) == {sid: [("DEPOT", "LOAD"), ("DELIVERY", "UNLOAD")] for sid in order_of}

    # -- 6. the morning van: collected at the shop, unloaded at the hub --------------------------------
    await drive(platform, morning)
    for sid, order_id in order_of.items():
        collected = await road.wait_for(SHIPMENTS, ShipmentCollected, shipment_id=sid)
        assert (collected.order_id, collected.tour_id) == (order_id, morning["tour_id"])
        hub = await road.wait_for(SHIPMENTS, ShipmentAtHub, shipment_id=sid)
        assert (hub.order_id, hub.hub_id) == (order_id, HUB)
    await completed(platform, road, morning)
    await eventually(lambda: hub_shows("AT_HUB"), timeout=SHOWS_UP,
                     what=f"the hub shows the shipments of {day} at the hub")
    # Goods at the hub are not in the lockers: nothing deposited, no code sent, orders not ready.
    await road.caught_up()
    early = [e for e in road.events(PARCELS, ParcelDeposited) if e.order_id in placed]
    assert early == [], f"parcels deposited while their goods are at the hub: {early}"
    assert [e.params for e in road.events(NOTICES, NotificationRequested, template="parcel-ready")
            if e.params.get("order_id") in placed] == [], "a code sent for goods still at the hub"
    assert {o: (await platform.order(o))["status"] for o in placed} == dict.fromkeys(placed, "CONFIRMED")

    # -- 6b. the afternoon van: loaded at the hub, delivered into the lockers ---------------------------
    await drive(platform, afternoon)
    for sid, order_id in order_of.items():
        delivered = await road.wait_for(SHIPMENTS, ShipmentDelivered, shipment_id=sid)
        assert (delivered.order_id, delivered.pickup_point_id, delivered.tour_id) == (
            order_id, point_of[order_id], afternoon["tour_id"])
        assert sorted(delivered.compartment_ids) == compartments_of[order_id]
    await completed(platform, road, afternoon)
    await road.caught_up()
    for sid in order_of:
        # One key, one partition: the shipment's life in the order it happened, each step once.
        steps = [r.event.type for r in sorted(road.seen(SHIPMENTS, shipment_id=sid), key=lambda r: r.offset)]
        assert steps == ["ShipmentRequested", "ShipmentCollected", "ShipmentAtHub", "ShipmentDelivered"], (sid, steps)
    await eventually(lambda: hub_shows("DELIVERED"), timeout=SHOWS_UP,
                     what=f"the hub shows the shipments of {day} delivered")

    # -- 7. the lockers take the parcels from the drivers' delivery reports ------------------------------
    for order_id in placed:
        deposit = await road.wait_for(PARCELS, ParcelDeposited, order_id=order_id)
        assert (deposit.pickup_point_id, deposit.tour_id) == (point_of[order_id], afternoon["tour_id"])
        assert sorted(deposit.compartment_ids) == compartments_of[order_id]

    async def all_ready() -> dict | None:
        now = {o: await platform.order(o) for o in placed}
        return now if all(v["status"] == "READY_FOR_PICKUP" for v in now.values()) else None
    await eventually(all_ready, timeout=SHOWS_UP, what="the orders ready for pick-up")
    for order_id in placed:
        await platform.topics.wait_for(ORDERS, OrderReadyForPickup, order_id=order_id)

    # -- 8. the residents collect with the PIN from their message ----------------------------------------
    for order_id in placed:
        resident, point = resident_of[order_id], point_of[order_id]

        notice = await road.wait_for(NOTICES, NotificationRequested, template="parcel-ready",
                                     where=lambda e, order_id=order_id: e.params.get("order_id") == order_id)
        assert notice.recipient_id == resident, notice
        pin = notice.params["pin"]
        assert re.fullmatch(r"\d{6}", pin), notice.params
        me = platform.token(resident, "resident")
        path = f"/v1/pickup-points/{point}/collect"
        wrong = f"{(int(pin) + 1) % 1_000_000:06d}"
        await platform.call("pickup", "POST", path, who=me, headers=key(), ok=(403,),
                            json={"order_id": order_id, "code": wrong})
        opened = (await platform.call("pickup", "POST", path, who=me, headers=key(), ok=(201,),
                                      json={"order_id": order_id, "code": pin})).json()
        assert (opened["status"], sorted(opened["compartment_ids"])) == ("collected", compartments_of[order_id])
        collected = await road.wait_for(PARCELS, ParcelCollected, order_id=order_id)
        assert collected.pickup_point_id == point, collected

        async def order_collected(order_id: str = order_id) -> dict | None:
            now = await platform.order(order_id)
            return now if now["status"] == "COLLECTED" else None
        await eventually(order_collected, timeout=SHOWS_UP, what=f"order {order_id} collected")
        # A code opens once.
        await platform.call("pickup", "POST", path, who=me, headers=key(), ok=(409,),
                            json={"order_id": order_id, "code": pin})

    await road.caught_up()
    await platform.topics.caught_up()
    for order_id in placed:
        assert len({e.event_id for e in road.events(PARCELS, ParcelDeposited, order_id=order_id)}) == 1
        assert len({e.event_id for e in road.events(PARCELS, ParcelCollected, order_id=order_id)}) == 1
        assert len({e.notification_id for e in road.events(NOTICES, NotificationRequested, template="parcel-ready")
                    if e.params.get("order_id") == order_id}) == 1, f"one code for {order_id}"
    ours = {*placed, *order_of, *driver_of, plan_id, brakel, nieheim, shop.shop_id, bread, cheese, *wanted}
    assert road.dead_letters(keys=ours) == []
    assert platform.topics.dead_letters(keys=ours) == []
