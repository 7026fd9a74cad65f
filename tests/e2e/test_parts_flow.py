"""An order of two shops whose second part comes a day late, end to end through HTTP
and Kafka on the real stack: the driver finds the bakery closed, the hub requests
the bread for the next day, the order shows the new day and the resident is told;
the pick-up point moves the bread's compartment to that day; the cheese waits in
its locker without a code; the next day's tour brings the bread, and only then is
the parcel deposited with one code for the whole order. The resident collects it,
and the catalog sells the units it held.

The test books two days near the end of the booking window that no other e2e test
uses (the logistics flow books the last day, the others `platform.delivery_day()`)."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import date

import pytest

from nahnetz.records import (CompartmentHoldMoved, NotificationRequested, OrderDeliveryMoved, ParcelCollected,
                             ParcelDeposited, RoutePlanned, ShipmentRequested, StockSold, TourDispatched)
from nahnetz.testing import TopicReader, eventually
from nahnetz.topics import (CATALOG_STOCK_RESERVATIONS, LOGISTICS_PLANS, LOGISTICS_SHIPMENTS, LOGISTICS_TOURS,
                            NOTIFY_REQUESTS, ORDERS_ORDERS, PICKUP_PARCELS, PICKUP_RESERVATIONS)

from .e2e_support import SHOWS_UP, E2EPlatform

pytestmark = pytest.mark.e2e

SHIPMENTS, PARCELS, NOTICES = LOGISTICS_SHIPMENTS, PICKUP_PARCELS, NOTIFY_REQUESTS
LOGGED = (LOGISTICS_SHIPMENTS, LOGISTICS_PLANS, LOGISTICS_TOURS, PICKUP_PARCELS, PICKUP_RESERVATIONS, NOTIFY_REQUESTS,
          ORDERS_ORDERS, CATALOG_STOCK_RESERVATIONS)
VAN = "van-hx-1"  # a fleet van that carries chilled goods
PLANNED_WITHIN = 60.0  # queueing and the solver's budget on a busy 2-core machine


@pytest.fixture
async def road(platform: E2EPlatform) -> TopicReader:
    async with TopicReader(platform.bootstrap, LOGGED, dead_letters=True) as reader:
        yield reader


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


async def tour_of_the_day(platform: E2EPlatform, road: TopicReader, day: date, driver: str) -> dict:
    """A plan of one van for `day`, dispatched to `driver`; the tour as the driver sees it."""
    requested = (await platform.call("routing", "POST", "/v1/plans", headers=key(), ok=(202,), json={
        "day": day.isoformat(), "time_budget_s": 3, "vehicles": [{"vehicle_id": VAN}]})).json()
    plan_id = requested["plan_id"]

    async def planned() -> dict | None:
        plan = (await platform.call("routing", "GET", f"/v1/plans/{plan_id}")).json()
        if plan["status"] == "FAILED":
            pytest.fail(f"plan {plan_id} failed: {plan.get('failure')}")
        return plan if plan["status"] == "PLANNED" else None
    plan = await eventually(planned, timeout=PLANNED_WITHIN, interval=0.3, what=f"plan {plan_id} for {day}")
    assert plan["dropped"] == [] and len(plan["tours"]) == 1, plan
    await road.wait_for(LOGISTICS_PLANS, RoutePlanned, plan_id=plan_id)

    async def dispatched() -> dict | None:
        answer = await platform.call("dispatch", "POST", "/v1/tours", headers=key(), ok=(201, 404, 409), json={
            "plan_id": plan_id, "vehicle_id": VAN, "driver_id": driver})
        if answer.status_code == 409 and "retry-after" not in answer.headers:
            pytest.fail(f"dispatch refused the tour: {answer.text}")
        return answer.json() if answer.status_code == 201 else None
    summary = await eventually(dispatched, timeout=SHOWS_UP, interval=0.3, what=f"the tour of {day} dispatched")
    await road.wait_for(LOGISTICS_TOURS, TourDispatched, tour_id=summary["tour_id"])
    return (await platform.call("dispatch", "GET", f"/v1/tours/{summary['tour_id']}",
                                who=platform.token(driver, "driver"))).json()


async def drive(platform: E2EPlatform, view: dict, closed_shop: str | None = None) -> None:
    """The driver reports each stop in order; at `closed_shop` the collection fails (closed).
    A stop whose goods all stayed at the closed shop is reported failed as well."""
    me = platform.token(view["driver_id"], "driver")
    for stop in view["stops"]:
        path = f"/v1/tours/{view['tour_id']}/stops/{stop['seq']}"
        await platform.call("dispatch", "POST", f"{path}/arrived", who=me, headers=key(), ok=(201,))
        if stop["kind"] == "PICKUP" and stop["place_id"] == closed_shop:
            await platform.call("dispatch", "POST", f"{path}/failed", who=me, headers=key(), ok=(201,),
                                json={"reason": "SHOP_CLOSED", "note": "Zettel an der Tür: Betriebsausflug"})
            continue
        for step, goods in (("delivered", stop["unload"]), ("collected", stop["load"])):
            if not goods:
                continue
            answer = await platform.call("dispatch", "POST", f"{path}/{step}", who=me, headers=key(), ok=(201, 409))
            if answer.status_code == 409:  # nothing of it on board: the goods stayed at the closed shop
                await platform.call("dispatch", "POST", f"{path}/failed", who=me, headers=key(), ok=(201, 409),
                                    json={"reason": "OTHER", "note": "nichts an Bord"})
                break


async def test_an_order_of_two_shops_waits_for_its_late_part_and_is_collected_whole_with_one_code(
        platform: E2EPlatform, unique: str, road: TopicReader) -> None:
    # -- 1. two shops, a locker, two days no other test books ----------------------------------------
    farm = await platform.seed_shop(f"{unique}-hof", {"Ziegenkäse": {"stock": 5, "temperature_class": "CHILLED"}})
    bakery = await platform.seed_shop(f"{unique}-bk", {"Bauernbrot": {"stock": 5}})
    cheese, bread = farm.products["Ziegenkäse"], bakery.products["Bauernbrot"]
    point = await platform.seed_point(f"{unique}-pp", ambient=2, chilled=2)
    days = (await platform.call("orders", "GET", "/v1/delivery-days")).json()["days"]
    day, next_day = date.fromisoformat(days[-3]), date.fromisoformat(days[-2])
    assert await platform.delivery_day() not in (day, next_day)

    # -- 2. one order across both shops, confirmed; each part has its own compartment -------------------
    resident = f"resident-{unique}"
    order_id = await platform.place(resident, point, day, {cheese: 1, bread: 2})
    order = (await platform.decided([order_id], timeout=30))[order_id]
    assert order["status"] == "CONFIRMED", order
    parts = {p["shop_id"]: p for p in order["parts"]}
    assert set(parts) == {farm.shop_id, bakery.shop_id}
    assert not set(parts[farm.shop_id]["compartment_ids"]) & set(parts[bakery.shop_id]["compartment_ids"])

    async def requested(shop_id: str, attempt: int = 1) -> ShipmentRequested:
        return await road.wait_for(SHIPMENTS, ShipmentRequested, order_id=order_id, shop_id=shop_id, attempt=attempt)
    cheese_shipment, bread_shipment = await requested(farm.shop_id), await requested(bakery.shop_id)
    # The tour sheet names, per part, only that part's compartments.
    assert cheese_shipment.compartment_ids == parts[farm.shop_id]["compartment_ids"]
    assert bread_shipment.compartment_ids == parts[bakery.shop_id]["compartment_ids"]

    # -- 3. the day's tour: the bakery is found closed, the cheese goes into its locker ------------------
    first = await tour_of_the_day(platform, road, day, f"driver-{unique}-1")
    await drive(platform, first, closed_shop=bakery.shop_id)
    again = await requested(bakery.shop_id, attempt=2)
    assert (again.delivery_day, again.moved_from, again.move_reason) == (next_day, day, "MISSED_COLLECTION")

    # The order shows the bread's new day and the resident is told; no code, nothing deposited.
    moved = await road.wait_for(ORDERS_ORDERS, OrderDeliveryMoved, order_id=order_id)
    assert (moved.shop_id, moved.from_day, moved.to_day) == (bakery.shop_id, day, next_day)

    async def shown_moved() -> dict | None:
        now = await platform.order(order_id)
        return now if now["delivery_day"] == next_day.isoformat() else None
    order = await eventually(shown_moved, timeout=SHOWS_UP, what="the order shows the new day")
    assert order["status"] == "CONFIRMED"
    assert {p["shop_id"]: p["delivery_day"] for p in order["parts"]} == {
        farm.shop_id: day.isoformat(), bakery.shop_id: next_day.isoformat()}
    told = await road.wait_for(NOTICES, NotificationRequested, template="order_moved",
                               where=lambda e: e.params.get("order_id") == order_id)
    assert told.recipient_id == resident and next_day.strftime("%d.%m.%Y") in told.params["to_day"]

    # The bread's compartment is free on the day and held on the next, where the cheese waits too.
    hold = await road.wait_for(PICKUP_RESERVATIONS, CompartmentHoldMoved, order_id=order_id)
    assert hold.released_compartment_ids == parts[bakery.shop_id]["compartment_ids"]
    held_next = {c["compartment_id"] for c in (await platform.occupancy(point, next_day))["compartments"]
                 if c.get("order_id") == order_id}
    assert held_next == {*hold.compartment_ids, *parts[farm.shop_id]["compartment_ids"]}
    held_today = {c["compartment_id"] for c in (await platform.occupancy(point, day))["compartments"]
                  if c.get("order_id") == order_id}
    assert held_today == set(parts[farm.shop_id]["compartment_ids"])

    await road.caught_up()
    assert road.events(PARCELS, ParcelDeposited, order_id=order_id) == [], "deposited with the bread missing"
    assert [e for e in road.events(NOTICES, NotificationRequested, template="parcel-ready")
            if e.params.get("order_id") == order_id] == [], "a code sent before the order was whole"
    assert (await platform.order(order_id))["status"] == "CONFIRMED"

    # -- 4. the next day's tour brings the bread: now the parcel is in, with one code ---------------------
    second = await tour_of_the_day(platform, road, next_day, f"driver-{unique}-2")
    await drive(platform, second)
    deposit = await road.wait_for(PARCELS, ParcelDeposited, order_id=order_id)
    assert sorted(deposit.compartment_ids) == sorted({*parts[farm.shop_id]["compartment_ids"],
                                                      *hold.compartment_ids})
    notice = await road.wait_for(NOTICES, NotificationRequested, template="parcel-ready",
                                 where=lambda e: e.params.get("order_id") == order_id)
    pin = notice.params["pin"]
    assert re.fullmatch(r"\d{6}", pin)

    async def ready() -> dict | None:
        now = await platform.order(order_id)
        return now if now["status"] == "READY_FOR_PICKUP" else None
    await eventually(ready, timeout=SHOWS_UP, what="the order ready for pick-up once whole")

    # -- 5. collected with the code; the catalog sells what it held ---------------------------------------
    opened = (await platform.call("pickup", "POST", f"/v1/pickup-points/{point}/collect",
                                  who=platform.token(resident, "resident"), headers=key(), ok=(201,),
                                  json={"order_id": order_id, "code": pin})).json()
    assert sorted(opened["compartment_ids"]) == sorted(deposit.compartment_ids)
    await road.wait_for(PARCELS, ParcelCollected, order_id=order_id)
    sold = await road.wait_for_count(CATALOG_STOCK_RESERVATIONS, 2, StockSold, order_id=order_id)
    assert sorted((line.product_id, line.quantity) for e in sold for line in e.lines) == sorted(
        [(cheese, 1), (bread, 2)])

    async def held_no_more(product_id: str, left: int) -> dict | None:
        now = await platform.availability(product_id)
        return now if (now["available"], now["reserved"]) == (left, 0) else None
    await asyncio.gather(
        eventually(lambda: held_no_more(cheese, 4), timeout=SHOWS_UP, what="the cheese sold"),
        eventually(lambda: held_no_more(bread, 3), timeout=SHOWS_UP, what="the bread sold"))

    await road.caught_up()
    assert len({e.event_id for e in road.events(PARCELS, ParcelDeposited, order_id=order_id)}) == 1
    ours = {order_id, point, farm.shop_id, bakery.shop_id, cheese, bread, first["tour_id"], second["tour_id"]}
    assert road.dead_letters(keys=ours) == []
