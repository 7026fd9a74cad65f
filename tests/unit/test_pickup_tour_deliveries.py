"""A delivered stop deposits each of its orders once, even when two vans bring
parts of one order at the same time, and one refused parcel does not keep the
others out; goods unloaded at the hub are not deposited."""

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
        self.hashes: dict[str, dict[str, str]] = {}

    async def exists(self, key: str) -> int:
        return int(key in {keys.parcel(o) for o in self.parcels})

    async def hget(self, key: str, name: str) -> bytes | None:
        value = self.hashes.get(key, {}).get(name)
        return None if value is None else value.encode()  # the worker's client answers bytes

    def pipeline(self, transaction: bool = True) -> "FakePipeline":
        return FakePipeline(self)


class FakePipeline:
    def __init__(self, redis: FakeRedis):
        self.redis, self.ops = redis, []

    async def __aenter__(self) -> "FakePipeline":
        return self

    async def __aexit__(self, *exc) -> None:
        return None

    def hset(self, key: str, mapping: dict[str, str]) -> None:
        self.ops.append(lambda: self.redis.hashes.setdefault(key, {}).update(mapping))

    def expire(self, key: str, seconds: int) -> None:
        assert seconds > 0

    async def execute(self) -> None:
        for op in self.ops:
            op()


def delivered(*order_ids: str, tour_id: str = "tour-1", stop_index: int = 3):
    return new_event("StopCompleted", producer="dispatch-api", tour_id=tour_id, stop_index=stop_index,
                     kind="DELIVERED", order_ids=list(order_ids))


def dispatched(tour_id: str, *kinds: str):
    stops = [{"kind": kind, "place_id": f"place-{i}", "location": {"lat": 51.7, "lon": 9.2}, "eta": NOW,
              "load_g": 0, "load_ml": 0} for i, kind in enumerate(kinds)]
    return new_event("TourDispatched", producer="dispatch-api", tour_id=tour_id, plan_id="plan-1",
                     day=NOW.date(), driver_id="driver-1", vehicle_id="van-1", stops=stops)


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


async def test_goods_unloaded_at_the_hub_are_not_deposited_until_delivered_at_the_point(deposits):
    # A collection tour ends at the hub, where the driver reports the goods unloaded
    # (DELIVERED at a DEPOT stop): they are not in a locker yet, so no code may go out.
    calls, _ = deposits
    redis = FakeRedis()
    for tour in (dispatched("morning", "DEPOT", "PICKUP", "DEPOT"),
                 dispatched("afternoon", "DEPOT", "DELIVERY", "DEPOT")):
        assert await tour_deliveries.deposit_delivered_orders(tour, redis, None, None, NOW) == []
    at_hub = delivered("o1", "o2", tour_id="morning", stop_index=2)
    assert await tour_deliveries.deposit_delivered_orders(at_hub, redis, None, None, NOW) == []
    assert calls == []
    at_point = delivered("o1", "o2", tour_id="afternoon", stop_index=1)
    assert await tour_deliveries.deposit_delivered_orders(at_point, redis, None, None, NOW) == ["o1", "o2"]
    assert calls == ["o1", "o2"]
