"""A delivered stop deposits each of its orders once, even when two vans bring
parts of one order at the same time, and one refused parcel does not keep the
others out; goods unloaded at the hub are not deposited; an order of two shops
is deposited (and its code sent) only when its last part is in."""

from __future__ import annotations

from datetime import datetime, timezone

import json

import pytest

from nahnetz.events import Actor, new_event
from nahnetz.records import GeoPoint, Stop, StopConsignment, StopCompleted, TourDispatched
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

    async def hget(self, key: str, name: str) -> str | None:
        return self.hashes.get(key, {}).get(name)

    async def hgetall(self, key: str) -> dict[str, str]:
        return dict(self.hashes.get(key, {}))

    def pipeline(self, transaction: bool = True) -> "FakePipeline":
        return FakePipeline(self)


class FakePipeline:
    def __init__(self, redis: FakeRedis):
        self.redis, self.ops = redis, []

    async def __aenter__(self) -> "FakePipeline":
        return self

    async def __aexit__(self, *exc) -> None:
        return None

    async def watch(self, *keys: str) -> None:
        return None

    async def hgetall(self, key: str) -> dict[str, str]:
        return await self.redis.hgetall(key)

    def multi(self) -> None:
        return None

    def hset(self, key: str, name: str | None = None, value: str | None = None,
             mapping: dict[str, str] | None = None) -> None:
        values = dict(mapping or {}, **({name: value} if name is not None else {}))
        self.ops.append(lambda: self.redis.hashes.setdefault(key, {}).update(values))

    def expire(self, key: str, seconds: int) -> None:
        assert seconds > 0

    def sadd(self, key: str, *members: str) -> None:
        return None  # the tour's carriers: not what these tests look at

    async def execute(self) -> None:
        for op in self.ops:
            op()


def delivered(*order_ids: str, tour_id: str = "tour-1", stop_index: int = 3):
    return new_event(StopCompleted, producer="dispatch-api", tour_id=tour_id, stop_index=stop_index,
                     kind="DELIVERED", order_ids=list(order_ids))


def dispatched(tour_id: str, *kinds: str):
    stops = [Stop(kind=kind, place_id=f"place-{i}", location=GeoPoint(lat=51.7, lon=9.2), eta=NOW, load_g=0,
                  load_ml=0) for i, kind in enumerate(kinds)]
    return new_event(TourDispatched, producer="dispatch-api", tour_id=tour_id, plan_id="plan-1",
                     day=NOW.date(), driver_id="driver-1", vehicle_id="van-1", stops=stops)


@pytest.fixture
def deposits(monkeypatch):
    """Record deposits (and who deposited); `outcomes[order]` makes one raise (and maybe 'win' on the other van)."""
    calls, outcomes = [], {}

    async def deposit(*, order_id, redis, **given):
        calls.append(order_id)
        depositors[order_id] = (given["actor"], given["deposited_by"])
        outcome = outcomes.get(order_id)
        if outcome == "other van won":
            redis.parcels.add(order_id)
            raise Conflict(f"the parcel of order {order_id} was deposited already")
        if outcome == "no reservation":
            raise NotFound(f"no compartment reservation is known for order {order_id}")
        redis.parcels.add(order_id)

    depositors = {}
    monkeypatch.setattr(tour_deliveries, "deposit_parcel", deposit)
    return calls, outcomes, depositors


async def test_each_order_of_the_stop_is_deposited_and_a_redelivery_changes_nothing(deposits):
    calls, _, _ = deposits
    redis = FakeRedis()
    done = await tour_deliveries.deposit_delivered_orders(delivered("o1", "o2"), redis, None, None, NOW)
    again = await tour_deliveries.deposit_delivered_orders(delivered("o1", "o2"), redis, None, None, NOW)
    assert done == ["o1", "o2"] and again == [] and calls == ["o1", "o2"]


async def test_a_part_delivered_by_another_van_at_the_same_moment_is_not_an_error(deposits):
    calls, outcomes, _ = deposits
    outcomes["o1"] = "other van won"
    done = await tour_deliveries.deposit_delivered_orders(delivered("o1", "o2"), FakeRedis(), None, None, NOW)
    assert done == ["o2"]


async def test_a_parcel_without_reservation_is_dead_lettered_after_the_others_went_in(deposits):
    calls, outcomes, _ = deposits
    outcomes["o1"] = "no reservation"
    redis = FakeRedis()
    with pytest.raises(InvalidEvent, match="o1"):
        await tour_deliveries.deposit_delivered_orders(delivered("o1", "o2"), redis, None, None, NOW)
    assert redis.parcels == {"o2"}


async def test_other_stop_reports_are_ignored(deposits):
    calls, _, _ = deposits
    arrived = new_event(StopCompleted, producer="dispatch-api", tour_id="t", stop_index=0, kind="ARRIVED")
    assert await tour_deliveries.deposit_delivered_orders(arrived, FakeRedis(), None, None, NOW) == []
    assert calls == []


async def test_goods_unloaded_at_the_hub_are_not_deposited_until_delivered_at_the_point(deposits):
    # A collection tour ends at the hub, where the driver reports the goods unloaded
    # (DELIVERED at a DEPOT stop): they are not in a locker yet, so no code may go out.
    calls, _, _ = deposits
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


async def test_the_driver_who_reported_the_stop_is_the_depositor(deposits):
    reported = new_event(StopCompleted, producer="dispatch-api", actor=Actor("driver-9", "DRIVER"),
                         tour_id="tour-1", stop_index=3, kind="DELIVERED", order_ids=["o1"])
    await tour_deliveries.deposit_delivered_orders(reported, FakeRedis(), None, None, NOW)
    await tour_deliveries.deposit_delivered_orders(delivered("o2"), FakeRedis(), None, None, NOW)
    _, _, depositors = deposits
    (actor, by), (anonymous, anonymous_by) = depositors["o1"], depositors["o2"]
    assert (actor.user_id, actor.role, by) == ("driver-9", "DRIVER", "driver-9")
    assert (anonymous.user_id, anonymous.role, anonymous_by) == ("tour:tour-1", "DRIVER", "tour:tour-1")


def two_part_tour(tour_id: str, order_id: str, shops: list[str]) -> TourDispatched:
    """A tour whose second stop unloads one shipment per shop of the order at its point."""
    unload = [StopConsignment(shipment_id=f"s-{shop}", order_id=order_id, action="UNLOAD", shop_id=shop,
                              pickup_point_id="place-1") for shop in shops]
    stops = [Stop(kind="DEPOT", place_id="place-0", location=GeoPoint(lat=51.7, lon=9.2), eta=NOW, load_g=0,
                  load_ml=0),
             Stop(kind="DELIVERY", place_id="place-1", location=GeoPoint(lat=51.7, lon=9.2), eta=NOW, load_g=0,
                  load_ml=0, shipment_ids=[c.shipment_id for c in unload], consignments=unload)]
    return new_event(TourDispatched, producer="dispatch-api", tour_id=tour_id, plan_id="plan-1",
                     day=NOW.date(), driver_id="driver-1", vehicle_id="van-1", stops=stops)


async def test_an_order_of_two_shops_is_deposited_only_when_its_last_part_is_in(deposits):
    calls, _, _ = deposits
    redis = FakeRedis()
    redis.hashes[keys.order("o1")] = {"shops": json.dumps(["shop-hof", "shop-baecker"])}
    # Monday's van brings the farm's part only (the bakery's was moved to Tuesday).
    await tour_deliveries.deposit_delivered_orders(two_part_tour("monday", "o1", ["shop-hof"]), redis, None, None,
                                                   NOW)
    first = delivered("o1", tour_id="monday", stop_index=1)
    assert await tour_deliveries.deposit_delivered_orders(first, redis, None, None, NOW) == []
    assert calls == [], "no code while the bakery's part is still to come"
    assert json.loads(redis.hashes[keys.order("o1")]["delivered"]) == ["shop-hof"]
    # The same report again changes nothing; Tuesday's van brings the rest: now it is deposited.
    assert await tour_deliveries.deposit_delivered_orders(first, redis, None, None, NOW) == []
    await tour_deliveries.deposit_delivered_orders(two_part_tour("tuesday", "o1", ["shop-baecker"]), redis, None,
                                                   None, NOW)
    last = delivered("o1", tour_id="tuesday", stop_index=1)
    assert await tour_deliveries.deposit_delivered_orders(last, redis, None, None, NOW) == ["o1"]
    assert calls == ["o1"]


async def test_a_stop_bringing_every_part_deposits_at_once_and_a_failed_collection_keeps_its_part_out(deposits):
    calls, _, _ = deposits
    redis = FakeRedis()
    for order_id in ("o1", "o2"):
        redis.hashes[keys.order(order_id)] = {"shops": json.dumps(["shop-hof", "shop-baecker"])}
        await tour_deliveries.deposit_delivered_orders(two_part_tour(f"t-{order_id}", order_id,
                                                                     ["shop-hof", "shop-baecker"]),
                                                       redis, None, None, NOW)
    both = delivered("o1", tour_id="t-o1", stop_index=1)
    assert await tour_deliveries.deposit_delivered_orders(both, redis, None, None, NOW) == ["o1"]
    # The report names the shipments on board: the bakery's collection failed, its part is not here.
    farm_only = new_event(StopCompleted, producer="dispatch-api", tour_id="t-o2", stop_index=1, kind="DELIVERED",
                          order_ids=["o2"], shipment_ids=["s-shop-hof"])
    assert await tour_deliveries.deposit_delivered_orders(farm_only, redis, None, None, NOW) == []
    assert calls == ["o1"]
