"""The pick-up service against the real broker and Redis: the worker runs as its
own process (`nahnetz.testing.WorkerProcess`, a consumer group of its own), the API
in this process over ASGI with its lifespan (real producer, real Redis). Each test
has its own pick-up point and orders; effects are observed on the topics the service
writes (a `TopicReader`), in Redis and through the API."""

from __future__ import annotations

import asyncio
import json
import uuid
from contextlib import AsyncExitStack
from datetime import date, timedelta

import httpx
import pytest

from nahnetz.events import Actor, Event, new_event
from nahnetz.kit.auth import issue_token
from nahnetz.kit.redis import connect
from nahnetz.kit.settings import Settings
from nahnetz.messaging import headers as h
from nahnetz.messaging.dead_letter import dead_letter_topic
from nahnetz.messaging.idempotency import ProcessedMarkers
from nahnetz.messaging.outbox import unpack
from nahnetz.messaging.producer import EventProducer, ProducerNotStarted
from nahnetz.records import (
    CompartmentHoldMoved, CompartmentRejected, CompartmentReleased, CompartmentReserved, NotificationRequested,
    OrderCancelled, OrderDeliveryMoved, OrderExpired, OrderRejected, ParcelCollected, ParcelDeposited, ParcelExpired,
    PickupCodeLocked, PickupCodeReissued, PickupPointRegistered, StopCompleted,
)
from nahnetz.testing import TopicReader, api_client, eventually, settings_for
from nahnetz.topics import (
    NOTIFY_REQUESTS, ORDERS_ORDERS, PICKUP_PARCELS, PICKUP_RESERVATION_REQUESTS, PICKUP_RESERVATIONS,
)
from pickup_support import line, locker_body, order_placed, tour_bringing, tour_to
from services.pickup import keys
from services.pickup.api import create_app
from services.pickup.domain import codes
from services.pickup.handlers.expiry import expire_parcel
from services.pickup.handlers.points import project_point
from services.pickup.handlers.reservations import decide_reservation
from services.pickup.http_models import RegisterPoint
from services.pickup.rebuild import rebuild
from services.pickup.settings import PickupSettings

pytestmark = pytest.mark.integration

SECRET = "pickup-integration-secret-long-enough-for-hs256"
CODE_SECRET = "pickup-integration-code-secret-0123456789"
DAY = date.today() + timedelta(days=2)


# -- fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def settings(broker_bootstrap, redis_url) -> Settings:
    return settings_for(broker_bootstrap, redis_url, service="pickup", jwt_secret=SECRET)


@pytest.fixture(scope="module")
async def worker(topics, own_worker):
    async with own_worker("pickup", "test",
                          env={"PICKUP_EXPIRY_SCAN_SECONDS": "0.3", "PICKUP_CODE_SECRET": CODE_SECRET}) as running:
        yield running


@pytest.fixture(scope="module")
async def watcher(topics, broker_bootstrap):
    async with TopicReader(broker_bootstrap, [
            PICKUP_RESERVATIONS, PICKUP_PARCELS, NOTIFY_REQUESTS,
            dead_letter_topic(PICKUP_RESERVATION_REQUESTS), dead_letter_topic(ORDERS_ORDERS)]) as reader:
        yield reader


@pytest.fixture(scope="module")
async def apis(settings, topics):
    """`await apis(**pickup_settings)`: an API client with those PICKUP_* settings."""
    async with AsyncExitStack() as stack:
        async def make(**overrides) -> httpx.AsyncClient:
            # Every test collects as the same resident: their own limit is not what most tests are about.
            limits = {"caller_attempts_per_window": 1000} | overrides
            app = create_app(settings, PickupSettings(code_secret=CODE_SECRET, **limits))
            return await stack.enter_async_context(api_client(app, base_url="http://pickup", timeout=15))

        yield make


@pytest.fixture(scope="module")
async def api(apis):
    # Attempt limits well above the lockout, so the lockout test counts to five.
    return await apis(parcel_attempts_per_window=20)


def bearer(sub: str, role: str, **scopes) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, sub, role, **scopes)}"}


OPERATOR = bearer("op-1", "operator")
DRIVER = bearer("driver-7", "driver")
RESIDENT = bearer("r-1", "resident")


# -- helpers ----------------------------------------------------------------------------------
async def register(api: httpx.AsyncClient, worker, compartments, **where) -> str:
    point_id = f"pp-test-{uuid.uuid4().hex[:10]}"
    answer = await api.post("/v1/pickup-points", json=locker_body(point_id, compartments, **where), headers=OPERATOR)
    assert answer.status_code == 202, answer.text
    assert answer.json()["status_url"] == f"/v1/pickup-points/{point_id}"

    async def projected():
        return (await api.get(f"/v1/pickup-points/{point_id}", headers=RESIDENT)).status_code == 200

    await eventually(projected, what="the point projected", watch=[worker])
    return point_id


async def decisions(watcher: TopicReader, order_id: str, worker, count: int = 1) -> list[Event]:
    """The compartment decisions for the order (reserved or rejected), once there are `count`."""
    return await watcher.wait_for_count(PICKUP_RESERVATIONS, count, order_id=order_id, watch=[worker],
                                        where=lambda e: isinstance(e, (CompartmentReserved, CompartmentRejected)))


async def reserved_order(producer, watcher, worker, point_id: str, lines, resident: str = "r-1") -> tuple[str, Event]:
    order_id = f"o-{uuid.uuid4().hex[:10]}"
    await producer.publish(order_placed(order_id, point_id, DAY, lines, resident=resident))
    [decision] = await decisions(watcher, order_id, worker)
    assert decision.type == "CompartmentReserved", decision
    return order_id, decision


async def on_tour(api, producer, worker, order_id: str, point_id: str, driver: str = "driver-7") -> None:
    """Dispatch a tour of `driver` that brings the order to its point; wait until pick-up knows."""
    await producer.publish(tour_to(point_id, DAY, [order_id], driver))
    who = bearer(driver, "driver")

    async def carried():  # 404: may read, nothing deposited yet (403 while not known as carrier)
        return (await api.get(f"/v1/parcels/{order_id}", headers=who)).status_code == 404

    await eventually(carried, what=f"{driver} known as carrier of {order_id}", watch=[worker])


async def deposited(api, producer, watcher, worker, order_id: str, point_id: str) -> tuple[Event, str]:
    """The tour's driver deposits the order's parcel; the ParcelDeposited event and the PIN the resident got."""
    await on_tour(api, producer, worker, order_id, point_id)
    answer = await api.post(f"/v1/parcels/{order_id}/deposit", json={}, headers=DRIVER)
    assert answer.status_code == 201, answer.text
    event = await watcher.wait_for(PICKUP_PARCELS, ParcelDeposited, order_id=order_id, watch=[worker])

    async def notified():
        return [e for e in watcher.events(NOTIFY_REQUESTS, NotificationRequested)
                if e.params.get("order_id") == order_id and e.template == "parcel-ready"]

    [notice] = await eventually(notified, what="the resident's notification", watch=[worker])
    return event, notice.params["pin"]


# -- pick-up points -----------------------------------------------------------------------------
async def test_a_registered_point_is_found_near_with_its_free_compartments(api, worker):
    # Far from the region's other test points: a spot in the Solling, east of Höxter.
    point_id = await register(api, worker, [("A1", "AMBIENT", 45), ("C1", "CHILLED", 20), ("C2", "CHILLED", 20)],
                              lat=51.70, lon=9.60)
    near = await api.get("/v1/pickup-points/near", headers=RESIDENT,
                         params={"lat": 51.71, "lon": 9.61, "day": DAY.isoformat(), "radius_km": 5,
                                 "temperature": "CHILLED"})
    assert near.status_code == 200, near.text
    [found] = [p for p in near.json()["pickup_points"] if p["pickup_point_id"] == point_id]
    assert 0.5 < found["distance_km"] < 2.0
    assert found["free"] == {"AMBIENT": {"free": 1, "total": 1, "free_volume_ml": 45000},
                             "CHILLED": {"free": 2, "total": 2, "free_volume_ml": 40000}}
    frozen = await api.get("/v1/pickup-points/near", headers=RESIDENT,
                           params={"lat": 51.71, "lon": 9.61, "day": DAY.isoformat(), "temperature": "FROZEN"})
    assert point_id not in [p["pickup_point_id"] for p in frozen.json()["pickup_points"]]
    far = await api.get("/v1/pickup-points/near", headers=RESIDENT, params={"lat": 51.49, "lon": 9.14, "radius_km": 5})
    assert point_id not in [p["pickup_point_id"] for p in far.json()["pickup_points"]]

    # Out of service for a repair: no longer offered.
    update = {k: v for k, v in locker_body(point_id, [("A1", "AMBIENT", 45)], lat=51.70, lon=9.60).items()
              if k != "pickup_point_id"}
    answer = await api.put(f"/v1/pickup-points/{point_id}", json={**update, "in_service": False}, headers=OPERATOR)
    assert answer.status_code == 202, answer.text

    async def withdrawn():
        shown = await api.get(f"/v1/pickup-points/{point_id}", headers=RESIDENT)
        return shown.json() if shown.json()["in_service"] is False else None

    shown = await eventually(withdrawn, what="the update projected", watch=[worker])
    assert [c["compartment_id"] for c in shown["compartments"]] == ["A1"]
    near = await api.get("/v1/pickup-points/near", headers=RESIDENT,
                         params={"lat": 51.71, "lon": 9.61, "day": DAY.isoformat(), "radius_km": 5})
    assert point_id not in [p["pickup_point_id"] for p in near.json()["pickup_points"]]
    unknown = await api.put("/v1/pickup-points/pp-test-nowhere", json=update, headers=OPERATOR)
    assert unknown.status_code == 404


async def test_registration_is_checked_and_only_for_operators(api, worker):
    body = locker_body("pp-test-forbidden", [("A1", "AMBIENT", 20)])
    assert (await api.post("/v1/pickup-points", json=body, headers=RESIDENT)).status_code == 403
    assert (await api.post("/v1/pickup-points", json=body)).status_code == 401
    twice = locker_body("pp-test-twice", [("A1", "AMBIENT", 20), ("A1", "CHILLED", 20)])
    answer = await api.post("/v1/pickup-points", json=twice, headers=OPERATOR)
    assert answer.status_code == 422 and "appears twice" in answer.json()["message"]
    bad = await api.post("/v1/pickup-points", json={**body, "location": {"lat": 95, "lon": 9}}, headers=OPERATOR)
    assert bad.status_code == 422
    point_id = await register(api, worker, [("A1", "AMBIENT", 20)])
    again = await api.post("/v1/pickup-points", json=locker_body(point_id, [("A1", "AMBIENT", 20)]), headers=OPERATOR)
    assert again.status_code == 409
    missing = await api.get("/v1/pickup-points/pp-test-nowhere", headers=RESIDENT)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


async def test_coordinates_the_geo_index_cannot_hold_are_refused_before_anything_is_stored(api, worker):
    # Latitude 88 is valid WGS84 but beyond Redis GEO: accepting it used to leave a listed,
    # never-found point whose event went to the dead letters and whose id stayed taken.
    point_id = f"pp-test-{uuid.uuid4().hex[:10]}"
    body = locker_body(point_id, [("A1", "AMBIENT", 20)])
    polar = await api.post("/v1/pickup-points", json={**body, "location": {"lat": 88, "lon": 9}}, headers=OPERATOR)
    assert polar.status_code == 422, polar.text
    assert "location.lat" in [d["field"] for d in polar.json()["detail"]]
    assert (await api.post("/v1/pickup-points", json=body, headers=OPERATOR)).status_code == 202

    for lat in (-90, -85.06, 85.06, 90):
        near = await api.get("/v1/pickup-points/near", headers=RESIDENT, params={"lat": lat, "lon": -180})
        assert near.status_code == 422, (lat, near.text)
    edge = await api.get("/v1/pickup-points/near", headers=RESIDENT, params={"lat": -85.05, "lon": -180})
    assert edge.status_code == 200, edge.text
    epoch = await api.get("/v1/pickup-points/near", headers=RESIDENT, params={"lat": 51.7, "lon": 9.6, "day": "0.0"})
    assert epoch.status_code == 422 and "YYYY-MM-DD" in epoch.text  # not 1 January 1970


async def test_a_municipality_sees_the_occupancy_of_its_own_points_only_and_no_one_but_staff_whose_parcel(api, worker):
    point_id = await register(api, worker, [("A1", "AMBIENT", 20)])       # in Höxter
    own = await api.get(f"/v1/pickup-points/{point_id}/occupancy", headers=bearer("hx", "municipality",
                                                                                  municipality="Höxter"))
    assert own.status_code == 200, own.text
    assert all("order_id" not in c for c in own.json()["compartments"])
    other = await api.get(f"/v1/pickup-points/{point_id}/occupancy", headers=bearer("brakel", "municipality",
                                                                                    municipality="Brakel"))
    assert other.status_code == 403 and "Brakel" in other.json()["message"]
    # A driver sees how full it is, not whose parcel is where.
    driven = await api.get(f"/v1/pickup-points/{point_id}/occupancy", headers=DRIVER)
    assert driven.status_code == 200 and all("order_id" not in c for c in driven.json()["compartments"])


# -- compartment reservations -------------------------------------------------------------------
async def test_an_order_gets_compartments_of_its_temperature_classes(api, producer, watcher, worker):
    point_id = await register(api, worker, [("A1", "AMBIENT", 20), ("A2", "AMBIENT", 45), ("C1", "CHILLED", 20),
                                            ("F1", "FROZEN", 20)])
    order_id, reserved = await reserved_order(producer, watcher, worker, point_id,
                                              [line("AMBIENT", 8000, 2), line("CHILLED", 3000)])
    assert sorted(reserved.compartment_ids) == ["A1", "C1"]
    assert reserved.pickup_point_id == point_id and reserved.delivery_day == DAY
    occupancy = (await api.get(f"/v1/pickup-points/{point_id}/occupancy", params={"day": DAY.isoformat()},
                               headers=OPERATOR)).json()
    assert occupancy["used"] == 2
    assert {c["compartment_id"]: c["order_id"] for c in occupancy["compartments"] if c["occupied"]} == {
        "A1": order_id, "C1": order_id}
    # No frozen compartment at another point: rejected naming the class.
    plain = await register(api, worker, [("A1", "AMBIENT", 20)])
    rejected_id = f"o-{uuid.uuid4().hex[:10]}"
    await producer.publish(order_placed(rejected_id, plain, DAY, [line("FROZEN", 1000)]))
    [rejected] = await decisions(watcher, rejected_id, worker)
    assert (rejected.type, rejected.reason, rejected.temperature_class) == (
        "CompartmentRejected", "NO_TEMPERATURE_CLASS", "FROZEN")
    unknown_id = f"o-{uuid.uuid4().hex[:10]}"
    await producer.publish(order_placed(unknown_id, "pp-test-does-not-exist", DAY, [line("AMBIENT", 1000)]))
    [unknown] = await decisions(watcher, unknown_id, worker)
    assert (unknown.type, unknown.reason) == ("CompartmentRejected", "UNKNOWN_PICKUP_POINT")


async def test_concurrent_orders_get_exactly_the_compartments_there_are(api, producer, watcher, worker):
    point_id = await register(api, worker, [("C1", "CHILLED", 20), ("C2", "CHILLED", 20), ("C3", "CHILLED", 20),
                                            ("A1", "AMBIENT", 90)])
    order_ids = [f"o-{uuid.uuid4().hex[:10]}" for _ in range(8)]
    await asyncio.gather(*(producer.publish(order_placed(o, point_id, DAY, [line("CHILLED", 15000)]))
                           for o in order_ids))
    outcomes = {o: (await decisions(watcher, o, worker))[0] for o in order_ids}
    reserved = [e for e in outcomes.values() if e.type == "CompartmentReserved"]
    rejected = [e for e in outcomes.values() if e.type == "CompartmentRejected"]
    assert len(reserved) == 3 and len(rejected) == 5
    assert sorted(c for e in reserved for c in e.compartment_ids) == ["C1", "C2", "C3"]
    assert {(e.reason, e.temperature_class) for e in rejected} == {("FULL", "CHILLED")}
    occupancy = (await api.get(f"/v1/pickup-points/{point_id}/occupancy", params={"day": DAY.isoformat()},
                               headers=OPERATOR)).json()
    assert occupancy["by_class"]["CHILLED"]["free"] == 0 and occupancy["by_class"]["AMBIENT"]["free"] == 1
    # Another day is a fresh day.
    other_day = f"o-{uuid.uuid4().hex[:10]}"
    await producer.publish(order_placed(other_day, point_id, DAY + timedelta(days=1), [line("CHILLED", 15000)]))
    assert (await decisions(watcher, other_day, worker))[0].type == "CompartmentReserved"


async def after_everything_before(watcher: TopicReader, producer, worker, point_id: str, day: date,
                                  partition_of: str) -> Event:
    """Place a marker order at the point, on the orders.orders partition of order `partition_of`,
    and wait for its decision: each partition is handled in order (routing, then deciding at
    the point's partition), so everything published before it on that order's partition was
    handled, and what that published has been read."""
    marker = f"o-{uuid.uuid4().hex[:10]}"
    await producer.publish(order_placed(marker, point_id, day, [line("CHILLED", 5000)]), key=partition_of)
    [decision] = await decisions(watcher, marker, worker)
    await watcher.caught_up()
    return decision


async def test_the_same_order_placed_twice_changes_nothing(api, producer, watcher, worker):
    point_id = await register(api, worker, [("C1", "CHILLED", 20), ("C2", "CHILLED", 20)])
    order_id = f"o-{uuid.uuid4().hex[:10]}"
    placed = order_placed(order_id, point_id, DAY, [line("CHILLED", 5000)])
    await producer.publish(placed)
    await producer.publish(placed)  # a redelivery: the same event again
    await after_everything_before(watcher, producer, worker, point_id, DAY + timedelta(days=1), order_id)
    # The first copy decided and published; the second decides nothing and publishes nothing.
    [decision] = await decisions(watcher, order_id, worker)
    assert decision.type == "CompartmentReserved"
    occupancy = (await api.get(f"/v1/pickup-points/{point_id}/occupancy", params={"day": DAY.isoformat()},
                               headers=OPERATOR)).json()
    assert occupancy["used"] == 1
    _, next_order = await reserved_order(producer, watcher, worker, point_id, [line("CHILLED", 5000)])
    assert next_order.compartment_ids != decision.compartment_ids


async def test_a_rejected_order_releases_its_compartments(api, producer, watcher, worker):
    point_id = await register(api, worker, [("C1", "CHILLED", 20)])
    order_id, reserved = await reserved_order(producer, watcher, worker, point_id, [line("CHILLED", 5000)])
    waiting = f"o-{uuid.uuid4().hex[:10]}"
    await producer.publish(order_placed(waiting, point_id, DAY, [line("CHILLED", 5000)]))
    assert (await decisions(watcher, waiting, worker))[0].reason == "FULL"

    await producer.publish(new_event(OrderRejected, producer="orders-worker", order_id=order_id,
                                     reason="OUT_OF_STOCK", correlation_id=reserved.correlation_id))
    released = await watcher.wait_for(PICKUP_RESERVATIONS, CompartmentReleased, order_id=order_id, watch=[worker])
    assert released.compartment_ids == ["C1"] and released.reason == "ORDER_REJECTED"
    assert released.correlation_id == reserved.correlation_id
    # The capacity is back, and releasing the rejected order held nothing (no event).
    _, after = await reserved_order(producer, watcher, worker, point_id, [line("CHILLED", 5000)])
    assert after.compartment_ids == ["C1"]
    await producer.publish(new_event(OrderCancelled, producer="orders-api", order_id=waiting))
    await producer.publish(new_event(OrderCancelled, producer="orders-api", order_id=order_id))  # twice released
    marker = f"o-{uuid.uuid4().hex[:10]}"  # same point partition, after both cancellations
    await producer.publish(order_placed(marker, point_id, DAY + timedelta(days=1), [line("CHILLED", 5000)]))
    await decisions(watcher, marker, worker)
    assert watcher.events(PICKUP_RESERVATIONS, CompartmentReleased, order_id=waiting) == []
    assert len(watcher.events(PICKUP_RESERVATIONS, CompartmentReleased, order_id=order_id)) == 1


async def test_a_point_without_room_names_the_nearest_points_and_its_next_days_with_room(
        api, producer, watcher, worker):
    # A spot of its own, south of the other test points: the full locker, a neighbour
    # 1.5 km away with room, one full neighbour, and a locker 40 km away (too far).
    here = dict(lat=51.600, lon=9.500)
    full = await register(api, worker, [("C1", "CHILLED", 20)], **here)
    neighbour = await register(api, worker, [("C1", "CHILLED", 20)], lat=51.6135, lon=9.500)
    also_full = await register(api, worker, [("C1", "CHILLED", 20)], lat=51.605, lon=9.500)
    far = await register(api, worker, [("C1", "CHILLED", 20)], lat=51.960, lon=9.500)
    for point in (full, also_full):
        await reserved_order(producer, watcher, worker, point, [line("CHILLED", 5000)])
    # The next day is taken at the full point too.
    taken = f"o-{uuid.uuid4().hex[:10]}"
    await producer.publish(order_placed(taken, full, DAY + timedelta(days=1), [line("CHILLED", 5000)]))
    assert (await decisions(watcher, taken, worker))[0].type == "CompartmentReserved"

    refused = f"o-{uuid.uuid4().hex[:10]}"
    await producer.publish(order_placed(refused, full, DAY, [line("CHILLED", 5000)]))
    [decision] = await decisions(watcher, refused, worker)
    assert (decision.type, decision.reason) == ("CompartmentRejected", "FULL")
    others = [(a.pickup_point_id, a.delivery_day) for a in decision.alternatives if a.distance_m is not None]
    assert others == [(neighbour, DAY)]
    assert 1400 <= decision.alternatives[0].distance_m <= 1600
    later = [(a.pickup_point_id, a.delivery_day) for a in decision.alternatives if a.distance_m is None]
    assert later == [(full, DAY + timedelta(days=n)) for n in range(2, 7)]
    assert far not in {a.pickup_point_id for a in decision.alternatives}

    # Goods no compartment anywhere could take get no suggestion of room that is not there.
    frozen = f"o-{uuid.uuid4().hex[:10]}"
    await producer.publish(order_placed(frozen, full, DAY, [line("FROZEN", 1000)]))
    [none] = await decisions(watcher, frozen, worker)
    assert (none.reason, none.alternatives) == ("NO_TEMPERATURE_CLASS", [])


# -- an order in parts: one per shop, maybe on different days --------------------------------------
def occupied_by(occupancy: dict) -> dict[str, str]:
    return {c["compartment_id"]: c["order_id"] for c in occupancy["compartments"] if c["occupied"]}


async def occupancy_on(api, point_id: str, day: date) -> dict[str, str]:
    answer = await api.get(f"/v1/pickup-points/{point_id}/occupancy", params={"day": day.isoformat()},
                           headers=OPERATOR)
    return occupied_by(answer.json())


async def two_shop_order(producer, watcher, worker, point_id: str) -> tuple[str, Event]:
    """An order of the farm (chilled cheese) and the bakery (bread), reserved on DAY."""
    return await reserved_order(producer, watcher, worker, point_id,
                                [line("CHILLED", 5000, shop="shop-hof"), line("AMBIENT", 3000, shop="shop-baecker")])


async def test_the_hold_of_a_part_moved_to_another_day_follows_it_and_frees_the_old_day(api, producer, watcher,
                                                                                        worker):
    point_id = await register(api, worker, [("A1", "AMBIENT", 20), ("A2", "AMBIENT", 20), ("K1", "CHILLED", 20)])
    order_id, reserved = await two_shop_order(producer, watcher, worker, point_id)
    # Each shop's part knows its own compartments.
    assert {p.shop_id: p.compartment_ids for p in reserved.parts} == {"shop-hof": ["K1"], "shop-baecker": ["A1"]}
    next_day = DAY + timedelta(days=1)
    other, _ = await reserved_order(producer, watcher, worker, point_id, [line("AMBIENT", 3000)])
    taken = f"o-{uuid.uuid4().hex[:10]}"  # books A1 on the next day
    await producer.publish(order_placed(taken, point_id, next_day, [line("AMBIENT", 3000)]))
    assert (await decisions(watcher, taken, worker))[0].compartment_ids == ["A1"]

    # The bakery cannot make DAY: the hub moved its shipment, orders says so.
    await producer.publish(new_event(OrderDeliveryMoved, producer="orders-worker", order_id=order_id,
                                     shop_id="shop-baecker", shipment_id="shp-1", pickup_point_id=point_id,
                                     from_day=DAY, to_day=next_day, reason="SHOP_CLOSED",
                                     correlation_id=reserved.correlation_id))
    moved = await watcher.wait_for(PICKUP_RESERVATIONS, CompartmentHoldMoved, order_id=order_id, watch=[worker])
    assert (moved.shop_id, moved.from_day, moved.to_day) == ("shop-baecker", DAY, next_day)
    assert moved.released_compartment_ids == ["A1"]
    # A1 is someone else's on the next day: the bread gets the other ambient compartment of its size;
    # the cheese, in K1 since DAY, waits there for it.
    assert moved.compartment_ids == ["A2"] and moved.waiting_compartment_ids == ["K1"]
    assert await occupancy_on(api, point_id, DAY) == {"K1": order_id, "A2": other}
    assert await occupancy_on(api, point_id, next_day) == {"A1": taken, "A2": order_id, "K1": order_id}

    # Released on collection or cancellation: every day the order holds something.
    await producer.publish(new_event(OrderCancelled, producer="orders-api", order_id=order_id))
    await watcher.wait_for_count(PICKUP_RESERVATIONS, 2, CompartmentReleased, order_id=order_id, watch=[worker])
    assert await occupancy_on(api, point_id, DAY) == {"A2": other}
    assert await occupancy_on(api, point_id, next_day) == {"A1": taken}


async def test_an_order_of_two_shops_is_deposited_and_its_code_sent_only_when_its_last_part_is_in(
        api, producer, watcher, worker, redis):
    point_id = await register(api, worker, [("A1", "AMBIENT", 20), ("A2", "AMBIENT", 20), ("K1", "CHILLED", 20)])
    order_id, _ = await two_shop_order(producer, watcher, worker, point_id)
    single, _ = await reserved_order(producer, watcher, worker, point_id, [line("AMBIENT", 1000)])

    def delivered(tour, order_ids: list[str]) -> Event:
        return new_event(StopCompleted, producer="dispatch-api", actor=Actor("driver-7", "DRIVER"),
                         tour_id=tour.tour_id, stop_index=0, kind="DELIVERED", order_ids=order_ids,
                         shipment_ids=tour.stops[0].shipment_ids)

    # The morning van brings the cheese (and a one-shop order); the bread comes on a later tour.
    morning = tour_bringing(point_id, DAY, [(order_id, "shop-hof"), (single, "shop-test")], "driver-7")
    await producer.publish(morning)
    await producer.publish(delivered(morning, [order_id, single]))
    # One stop is one report: once the one-shop order's parcel is in, the cheese was handled too.
    await watcher.wait_for(PICKUP_PARCELS, ParcelDeposited, order_id=single, watch=[worker])
    await watcher.caught_up()
    assert watcher.events(PICKUP_PARCELS, ParcelDeposited, order_id=order_id) == [], "deposited with a part missing"
    assert [e for e in watcher.events(NOTIFY_REQUESTS) if e.params.get("order_id") == order_id] == [], \
        "a code sent while the bread is still to come"
    assert json.loads((await redis.hgetall(keys.order(order_id)))["delivered"]) == ["shop-hof"]

    afternoon = tour_bringing(point_id, DAY, [(order_id, "shop-baecker")], "driver-7")
    await producer.publish(afternoon)
    await producer.publish(delivered(afternoon, [order_id]))
    deposit = await watcher.wait_for(PICKUP_PARCELS, ParcelDeposited, order_id=order_id, watch=[worker])
    assert sorted(deposit.compartment_ids) == ["A1", "K1"] and deposit.tour_id == afternoon.tour_id

    async def one_code():
        return [e for e in watcher.events(NOTIFY_REQUESTS, NotificationRequested)
                if e.params.get("order_id") == order_id and e.template == "parcel-ready"]
    [notice] = await eventually(one_code, what="the resident's code", watch=[worker])
    assert codes.is_pin(notice.params["pin"]) and notice.params["compartments"] == "A1, K1"


async def test_counter_staff_put_in_the_parts_that_came_and_a_part_after_a_whole_deposit_alerts_the_operator(
        api, producer, watcher, worker, redis):
    point_id = await register(api, worker, [("A1", "AMBIENT", 20), ("A2", "AMBIENT", 20), ("K1", "CHILLED", 20)])
    order_id, _ = await two_shop_order(producer, watcher, worker, point_id)
    deposit = f"/v1/parcels/{order_id}/deposit"

    # The cheese came; the bread did not: recorded, no parcel, no code.
    unknown = await api.post(deposit, json={"shop_ids": ["shop-nowhere"]}, headers=OPERATOR)
    assert unknown.status_code == 422 and "shop-nowhere" in unknown.json()["message"]
    first = await api.post(deposit, json={"shop_ids": ["shop-hof"]}, headers=OPERATOR)
    assert first.status_code == 202, first.text
    assert (first.json()["status"], first.json()["parts_in"], first.json()["waiting_for"]) == (
        "waiting_for_parts", ["shop-hof"], ["shop-baecker"])
    assert (await redis.exists(keys.parcel(order_id))) == 0
    # The bread: the parcel is whole, deposited once, with one code.
    last = await api.post(deposit, json={"shop_ids": ["shop-baecker"]}, headers=OPERATOR)
    assert last.status_code == 201 and last.json()["status"] == "deposited", last.text
    await watcher.wait_for(PICKUP_PARCELS, ParcelDeposited, order_id=order_id, watch=[worker])

    # Another order put in whole by staff, and then a tour brings one of its parts.
    second_point = await register(api, worker, [("A1", "AMBIENT", 20), ("K1", "CHILLED", 20)])
    other, _ = await two_shop_order(producer, watcher, worker, second_point)
    whole = await api.post(f"/v1/parcels/{other}/deposit", json={}, headers=OPERATOR)
    assert whole.status_code == 201, whole.text
    late = tour_bringing(second_point, DAY, [(other, "shop-baecker")], "driver-7")
    await producer.publish(late)
    await producer.publish(new_event(StopCompleted, producer="dispatch-api", actor=Actor("driver-7", "DRIVER"),
                                     tour_id=late.tour_id, stop_index=0, kind="DELIVERED", order_ids=[other],
                                     shipment_ids=late.stops[0].shipment_ids))

    async def alerted():
        return [e for e in watcher.events(NOTIFY_REQUESTS, NotificationRequested)
                if e.template == "pickup-late-part" and e.params.get("order_id") == other]
    [alert] = await eventually(alerted, what="the operator told of the late part", watch=[worker])
    assert alert.recipient_id == "operator-desk" and alert.params["shops"] == "shop-baecker"
    assert len(watcher.events(PICKUP_PARCELS, ParcelDeposited, order_id=other)) == 1


# -- deposit, collection, expiry ----------------------------------------------------------------
async def test_a_deposit_sends_the_pin_to_the_resident_and_keeps_only_its_hash(api, producer, watcher, worker, redis):
    point_id = await register(api, worker, [("A1", "AMBIENT", 45)])
    order_id, _ = await reserved_order(producer, watcher, worker, point_id, [line("AMBIENT", 5000)])
    assert (await api.post(f"/v1/parcels/{order_id}/deposit", json={}, headers=RESIDENT)).status_code == 403
    await on_tour(api, producer, worker, order_id, point_id)
    elsewhere = await api.post(f"/v1/parcels/{order_id}/deposit", json={"compartment_ids": ["Z9"]}, headers=DRIVER)
    assert elsewhere.status_code == 422 and "Z9" in elsewhere.json()["message"]
    event, pin = await deposited(api, producer, watcher, worker, order_id, point_id)

    assert codes.is_pin(pin)
    assert event.compartment_ids == ["A1"] and event.deposited_by == "driver-7"
    assert event.code_hash == codes.pin_hash(CODE_SECRET.encode(), event.event_id, order_id, pin)
    [record] = [r for r in watcher.seen(PICKUP_PARCELS) if r.key == order_id.encode()]
    assert pin.encode() not in record.value
    stored = await redis.hgetall(keys.parcel(order_id))
    assert stored["code_hash"] == event.code_hash and stored["status"] == "deposited"
    assert not any(pin in value for value in stored.values())
    [notice] = [e for e in watcher.events(NOTIFY_REQUESTS) if e.params.get("order_id") == order_id]
    assert notice.recipient_id == "r-1" and notice.recipient_role == "RESIDENT"
    assert pin in notice.params["text_de"] and pin in notice.params["text_en"]
    assert notice.params["qr_payload"].startswith(f"NAHNETZ1:{order_id}:")
    assert notice.correlation_id == event.correlation_id

    again = await api.post(f"/v1/parcels/{order_id}/deposit", json={}, headers=DRIVER)
    assert again.status_code == 409
    assert (await api.post("/v1/parcels/o-never-placed/deposit", json={}, headers=OPERATOR)).status_code == 404
    status = (await api.get(f"/v1/parcels/{order_id}", headers=DRIVER)).json()
    assert status["status"] == "deposited" and "code_hash" not in status

    # The QR code from the same message opens it too (at the terminal's scanner).
    collect = f"/v1/pickup-points/{point_id}/collect"
    not_ours = await api.post(collect, json={"qr": "https://example.org/not-a-pickup-code"}, headers=RESIDENT)
    assert not_ours.status_code == 422
    scanned = await api.post(collect, json={"qr": notice.params["qr_payload"]}, headers=RESIDENT)
    assert scanned.status_code == 201, scanned.text
    collected = await watcher.wait_for(PICKUP_PARCELS, ParcelCollected, order_id=order_id, watch=[worker])
    assert collected.method == "QR" and collected.meta.actor.user_id == "r-1"


async def test_only_the_driver_whose_tour_brings_the_parcel_deposits_or_reads_it(api, producer, watcher, worker):
    point_id = await register(api, worker, [("A1", "AMBIENT", 45)])
    order_id, _ = await reserved_order(producer, watcher, worker, point_id, [line("AMBIENT", 5000)])
    stranger = bearer("driver-unrelated", "driver")
    # Before any tour, and after a tour of another driver: refused, nothing deposited.
    assert (await api.post(f"/v1/parcels/{order_id}/deposit", json={}, headers=DRIVER)).status_code == 403
    await on_tour(api, producer, worker, order_id, point_id, driver="driver-7")
    refused = await api.post(f"/v1/parcels/{order_id}/deposit", json={}, headers=stranger)
    assert refused.status_code == 403 and "driver-unrelated" in refused.json()["message"]
    assert (await api.get(f"/v1/parcels/{order_id}", headers=stranger)).status_code == 403
    assert watcher.events(PICKUP_PARCELS, ParcelDeposited, order_id=order_id) == []
    # Staff may deposit any parcel; the event records who did.
    answer = await api.post(f"/v1/parcels/{order_id}/deposit", json={}, headers=OPERATOR)
    assert answer.status_code == 201, answer.text
    event = await watcher.wait_for(PICKUP_PARCELS, ParcelDeposited, order_id=order_id, watch=[worker])
    assert event.meta.actor.user_id == "op-1" and event.meta.actor.role == "OPERATOR"
    assert (await api.get(f"/v1/parcels/{order_id}", headers=DRIVER)).json()["status"] == "deposited"


async def test_a_delivery_reported_by_the_driver_deposits_the_parcel_once(api, producer, watcher, worker):
    point_id = await register(api, worker, [("A1", "AMBIENT", 45), ("A2", "AMBIENT", 45)])
    first, _ = await reserved_order(producer, watcher, worker, point_id, [line("AMBIENT", 5000)])
    second, _ = await reserved_order(producer, watcher, worker, point_id, [line("AMBIENT", 5000)])
    tour_id = f"tour-{uuid.uuid4().hex[:8]}"

    def delivered(order_id: str, stop_index: int) -> Event:
        return new_event(StopCompleted, producer="dispatch-api", actor=Actor("driver-9", "DRIVER"),
                         tour_id=tour_id, stop_index=stop_index, kind="DELIVERED", order_ids=[order_id])

    stop = delivered(first, 4)
    await producer.publish(stop)
    await producer.publish(stop)  # redelivered
    # One tour is one partition: once the next stop's parcel is in, both copies were handled.
    await producer.publish(delivered(second, 5))
    later = await watcher.wait_for(PICKUP_PARCELS, ParcelDeposited, order_id=second, watch=[worker])
    assert later.tour_id == tour_id

    [deposit] = watcher.events(PICKUP_PARCELS, ParcelDeposited, order_id=first)
    assert deposit.tour_id == tour_id and deposit.deposited_by == "driver-9"
    assert deposit.compartment_ids in (["A1"], ["A2"])
    notices = [e for e in watcher.events(NOTIFY_REQUESTS, NotificationRequested)
               if e.params.get("order_id") == first and e.template == "parcel-ready"]
    assert len(notices) == 1 and codes.is_pin(notices[0].params["pin"])


async def test_the_right_code_opens_once_even_when_two_terminals_race(api, producer, watcher, worker):
    point_id = await register(api, worker, [("A1", "AMBIENT", 45)])
    order_id, _ = await reserved_order(producer, watcher, worker, point_id, [line("AMBIENT", 5000)])
    _, pin = await deposited(api, producer, watcher, worker, order_id, point_id)
    collect = f"/v1/pickup-points/{point_id}/collect"
    wrong = await api.post(collect, json={"order_id": order_id, "code": "000000" if pin != "000000" else "111111"},
                           headers=RESIDENT)
    assert wrong.status_code == 403 and wrong.json()["detail"]["attempts_left"] == 4

    answers = await asyncio.gather(*(api.post(collect, json={"order_id": order_id, "code": pin}, headers=RESIDENT)
                                     for _ in range(2)))
    assert sorted(a.status_code for a in answers) == [201, 409]
    opened = next(a for a in answers if a.status_code == 201).json()
    assert opened["compartment_ids"] == ["A1"] and opened["open"] == ["A1"]
    assert (await api.post(collect, json={"order_id": order_id, "code": pin}, headers=RESIDENT)).status_code == 409

    collected = await watcher.wait_for(PICKUP_PARCELS, ParcelCollected, order_id=order_id, watch=[worker])
    assert collected.method == "PIN"
    released = await watcher.wait_for(PICKUP_RESERVATIONS, CompartmentReleased, order_id=order_id, watch=[worker])
    assert released.reason == "COLLECTED" and released.compartment_ids == ["A1"]
    assert len(watcher.events(PICKUP_PARCELS, ParcelCollected, order_id=order_id)) == 1


async def test_five_wrong_codes_lock_the_parcel_and_alert_the_operator(api, producer, watcher, worker):
    point_id = await register(api, worker, [("A1", "AMBIENT", 45)])
    order_id, _ = await reserved_order(producer, watcher, worker, point_id, [line("AMBIENT", 5000)])
    _, pin = await deposited(api, producer, watcher, worker, order_id, point_id)
    collect = f"/v1/pickup-points/{point_id}/collect"
    wrong_pin = f"{(int(pin) + 1) % 1_000_000:06d}"
    statuses = [(await api.post(collect, json={"order_id": order_id, "code": wrong_pin}, headers=RESIDENT)).status_code
                for _ in range(5)]
    assert statuses == [403, 403, 403, 403, 423]
    right = await api.post(collect, json={"order_id": order_id, "code": pin}, headers=RESIDENT)
    assert right.status_code == 423 and right.json()["error"] == "code_locked"

    locked = await watcher.wait_for(PICKUP_PARCELS, PickupCodeLocked, order_id=order_id, watch=[worker])
    assert locked.failed_attempts == 5

    async def alerted():
        return [e for e in watcher.events(NOTIFY_REQUESTS) if e.template == "pickup-code-locked"
                and e.params.get("order_id") == order_id]

    [alert] = await eventually(alerted, what="the operator's alert", watch=[worker])
    assert alert.recipient_role == "OPERATOR" and alert.recipient_id == "operator-desk"
    assert len(watcher.events(PICKUP_PARCELS, PickupCodeLocked, order_id=order_id)) == 1
    assert watcher.events(PICKUP_PARCELS, ParcelCollected, order_id=order_id) == []


async def test_code_attempts_are_rate_limited_per_caller_never_for_the_victim(apis, producer, watcher, worker):
    api = await apis(parcel_attempts_per_window=2, caller_attempts_per_window=4, attempt_window_seconds=3600)
    point_id = await register(api, worker, [("A1", "AMBIENT", 45), ("A2", "AMBIENT", 45)])
    first, _ = await reserved_order(producer, watcher, worker, point_id, [line("AMBIENT", 40000)])
    second, _ = await reserved_order(producer, watcher, worker, point_id, [line("AMBIENT", 40000)], resident="r-2")
    collect = f"/v1/pickup-points/{point_id}/collect"
    _, pin = await deposited(api, producer, watcher, worker, first, point_id)
    await deposited(api, producer, watcher, worker, second, point_id)
    attacker = bearer("r-666", "resident")
    codes_tried = [(first, "999999"), (first, "999998"), (first, "999997")]
    answers = [await api.post(collect, json={"order_id": o, "code": c}, headers=attacker) for o, c in codes_tried]
    assert [a.status_code for a in answers] == [403, 403, 429]
    assert answers[2].json()["error"] == "too_many_attempts" and "this parcel" in answers[2].json()["message"]
    assert 0 < int(answers[2].headers["Retry-After"]) <= 3600
    # The caller's own limit: their fourth attempt passes, the fifth does not, whatever the parcel.
    assert (await api.post(collect, json={"order_id": second, "code": "999999"}, headers=attacker)).status_code == 403
    blocked = await api.post(collect, json={"order_id": second, "code": "999998"}, headers=attacker)
    assert blocked.status_code == 429 and "this parcel" not in blocked.json()["message"]
    # Neither the point nor the parcel is blocked for anyone else: its resident collects at once.
    opened = await api.post(collect, json={"order_id": first, "code": pin}, headers=RESIDENT)
    assert opened.status_code == 201, opened.text


async def test_a_stranger_cannot_lock_someone_else_s_parcel(apis, producer, watcher, worker):
    api = await apis(parcel_attempts_per_window=50, caller_attempts_per_window=50)
    point_id = await register(api, worker, [("A1", "AMBIENT", 45)])
    order_id, _ = await reserved_order(producer, watcher, worker, point_id, [line("AMBIENT", 5000)])
    _, pin = await deposited(api, producer, watcher, worker, order_id, point_id)
    collect = f"/v1/pickup-points/{point_id}/collect"
    wrong_pin = f"{(int(pin) + 1) % 1_000_000:06d}"
    attacker = bearer("r-666", "resident")
    statuses = [(await api.post(collect, json={"order_id": order_id, "code": wrong_pin}, headers=attacker)).status_code
                for _ in range(7)]
    assert statuses == [403, 403, 403, 403, 423, 423, 423]
    refused = await api.post(collect, json={"order_id": order_id, "code": pin}, headers=attacker)
    assert refused.status_code == 423 and refused.json()["error"] == "locked_out"
    # The parcel's own resident is not affected: their code opens.
    opened = await api.post(collect, json={"order_id": order_id, "code": pin}, headers=RESIDENT)
    assert opened.status_code == 201, opened.text
    assert watcher.events(PICKUP_PARCELS, PickupCodeLocked, order_id=order_id) == []


async def new_pin(watcher, worker, order_id: str, reissue_id: str) -> str:
    """The PIN of the new-code message the resident got for `reissue_id`."""
    async def sent():
        return [e for e in watcher.events(NOTIFY_REQUESTS, NotificationRequested)
                if e.template == "pickup-code-reissued" and e.notification_id.endswith(reissue_id)]

    [notice] = await eventually(sent, what="the new code's message", watch=[worker])
    assert notice.recipient_id == "r-1" and notice.recipient_role == "RESIDENT"
    return notice.params["pin"]


async def test_a_locked_code_is_replaced_by_a_new_one_sent_to_the_resident_only(api, producer, watcher, worker):
    point_id = await register(api, worker, [("A1", "AMBIENT", 45)])
    order_id, _ = await reserved_order(producer, watcher, worker, point_id, [line("AMBIENT", 5000)])
    _, old_pin = await deposited(api, producer, watcher, worker, order_id, point_id)
    collect = f"/v1/pickup-points/{point_id}/collect"
    wrong_pin = f"{(int(old_pin) + 1) % 1_000_000:06d}"
    for _ in range(5):
        await api.post(collect, json={"order_id": order_id, "code": wrong_pin}, headers=RESIDENT)
    lock = await watcher.wait_for(PICKUP_PARCELS, PickupCodeLocked, order_id=order_id, watch=[worker])
    new_code = f"/v1/parcels/{order_id}/code"

    # Only the parcel's resident may ask; the new code is not in the answer, it goes to their phone.
    assert (await api.post(new_code, json={}, headers=bearer("r-666", "resident"))).status_code == 403
    asked = await api.post(new_code, json={}, headers=RESIDENT)
    assert asked.status_code == 201, asked.text
    answer = asked.json()
    assert answer["sent_to"] == "r-1" and old_pin not in asked.text and "pin" not in answer
    reissued = await watcher.wait_for(PICKUP_PARCELS, PickupCodeReissued, order_id=order_id, watch=[worker])
    assert reissued.event_id == answer["event_id"] and reissued.cleared_lock_event_id == lock.event_id
    assert (reissued.meta.actor.user_id, reissued.meta.actor.role) == ("r-1", "RESIDENT")
    pin = await new_pin(watcher, worker, order_id, reissued.event_id)

    if pin != old_pin:  # one in a million they coincide; then the old one opens by chance
        stale = await api.post(collect, json={"order_id": order_id, "code": old_pin}, headers=RESIDENT)
        assert stale.status_code == 403 and stale.json()["error"] == "wrong_code"
    opened = await api.post(collect, json={"order_id": order_id, "code": pin}, headers=RESIDENT)
    assert opened.status_code == 201, opened.text
    # Collected: no new code any more.
    assert (await api.post(new_code, json={}, headers=RESIDENT)).status_code == 409


async def test_an_operator_issues_a_new_code_with_a_reason_and_is_recorded(apis, producer, watcher, worker, redis):
    api = await apis(max_code_reissues=1)
    point_id = await register(api, worker, [("A1", "AMBIENT", 45)])
    order_id, _ = await reserved_order(producer, watcher, worker, point_id, [line("AMBIENT", 5000)])
    await deposited(api, producer, watcher, worker, order_id, point_id)
    new_code = f"/v1/parcels/{order_id}/code"
    assert (await api.post(new_code, json={}, headers=RESIDENT)).status_code == 201
    # The resident's limit (1 here) keeps the code request from flooding a phone; staff help beyond it.
    again = await api.post(new_code, json={}, headers=RESIDENT)
    assert again.status_code == 409 and again.json()["error"] == "too_many_reissues"
    no_reason = await api.post(new_code, json={}, headers=OPERATOR)
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["message"]
    for who in (DRIVER, bearer("shop-1", "shop", shop_id="shop-1"), bearer("m-1", "municipality", municipality="Höxter")):
        assert (await api.post(new_code, json={"reason": "x"}, headers=who)).status_code == 403
    done = await api.post(new_code, json={"reason": "Kundin am Telefon, Code verloren"}, headers=OPERATOR)
    assert done.status_code == 201, done.text

    def by_operator(e: Event) -> bool:
        return e.meta.actor.user_id == "op-1"

    reissued = await watcher.wait_for(PICKUP_PARCELS, PickupCodeReissued, order_id=order_id, watch=[worker],
                                      where=by_operator)
    assert reissued.reason == "Kundin am Telefon, Code verloren" and reissued.meta.actor.role == "OPERATOR"
    pin = await new_pin(watcher, worker, order_id, reissued.event_id)
    parcel = await redis.hgetall(keys.parcel(order_id))
    assert parcel["salt"] == reissued.event_id and parcel["reissues"] == "2"
    assert parcel["code_hash"] == codes.pin_hash(CODE_SECRET.encode(), reissued.event_id, order_id, pin)


async def test_an_uncollected_parcel_expires_and_frees_its_compartment(apis, producer, watcher, worker, redis):
    api = await apis(expiry_seconds=1)
    point_id = await register(api, worker, [("C1", "CHILLED", 20)])
    order_id, _ = await reserved_order(producer, watcher, worker, point_id, [line("CHILLED", 5000)])
    deposit, pin = await deposited(api, producer, watcher, worker, order_id, point_id)

    expired = await watcher.wait_for(PICKUP_PARCELS, ParcelExpired, order_id=order_id, watch=[worker])
    assert expired.expired_at == deposit.expires_at and expired.compartment_ids == ["C1"]
    released = await watcher.wait_for(PICKUP_RESERVATIONS, CompartmentReleased, order_id=order_id, watch=[worker])
    assert released.reason == "EXPIRED"
    occupancy = (await api.get(f"/v1/pickup-points/{point_id}/occupancy", params={"day": DAY.isoformat()},
                               headers=OPERATOR)).json()
    assert occupancy["used"] == 0
    late = await api.post(f"/v1/pickup-points/{point_id}/collect", json={"order_id": order_id, "code": pin},
                          headers=RESIDENT)
    assert late.status_code == 410
    assert await redis.zscore(keys.DUE, order_id) is None
    assert len(watcher.events(PICKUP_PARCELS, ParcelExpired, order_id=order_id)) == 1
    # OrderExpired from the orders saga later finds nothing more to release.
    await producer.publish(new_event(OrderExpired, producer="orders-worker", order_id=order_id,
                                     pickup_point_id=point_id, compartment_ids=["C1"]))
    _, after = await reserved_order(producer, watcher, worker, point_id, [line("CHILLED", 5000)])
    assert after.compartment_ids == ["C1"]
    assert len(watcher.events(PICKUP_RESERVATIONS, CompartmentReleased, order_id=order_id)) == 1


async def test_a_parcel_expired_while_the_broker_was_away_is_announced_once_with_the_same_event(
        api, settings, producer, watcher, worker, redis):
    """The expiry job commits the status change with its ParcelExpired (the outbox), then
    publishes. Here the publish fails after the commit (the producer is not running): the
    next run publishes that same event, once, and a later run nothing."""
    point_id = await register(api, worker, [("A1", "AMBIENT", 45)])
    order_id, _ = await reserved_order(producer, watcher, worker, point_id, [line("AMBIENT", 5000)])
    deposit, _ = await deposited(api, producer, watcher, worker, order_id, point_id)  # three days to go: the worker waits
    later = deposit.expires_at + timedelta(seconds=1)

    with pytest.raises(ProducerNotStarted):
        await expire_parcel(order_id, redis, EventProducer(settings.kafka_bootstrap), later)
    assert (await redis.hgetall(keys.parcel(order_id)))["status"] == "expired"
    assert await redis.zscore(keys.DUE, order_id) is not None  # found again by the next run
    [remembered] = unpack(await redis.get(ProcessedMarkers(redis, keys.EXPIRE).key(order_id)))
    assert remembered.type == "ParcelExpired" and remembered.expired_at == deposit.expires_at

    assert await expire_parcel(order_id, redis, producer, later) is True
    assert await expire_parcel(order_id, redis, producer, later) is False
    assert await redis.zscore(keys.DUE, order_id) is None
    expired = await watcher.wait_for(PICKUP_PARCELS, ParcelExpired, order_id=order_id, watch=[worker])
    assert expired.event_id == remembered.event_id and expired.compartment_ids == ["A1"]
    released = await watcher.wait_for(PICKUP_RESERVATIONS, CompartmentReleased, order_id=order_id, watch=[worker])
    assert released.reason == "EXPIRED" and released.compartment_ids == ["A1"]
    await watcher.caught_up()
    assert len(watcher.events(PICKUP_PARCELS, ParcelExpired, order_id=order_id)) == 1


# -- bad input ----------------------------------------------------------------------------------
async def test_corrupt_messages_are_dead_lettered_and_the_worker_goes_on(api, producer, watcher, worker):
    point_id = await register(api, worker, [("A1", "AMBIENT", 45)])
    garbage_key = f"k-{uuid.uuid4().hex[:8]}"
    await producer.publish_raw(PICKUP_RESERVATION_REQUESTS, b"not an event at all", key=point_id)
    await producer.publish_raw(ORDERS_ORDERS, b"\xc3\x01garbage", key=garbage_key)
    invalid = order_placed(f"o-{uuid.uuid4().hex[:10]}", point_id, DAY, [line("AMBIENT", -5)])
    await producer.publish(invalid)  # routed, then refused by the deciding worker: negative volume

    async def dead_lettered():
        requests = watcher.dead_letters(PICKUP_RESERVATION_REQUESTS)
        orders = watcher.dead_letters(ORDERS_ORDERS)
        garbage = [r for r in requests if r.value == b"not an event at all" and r.key == point_id.encode()]
        negative = [r for r in requests if r.value == invalid.encode()]
        corrupt = [r for r in orders if r.key == garbage_key.encode()]
        return (garbage, negative, corrupt) if garbage and negative and corrupt else None

    garbage, negative, corrupt = await eventually(dead_lettered, what="three dead letters", watch=[worker])
    assert garbage[0].header(h.DLQ_REASON) == "undecodable"
    assert negative[0].header(h.DLQ_REASON) == "invalid"
    assert "negative volume" in negative[0].header(h.DLQ_ERROR_MESSAGE)
    assert corrupt[0].header(h.DLQ_SERVICE) == "pickup"
    # The same partitions keep working.
    _, reserved = await reserved_order(producer, watcher, worker, point_id, [line("AMBIENT", 5000)])
    assert reserved.compartment_ids == ["A1"]
    assert worker.running


# -- atomicity without the partitioning, and rebuilding -----------------------------------------
async def test_reservations_stay_exact_even_when_two_deciders_race(settings, producer, redis_url):
    """Normally one worker owns a point's partition; during a rebalance two may briefly
    decide for it. The WATCH/MULTI step with the marker keeps the count exact anyway:
    eight deciders at once in this process, on the real Redis, for three compartments."""

    redis = connect(redis_url, client_name="pickup-test-deciders")  # as the worker's
    try:
        point_id = f"pp-race-{uuid.uuid4().hex[:10]}"
        point = RegisterPoint(**locker_body(point_id, [("C1", "CHILLED", 20), ("C2", "CHILLED", 20),
                                                   ("C3", "CHILLED", 20)])).to_point(point_id, 3)
        await project_point(new_event(PickupPointRegistered, producer="test", **point.event_fields()), redis)
        orders = [order_placed(f"o-{uuid.uuid4().hex[:10]}", point_id, DAY, [line("CHILLED", 15000)])
                  for _ in range(8)]
        results = await asyncio.gather(*(decide_reservation(o, redis, producer) for o in orders),
                                       *(decide_reservation(o, redis, producer) for o in orders[:4]))
        decided = {o.order_id: [e for e in (results[i], results[i + 8] if i < 4 else None) if e is not None]
                   for i, o in enumerate(orders)}
        # One decision per order: a repeat publishes nothing, or (still in flight) the same event again.
        assert all(len({e.event_id for e in events}) == 1 for events in decided.values()), decided
        first = [events[0] for events in decided.values()]
        assert [e.type for e in first].count("CompartmentReserved") == 3
        assert sorted(c for e in first if e.type == "CompartmentReserved" for c in e.compartment_ids) == [
            "C1", "C2", "C3"]
        assert len(await redis.hgetall(keys.day(point_id, DAY))) == 3
    finally:
        await redis.aclose()


async def test_the_read_models_rebuild_from_the_topics(api, settings, producer, watcher, worker, redis):
    """Last in the module: the rebuild clears the service's state and replays the topics."""
    point_id = await register(api, worker, [("A1", "AMBIENT", 45), ("C1", "CHILLED", 20)])
    kept, _ = await reserved_order(producer, watcher, worker, point_id, [line("AMBIENT", 5000)])
    gone, _ = await reserved_order(producer, watcher, worker, point_id, [line("CHILLED", 5000)])
    await producer.publish(new_event(OrderCancelled, producer="orders-api", order_id=gone))
    await watcher.wait_for(PICKUP_RESERVATIONS, CompartmentReleased, order_id=gone, watch=[worker])
    taken, _ = await reserved_order(producer, watcher, worker, point_id, [line("CHILLED", 5000)])
    await deposited(api, producer, watcher, worker, kept, point_id)
    # An order in two parts: the cheese delivered, the bread moved to the next day.
    parted_point = await register(api, worker, [("A1", "AMBIENT", 20), ("K1", "CHILLED", 20)])
    parted, _ = await two_shop_order(producer, watcher, worker, parted_point)
    next_day = DAY + timedelta(days=1)
    await producer.publish(new_event(OrderDeliveryMoved, producer="orders-worker", order_id=parted,
                                     shop_id="shop-baecker", pickup_point_id=parted_point, from_day=DAY,
                                     to_day=next_day, reason="MISSED_COLLECTION"))
    await watcher.wait_for(PICKUP_RESERVATIONS, CompartmentHoldMoved, order_id=parted, watch=[worker])
    cheese_tour = tour_bringing(parted_point, DAY, [(parted, "shop-hof")], "driver-7")
    await producer.publish(cheese_tour)
    await producer.publish(new_event(StopCompleted, producer="dispatch-api", tour_id=cheese_tour.tour_id,
                                     stop_index=0, kind="DELIVERED", order_ids=[parted]))

    async def cheese_in():
        return "delivered" in await redis.hgetall(keys.order(parted))
    await eventually(cheese_in, what="the cheese recorded as in", watch=[worker])

    parcel_fields = ("status", "code_hash", "qr_hash", "salt", "compartment_ids", "expires_at_ms", "pickup_point_id")

    async def snapshot() -> dict:
        parcel = await redis.hgetall(keys.parcel(kept))
        return {
            "point": json.loads(await redis.get(keys.point(point_id))),
            "geo": await redis.geopos(keys.GEO, point_id),
            "day": await redis.hgetall(keys.day(point_id, DAY)),
            "orders": [await redis.hgetall(keys.order(o)) for o in (kept, gone, taken, parted)],
            "parcel": {f: parcel.get(f) for f in parcel_fields},
            "due": await redis.zscore(keys.DUE, kept),
            "parted days": [await redis.hgetall(keys.day(parted_point, d)) for d in (DAY, next_day)],
        }

    before = await snapshot()
    assert before["day"] == {"A1": kept, "C1": taken} and before["parcel"]["status"] == "deposited"
    replayed = await rebuild(settings)
    assert replayed.counts[PICKUP_RESERVATIONS.name] >= 4
    assert await snapshot() == before
    # The markers came back too: a redelivered placement decides and publishes nothing, and
    # the next order at the point finds its chilled compartment taken as before.
    [first] = watcher.events(PICKUP_RESERVATIONS, CompartmentReserved, order_id=taken)
    await producer.publish(order_placed(taken, point_id, DAY, [line("CHILLED", 5000)]))
    after = await after_everything_before(watcher, producer, worker, point_id, DAY, taken)
    assert (after.type, after.reason) == ("CompartmentRejected", "FULL")
    assert watcher.events(PICKUP_RESERVATIONS, order_id=taken) == [first]
    assert (await redis.hgetall(keys.order(taken)))["status"] == "reserved"
    assert (await redis.hgetall(keys.day(point_id, DAY))) == before["day"]
    assert before["parted days"] == [{"K1": parted}, {"A1": parted, "K1": parted}]
    # The rebuilt record knows the cheese is in: the bread's delivery deposits the order.
    bread_tour = tour_bringing(parted_point, next_day, [(parted, "shop-baecker")], "driver-7")
    await producer.publish(bread_tour)
    await producer.publish(new_event(StopCompleted, producer="dispatch-api", tour_id=bread_tour.tour_id,
                                     stop_index=0, kind="DELIVERED", order_ids=[parted]))
    deposit = await watcher.wait_for(PICKUP_PARCELS, ParcelDeposited, order_id=parted, watch=[worker])
    assert sorted(deposit.compartment_ids) == ["A1", "K1"]
