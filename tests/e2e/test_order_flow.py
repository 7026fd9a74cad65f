"""One order through the whole platform: HTTP in, Kafka between the services,
the read models out. Each test seeds a shop and a pick-up point of its own."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from nahnetz.records import CompartmentReleased, CompartmentReserved, OrderConfirmed, StockReleased, StockReserved
from nahnetz.testing import eventually
from nahnetz.topics import CATALOG_STOCK_RESERVATIONS, ORDERS_ORDERS, PICKUP_RESERVATIONS

from .e2e_support import E2EPlatform, held_by

pytestmark = pytest.mark.e2e

STOCK = CATALOG_STOCK_RESERVATIONS
COMPARTMENTS = PICKUP_RESERVATIONS


async def test_an_order_is_confirmed_and_reserves_its_stock_and_compartments_exactly_once(
        platform: E2EPlatform, unique: str) -> None:
    shop = await platform.seed_shop(unique, {
        "Landbrot": {"stock": 20},
        "Ziegenkäse": {"stock": 8, "temperature_class": "CHILLED"},
    })
    bread, cheese = shop.products["Landbrot"], shop.products["Ziegenkäse"]
    point = await platform.seed_point(unique, ambient=4, chilled=2)
    day = await platform.delivery_day()

    began = time.monotonic()
    order_id = await platform.place(f"resident-{unique}", point, day, {bread: 3, cheese: 2})
    [order] = (await platform.decided([order_id], timeout=10)).values()
    took = time.monotonic() - began

    assert order["status"] == "CONFIRMED", order
    assert took < 10, f"confirmed after {took:.1f} s"
    # Ambient and chilled goods need a compartment of each class.
    assert len(order["compartment_ids"]) == 2, order
    assert {c[0] for c in order["compartment_ids"]} == {"A", "K"}, order  # seed_point: A… ambient, K… chilled

    bread_now, cheese_now = await platform.availability(bread), await platform.availability(cheese)
    assert (bread_now["available"], bread_now["reserved"]) == (17, 3)
    assert (cheese_now["available"], cheese_now["reserved"]) == (6, 2)

    occupancy = await platform.occupancy(point, day)
    assert occupancy["used"] == 2
    assert held_by(occupancy) == {c: order_id for c in order["compartment_ids"]}

    # Exactly once on the wire too: one decision per product, one compartment
    # decision, one confirmation (a redelivered decision would repeat its event id).
    await platform.topics.caught_up()
    for product_id in (bread, cheese):
        reserved = {e.event_id for e in platform.topics.events(STOCK, StockReserved, order_id=order_id)
                    if any(line.product_id == product_id for line in e.lines)}
        assert len(reserved) == 1, f"{product_id}: {len(reserved)} StockReserved"
    assert len({e.event_id for e in platform.topics.events(COMPARTMENTS, CompartmentReserved,
                                                            order_id=order_id)}) == 1
    assert len(platform.topics.events(ORDERS_ORDERS, OrderConfirmed, order_id=order_id)) == 1
    assert platform.topics.dead_letters(keys={order_id, bread, cheese, point}) == []


async def test_an_out_of_stock_line_rejects_the_order_and_releases_its_other_line_and_compartment(
        platform: E2EPlatform, unique: str) -> None:
    shop = await platform.seed_shop(unique, {"Honig": {"stock": 0}, "Eier": {"stock": 10}})
    honey, eggs = shop.products["Honig"], shop.products["Eier"]
    point = await platform.seed_point(unique, ambient=3)
    day = await platform.delivery_day()

    order_id = await platform.place(f"resident-{unique}", point, day, {honey: 1, eggs: 4})
    [order] = (await platform.decided([order_id], timeout=15)).values()

    assert order["status"] == "REJECTED", order
    assert order["rejection"]["reason"] == "OUT_OF_STOCK", order
    assert [(l["product_id"], l["reason"]) for l in order["rejection"]["lines"]] == [(honey, "OUT_OF_STOCK")]

    # The eggs' request comes before the rejection on their product's partition, and
    # the compartment request before its release on the point's: both are reserved
    # first, then given back. Wait for the releases, then look at the read models.
    released = await platform.topics.wait_for(STOCK, StockReleased, order_id=order_id)
    assert [(l.product_id, l.quantity) for l in released.lines] == [(eggs, 4)]
    assert released.reason == "ORDER_REJECTED"
    await platform.topics.wait_for(COMPARTMENTS, CompartmentReleased, order_id=order_id)

    async def eggs_back() -> dict | None:
        now = await platform.availability(eggs)
        return now if (now["available"], now["reserved"]) == (10, 0) else None
    await eventually(eggs_back, timeout=15, what="the eggs back in stock")
    honey_now = await platform.availability(honey)
    assert (honey_now["available"], honey_now["reserved"]) == (0, 0)

    async def point_empty() -> dict | None:
        occupancy = await platform.occupancy(point, day)
        return occupancy if occupancy["used"] == 0 else None
    occupancy = await eventually(point_empty, timeout=15, what="the compartment given back")
    assert held_by(occupancy) == {}
    # The eggs were reserved once and released once.
    await platform.topics.caught_up()
    assert len({e.event_id for e in platform.topics.events(STOCK, StockReserved, order_id=order_id)}) == 1
    assert len({e.event_id for e in platform.topics.events(STOCK, StockReleased, order_id=order_id)}) == 1
    assert platform.topics.dead_letters(keys={order_id, honey, eggs, point}) == []


async def test_a_full_point_suggests_the_nearest_point_with_room_and_the_resident_takes_it_in_one_step(
        platform: E2EPlatform, unique: str) -> None:
    shop = await platform.seed_shop(unique, {"Landbrot": {"stock": 20}})
    bread = shop.products["Landbrot"]
    # Two lockers of their own 1.1 km apart, south of every other test's points.
    full = await platform.seed_point(f"{unique}-a", ambient=1, location=(51.500, 9.200))
    near = await platform.seed_point(f"{unique}-b", ambient=2, location=(51.510, 9.200))
    day = await platform.delivery_day()
    first = await platform.place(f"resident-{unique}-1", full, day, {bread: 1})
    assert (await platform.decided([first], timeout=30))[first]["status"] == "CONFIRMED"

    second = await platform.place(f"resident-{unique}-2", full, day, {bread: 2})
    rejected = (await platform.decided([second], timeout=30))[second]
    assert (rejected["status"], rejected["rejection"]["reason"]) == ("REJECTED", "NO_COMPARTMENT")
    # Its view comes with the rejection; the suggestions as pick-up saw them.
    instead = (await platform.order(second))["instead"]
    suggested = [(a["kind"], a["pickup_point"]["pickup_point_id"], a["delivery_day"]) for a in instead["alternatives"]]
    assert suggested[0] == ("OTHER_POINT", near, day.isoformat()), suggested
    assert ("LATER_DAY", full, (day + timedelta(days=1)).isoformat()) in suggested
    assert 1000 <= instead["alternatives"][0]["distance_km"] * 1000 <= 1200

    answer = await platform.call("orders", "POST", f"/v1/orders/{second}/alternative",
                                 who=platform.token(f"resident-{unique}-2", "resident"), ok=(202,),
                                 json={"pickup_point_id": near})
    taken = answer.json()["order_id"]
    confirmed = (await platform.decided([taken], timeout=30))[taken]
    assert (confirmed["status"], confirmed["replaces"]) == ("CONFIRMED", second)
    assert held_by(await platform.occupancy(near, day)) == {c: taken for c in confirmed["compartment_ids"]}
    assert (await platform.availability(bread))["reserved"] == 3
