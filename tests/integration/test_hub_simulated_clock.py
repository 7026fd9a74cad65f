"""The hub's order keys live by the platform's clock, not Redis's: on a simulated past
day (`nahnetz simulate` moves the clock back) an order placed then is kept until two
weeks after its delivery day as the platform reckons it, instead of vanishing at once."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from nahnetz.clock import set_offset, today_in_berlin
from nahnetz.events import new_event
from nahnetz.records import OrderPlaced
from services.hub import keys
from services.hub.handlers.orders import load_order, remember_placed_order

pytestmark = pytest.mark.integration


def placed(order_id: str, day) -> OrderPlaced:
    return new_event(OrderPlaced, producer="tests", order_id=order_id, resident_id="resident-1",
                     pickup_point_id="pp-1", delivery_day=day, channel="WEB", delivery_fee={"amount_cents": 0},
                     total={"amount_cents": 500},
                     lines=[{"product_id": "p1", "shop_id": "shop-1", "product_name": "Brot", "unit": "Laib",
                             "quantity": 1, "unit_price": {"amount_cents": 500}, "vat_rate_bp": 700,
                             "weight_g": 1000, "volume_ml": 2000}])


async def test_an_order_of_a_simulated_past_day_is_kept_by_the_platform_s_clock(redis, tmp_path, monkeypatch):
    clock = tmp_path / "clock"
    monkeypatch.setenv("NAHNETZ_CLOCK_FILE", str(clock))
    set_offset(clock, -60 * 86400)            # sixty days ago, as a simulation's first day
    day = today_in_berlin() + timedelta(days=1)
    order_id = f"sim-{uuid.uuid4().hex[:8]}"
    await remember_placed_order(placed(order_id, day), redis)
    assert (await load_order(redis, order_id)) is not None
    ttl = await redis.ttl(keys.order(order_id))
    # Kept ~15 days (delivery tomorrow + 14), by the moved clock: not 0, not gone.
    assert timedelta(days=14) < timedelta(seconds=ttl) <= timedelta(days=16), ttl
