"""Many residents at once for what little is left: the one worker owning a
product's partition (or a pick-up point's) decides, so nothing is sold twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date
from typing import NamedTuple

import pytest

from nahnetz.records import StockReserved
from nahnetz.testing import eventually
from nahnetz.topics import CATALOG_STOCK_RESERVATIONS

from .e2e_support import E2EPlatform, held_by

pytestmark = pytest.mark.e2e


class Rush(NamedTuple):
    product: str
    point: str
    day: date
    order_ids: list[str]
    final: dict[str, dict]  # order id -> its view once decided


async def rush(platform: E2EPlatform, unique: str, product: str, *, stock: int, compartments: int, orders: int,
               timeout: float) -> Rush:
    """A shop with `stock` units of `product`, a locker with `compartments` ambient compartments,
    and `orders` residents ordering one unit at the same time; returns once every order is decided."""
    shop = await platform.seed_shop(unique, {product: {"stock": stock}})
    product_id = shop.products[product]
    point = await platform.seed_point(unique, ambient=compartments)
    day = await platform.delivery_day()
    order_ids = list(await asyncio.gather(*(
        platform.place(f"resident-{unique}-{i:03d}", point, day, {product_id: 1}) for i in range(orders))))
    final = await platform.decided(order_ids, timeout=timeout)
    return Rush(product_id, point, day, order_ids, final)


async def test_200_concurrent_orders_for_the_last_50_units_sell_exactly_50(platform: E2EPlatform, unique: str) -> None:
    # Room for every order, so only the stock decides.
    asparagus, point, day, order_ids, final = await rush(platform, unique, "Spargel", stock=50, compartments=220,
                                                         orders=200, timeout=90)
    assert len(set(order_ids)) == 200

    statuses = Counter(view["status"] for view in final.values())
    confirmed = [view for view in final.values() if view["status"] == "CONFIRMED"]
    assert sum(line["quantity"] for view in confirmed for line in view["lines"]) == 50, statuses
    assert statuses == {"CONFIRMED": 50, "REJECTED": 150}
    reasons = Counter((view["rejection"]["reason"], tuple(l["reason"] for l in view["rejection"]["lines"]))
                      for view in final.values() if view["status"] == "REJECTED")
    assert reasons == {("OUT_OF_STOCK", ("OUT_OF_STOCK",)): 150}

    now = await platform.availability(asparagus)
    assert (now["available"], now["reserved"]) == (0, 50)
    # Each confirmed order holds its compartment; the rejected ones gave theirs back.
    await platform.topics.caught_up()

    async def only_confirmed_hold_compartments() -> dict | None:
        occupancy = await platform.occupancy(point, day)
        return occupancy if set(held_by(occupancy).values()) == {v["order_id"] for v in confirmed} else None
    occupancy = await eventually(only_confirmed_hold_compartments, timeout=30,
                                 what="compartments of rejected orders released")
    assert occupancy["used"] == 50
    reserved = {e.order_id for e in platform.topics.events(CATALOG_STOCK_RESERVATIONS, StockReserved)
                if e.order_id in final}
    assert reserved == {v["order_id"] for v in confirmed}
    assert platform.topics.dead_letters(keys={*order_ids, asparagus, point}) == []


async def test_60_concurrent_orders_for_20_compartments_confirm_exactly_20(platform: E2EPlatform, unique: str) -> None:
    juice, point, day, order_ids, final = await rush(platform, unique, "Apfelsaft", stock=100, compartments=20,
                                                     orders=60, timeout=60)

    statuses = Counter(view["status"] for view in final.values())
    assert statuses == {"CONFIRMED": 20, "REJECTED": 40}
    confirmed = {o for o, view in final.items() if view["status"] == "CONFIRMED"}
    assert {view["rejection"]["reason"] for view in final.values() if view["status"] == "REJECTED"} == \
        {"NO_COMPARTMENT"}

    occupancy = await platform.occupancy(point, day)
    assert occupancy["used"] == occupancy["total"] == 20
    held = held_by(occupancy)
    assert set(held.values()) == confirmed
    assert sorted(held) == sorted(c for o in confirmed for c in final[o]["compartment_ids"])

    # The stock of the 40 rejected orders comes back; the 20 confirmed keep theirs.
    async def stock_settled() -> dict | None:
        now = await platform.availability(juice)
        return now if (now["available"], now["reserved"]) == (80, 20) else None
    await eventually(stock_settled, timeout=30,
                     what="stock of the rejected orders released (80 available, 20 reserved)")
    await platform.topics.caught_up()
    assert platform.topics.dead_letters(keys={*order_ids, juice, point}) == []
