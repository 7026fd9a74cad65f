"""A delivered stop deposits each of its orders once, even when two vans bring
parts of one order at the same time, and one refused parcel does not keep the
others out."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from nahnetz.events import new_event
from nahnetz.kit.errors import Conflict, NotFound
from nahnetz.messaging.handling import InvalidEvent
from services.pickup import keys
from services.pickup.handlers import tour_deliveries

NOW = datetime(2026, 11, 26, 12, tzinfo=timezone.utc)


class FakeRedis:
    def __init__(self, parcels: set[str] = frozenset()):
        self.parcels = set(parcels)

    async def exists(self, key: str) -> int:
        return int(key in {keys.parcel(o) for o in self.parcels})


def delivered(*order_ids: str):
    return new_event("StopCompleted", producer="dispatch-api", tour_id="tour-1", stop_index=3,
                     kind="DELIVERED", order_ids=list(order_ids))


@pytest.fixture
def deposits(monkeypatch):
    """Record deposits; `outcomes[order]` makes one raise (and maybe 'win' on the other van)."""
    calls, outcomes = [], {}

    async def deposit(*, order_id, redis, **_):
        calls.append(order_id)
        outcome = outcomes.get(order_id)
        if outcome == "other van won":
            redis.parcels.add(order_id)
            raise Conflict(f"the parcel of order {order_id} was deposited already")
        if outcome == "no reservation":
            raise NotFound(f"no compartment reservation is known for order {order_id}")
        redis.parcels.add(order_id)

    monkeypatch.setattr(tour_deliveries, "deposit_parcel", deposit)
    return calls, outcomes


async def test_each_order_of_the_stop_is_deposited_and_a_redelivery_changes_nothing(deposits):
    calls, _ = deposits
    redis = FakeRedis()
    done = await tour_deliveries.deposit_delivered_orders(delivered("o1", "o2"), redis, None, None, NOW)
    again = await tour_deliveries.deposit_delivered_orders(delivered("o1", "o2"), redis, None, None, NOW)
    assert done == ["o1", "o2"] and again == [] and calls == ["o1", "o2"]


async def test_a_part_delivered_by_another_van_at_the_same_moment_is_not_an_error(deposits):
    calls, outcomes = deposits
    outcomes["o1"] = "other van won"
    done = await tour_deliveries.deposit_delivered_orders(delivered("o1", "o2"), FakeRedis(), None, None, NOW)
    assert done == ["o2"]


async def test_a_parcel_without_reservation_is_dead_lettered_after_the_others_went_in(deposits):
    calls, outcomes = deposits
    outcomes["o1"] = "no reservation"
    redis = FakeRedis()
    with pytest.raises(InvalidEvent, match="o1"):
        await tour_deliveries.deposit_delivered_orders(delivered("o1", "o2"), redis, None, None, NOW)
    assert redis.parcels == {"o2"}


async def test_other_stop_reports_are_ignored(deposits):
    calls, _ = deposits
    arrived = new_event("StopCompleted", producer="dispatch-api", tour_id="t", stop_index=0, kind="ARRIVED")
    assert await tour_deliveries.deposit_delivered_orders(arrived, FakeRedis(), None, None, NOW) == []
    assert calls == []
