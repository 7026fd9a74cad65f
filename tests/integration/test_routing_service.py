"""The routing service against the real broker and Redis: its worker as a
process (its own consumer group, solver pool and all), its API over ASGI with
its lifespan. Shipments arrive on logistics.shipments as the hub publishes them;
plans are requested over HTTP and read back from logistics.plans and the API,
and every published tour is re-checked by the solver's independent checker on
the problem rebuilt from the same inputs. Last, routing's projections are
cleared and rebuilt by a new consumer group replaying the topics."""

from __future__ import annotations

import json
import random
import time as clock
import uuid
from datetime import date, datetime, time, timedelta, timezone

import pytest

from nahnetz.clock import BERLIN
from nahnetz.events import Actor, Event, new_event
from nahnetz.kit.auth import issue_token
from nahnetz.kit.settings import DEV_JWT_SECRET
from nahnetz.records import (
    GeoPoint,
    OrderCancelled,
    PlannedTour,
    RoutePlanFailed,
    RoutePlanned,
    RoutePlanRequested,
    ShipmentCollected,
    ShipmentRequested,
    StopCompleted,
    TimeWindow,
    TourDispatched,
)
from nahnetz.regions import load_region
from nahnetz.testing import EFFECT, TopicReader, WorkerProcess, api_client, eventually, settings_for
from nahnetz.topics import LOGISTICS_PLANS
from services.routing import keys
from services.routing.api import create_app
from services.routing.domain.plan_events import plan_as_solution
from services.routing.domain.plan_requests import PlanAsked
from services.routing.domain.planning import draft_problem
from services.routing.domain.shipments import ShipmentRecord
from services.routing.domain.solver import check_solution
from services.routing.handlers.commands import plan_requested
from services.routing.handlers.plans import stored
from services.routing.handlers.travel import great_circle_source
from services.routing.rebuild import clear_projections

pytestmark = pytest.mark.integration

REGION = load_region("kreis_hoexter")
PLAN_TIMEOUT = 60.0
VANS = ["van-hx-1", "van-hx-2", "van-hx-3"]  # one refrigerated (1: all classes), 3 has a cool box (chilled)


def some_wednesday() -> date:
    """A Wednesday far ahead, its own per test: a plan's day holds only that test's shipments."""
    return date(2041, 7, 17) + timedelta(weeks=random.randrange(0, 2000))


def utc(day: date, hour: int) -> datetime:
    """A wall-clock hour in the region (Europe/Berlin) on `day`, in UTC."""
    return datetime.combine(day, time(hour), tzinfo=BERLIN).astimezone(timezone.utc)


def unique_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def auth(role: str = "operator", sub: str = "op-test") -> dict[str, str]:
    """A token of the API's (development) secret."""
    return {"Authorization": f"Bearer {issue_token(DEV_JWT_SECRET, sub, role)}"}


ROUTING_ENV = {"ROUTING_RECOVERY_INTERVAL_S": "1"}


@pytest.fixture(scope="module")
async def routing(topics, own_worker):
    async with own_worker("routing", "test", env=ROUTING_ENV) as worker:
        yield worker


@pytest.fixture(scope="module")
async def log(topics, broker_bootstrap):
    async with TopicReader(broker_bootstrap, [LOGISTICS_PLANS], dead_letters=True) as reader:
        yield reader


@pytest.fixture(scope="module")
async def api(topics, broker_bootstrap, redis_url):
    async with api_client(create_app(settings_for(broker_bootstrap, redis_url, service="routing"))) as client:
        yield client


def shipment_requested(day: date, index: int, *, temperature: str = "AMBIENT", weight_g: int | None = None,
                       rng: random.Random) -> Event:
    shop = REGION.shops[index % len(REGION.shops)]
    point = REGION.pickup_points[rng.randrange(len(REGION.pickup_points))]
    order_id = unique_id("o")
    return new_event(
        ShipmentRequested, producer="hub-worker", shipment_id=unique_id("shp"), order_id=order_id,
        shop_id=shop.id, pickup_point_id=point.id, compartment_ids=["A1"], delivery_day=day,
        weight_g=weight_g if weight_g is not None else rng.randrange(500, 25_000),
        volume_ml=rng.randrange(1_000, 40_000), temperature_class=temperature,
        pickup_windows=[TimeWindow(start=utc(day, 8), end=utc(day, 15))],
        shop_location=GeoPoint(lat=shop.lat, lon=shop.lon),
        pickup_point_location=GeoPoint(lat=point.lat, lon=point.lon), shop_name=shop.name,
        pickup_point_name=point.name)


async def publish_day(producer, redis, routing, day: date, events: list[Event]) -> None:
    for event in events:
        await producer.publish(event)

    async def projected() -> bool:
        return await redis.scard(keys.day(day)) == len(events)

    await eventually(projected, what="the routing worker knows the day's shipments", watch=[routing])


async def request_plan(api, body: dict) -> dict:
    answer = await api.post("/v1/plans", json=body, headers=auth())
    assert answer.status_code == 202, answer.text
    return answer.json()


async def outcome(log: TopicReader, routing: WorkerProcess, plan_id: str) -> RoutePlanned | RoutePlanFailed:
    """The answer to the plan request: the first RoutePlanned or RoutePlanFailed under its key."""
    return await log.wait_for(LOGISTICS_PLANS, key=plan_id, timeout=PLAN_TIMEOUT, watch=[routing],
                              where=lambda e: isinstance(e, (RoutePlanned, RoutePlanFailed)))


async def recheck(request: RoutePlanRequested, shipments: list[ShipmentRequested], planned: RoutePlanned):
    """Rebuild the problem from the same inputs and check the published tours independently."""
    draft = draft_problem(request, [ShipmentRecord.from_request(s) for s in shipments])
    inp = draft.with_matrix(await great_circle_source().matrix(draft.locations))
    inp = inp.as_published([j for tour in planned.tours for stop in tour.stops for j in stop.job_ids]
                           + [d.job_id for d in planned.dropped])
    return inp, check_solution(inp.problem, plan_as_solution(inp.problem, inp.reference, planned.tours,
                                                             planned.dropped))


# -- a day's plan -----------------------------------------------------------------------------------------
async def test_a_plan_for_twenty_shipments_and_three_vans_over_http(routing, log, producer, api, redis):
    day = some_wednesday()
    rng = random.Random(day.toordinal())
    temperatures = ["FROZEN"] * 4 + ["CHILLED"] * 5 + ["AMBIENT"] * 11
    shipments = [shipment_requested(day, i, temperature=t, rng=rng) for i, t in enumerate(temperatures)]
    too_heavy = shipment_requested(day, 99, weight_g=2_000_000, rng=rng)
    await publish_day(producer, redis, routing, day, shipments + [too_heavy])

    accepted = await request_plan(api, {"day": day.isoformat(), "vehicles": [{"vehicle_id": v} for v in VANS],
                                        "time_budget_s": 5})
    plan_id = accepted["plan_id"]
    assert accepted["status_url"] == f"/v1/plans/{plan_id}" and accepted["vehicle_ids"] == VANS
    pending = await api.get(accepted["status_url"], headers=auth())
    assert pending.status_code == 200 and pending.json()["status"] in ("PENDING", "PLANNED")

    # While OR-Tools searches in the pool (5 s), the worker's event loop answers at once.
    started = clock.monotonic()
    while not log.events(LOGISTICS_PLANS, RoutePlanned, key=plan_id) and clock.monotonic() - started < 4:
        asked = clock.monotonic()
        assert await routing.ready(), "the worker must stay ready while it solves"
        assert clock.monotonic() - asked < 2.0, "a blocked event loop would answer only after the solve"
    planned = await outcome(log, routing, plan_id)
    assert planned.type == "RoutePlanned", planned.as_dict()
    [request] = log.events(LOGISTICS_PLANS, RoutePlanRequested, key=plan_id)
    assert request.correlation_id == planned.correlation_id
    # The fleet's local shifts, in UTC for the day (van 3: 07:00-17:00 Europe/Berlin).
    van3 = next(v for v in request.vehicles if v.vehicle_id == "van-hx-3")
    assert van3.shift == TimeWindow(start=utc(day, 7), end=utc(day, 17))

    inp, violations = await recheck(request, shipments + [too_heavy], planned)
    assert violations == []
    carried = {sid: tour.vehicle_id for tour in planned.tours for stop in tour.stops for sid in stop.shipment_ids}
    dropped = {sid: d for d in planned.dropped for sid in d.shipment_ids}
    assert set(carried) | set(dropped) == {s.shipment_id for s in shipments + [too_heavy]}
    assert dropped[too_heavy.shipment_id].reason == "CAPACITY"
    assert "TOO_HEAVY" in dropped[too_heavy.shipment_id].detail
    assert len(carried) >= 18  # a short budget still carries nearly everything
    for s in shipments:
        if s.shipment_id in carried and s.temperature_class == "FROZEN":
            assert carried[s.shipment_id] == "van-hx-1"
        if s.shipment_id in carried and s.temperature_class == "CHILLED":
            assert carried[s.shipment_id] in ("van-hx-1", "van-hx-3")
    for tour in planned.tours:
        assert tour.stops[0].kind == tour.stops[-1].kind == "DEPOT"
        assert tour.tour_id == f"{plan_id}-{tour.vehicle_id}"
        etas = [stop.eta for stop in tour.stops]
        assert etas == sorted(etas)
    assert planned.distance_km == pytest.approx(sum(t.distance_km for t in planned.tours))
    assert 0 < planned.load_factor <= 1 and planned.empty_km >= 0

    async def shown():
        answer = await api.get(f"/v1/plans/{plan_id}", headers=auth())
        return answer.json() if answer.json()["status"] == "PLANNED" else None

    view = await eventually(shown, what="the plan shown as PLANNED", watch=[routing])
    assert len(view["tours"]) == len(planned.tours) and view["figures"]["vehicles_used"] == len(planned.tours)
    assert view["figures"]["distance_km"] == pytest.approx(planned.distance_km, abs=1e-3)
    assert any(d["shipment_ids"] == [too_heavy.shipment_id] and d["reason"] == "CAPACITY" for d in view["dropped"])
    # Stops follow places: one collection per shop, one delivery per pick-up point (and temperature group).
    job_ids = {j for tour in planned.tours for stop in tour.stops for j in stop.job_ids}
    assert len(job_ids) < len(shipments) * 2 and all(j.split(":")[0] in ("collect", "distribute", "direct")
                                                     for j in job_ids)
    listed = (await api.get("/v1/plans", params={"day": day.isoformat()}, headers=auth())).json()["plans"]
    assert [p["plan_id"] for p in listed] == [plan_id] and listed[0]["status"] == "PLANNED"

    # A redelivered request is not solved again.
    before = await routing.handled(LOGISTICS_PLANS, RoutePlanRequested)
    await producer.publish(request)
    await eventually(lambda: _more(routing.handled(LOGISTICS_PLANS, RoutePlanRequested), before),
                     what="the redelivered request handled", watch=[routing])
    assert await redis.zscore(keys.SOLVING, plan_id) is None
    assert len(log.events(LOGISTICS_PLANS, RoutePlanned, key=plan_id)) == 1


async def _more(coro, than: float) -> bool:
    return await coro > than


async def a_dispatched_tour(routing, log, producer, api, redis, shipment_count: int
                            ) -> tuple[date, list[ShipmentRequested], RoutePlanned, PlannedTour]:
    """`shipment_count` shipments of 5 kg on a day of their own, planned for van-hx-2 alone
    (1 s budget), and the plan's one tour dispatched to driver d-1."""
    day = some_wednesday()
    rng = random.Random(day.toordinal())
    shipments = [shipment_requested(day, i, rng=rng, weight_g=5_000) for i in range(shipment_count)]
    await publish_day(producer, redis, routing, day, shipments)
    accepted = await request_plan(api, {"day": day.isoformat(), "vehicles": [{"vehicle_id": "van-hx-2"}],
                                        "time_budget_s": 1})
    planned = await outcome(log, routing, accepted["plan_id"])
    assert isinstance(planned, RoutePlanned), planned.as_dict()
    [tour] = planned.tours
    await producer.publish(new_event(TourDispatched, producer="dispatch-api", tour_id=tour.tour_id,
                                     plan_id=planned.plan_id, day=day, driver_id="d-1", vehicle_id="van-hx-2",
                                     stops=tour.stops))
    return day, shipments, planned, tour


async def test_a_replan_keeps_what_the_driver_has_done_first_on_the_van(routing, log, producer, api, redis):
    day, _, first, tour = await a_dispatched_tour(routing, log, producer, api, redis, 6)
    for index in (1, 2):
        await producer.publish(new_event(StopCompleted, producer="dispatch-api", tour_id=tour.tour_id,
                                         stop_index=index, kind="ARRIVED"))

    async def progressed():
        raw = await redis.get(keys.tour(tour.tour_id))
        return raw is not None and json.loads(raw)["reached"] == 2

    await eventually(progressed, what="the driver's progress known to routing", watch=[routing])
    second = await request_plan(api, {"day": day.isoformat(), "vehicles": [{"vehicle_id": "van-hx-2"}],
                                      "time_budget_s": 1, "replan_of": first.plan_id})
    replanned = await outcome(log, routing, second["plan_id"])
    assert replanned.type == "RoutePlanned" and replanned.replan_of == first.plan_id
    [new_tour] = replanned.tours
    done = [(s.kind, s.shipment_ids) for s in tour.stops[1:3]]
    assert [(s.kind, s.shipment_ids) for s in new_tour.stops[1:3]] == done


# -- failures and bad input ---------------------------------------------------------------------------------
async def test_a_day_without_shipments_fails_with_its_reason(routing, log, api):
    accepted = await request_plan(api, {"day": some_wednesday().isoformat(), "time_budget_s": 1})
    answer = await outcome(log, routing, accepted["plan_id"])
    assert answer.type == "RoutePlanFailed" and answer.reason == "NO_JOBS"

    async def shown():
        view = (await api.get(f"/v1/plans/{accepted['plan_id']}", headers=auth())).json()
        return view if view["status"] == "FAILED" else None

    view = await eventually(shown, what="the failure shown", watch=[routing])
    assert view["failure"]["reason"] == "NO_JOBS"
    # Without vehicles named, the region's whole fleet was asked for.
    [request] = log.events(LOGISTICS_PLANS, RoutePlanRequested, key=accepted["plan_id"])
    assert [v.vehicle_id for v in request.vehicles] == [v.id for v in REGION.fleet]


async def test_a_corrupt_message_on_logistics_plans_is_dead_lettered_and_the_worker_goes_on(routing, log, producer):
    plan_id = unique_id("plan")
    await producer.publish_raw(LOGISTICS_PLANS, b"\xc3\x01 not a plan at all", key=plan_id)
    # Then a good request on the same partition (same key): it is answered.
    request = plan_requested(PlanAsked(day=some_wednesday()), REGION, time_budget_s=1,
                             actor=Actor("op-test", "operator"), plan_id=plan_id)
    await producer.publish(request)
    answer = await outcome(log, routing, plan_id)
    assert answer.type == "RoutePlanFailed" and answer.reason == "NO_JOBS"
    [letter] = await eventually(lambda: log.dead_letters(LOGISTICS_PLANS, keys={plan_id}), what="the dead letter",
                                watch=[routing])
    assert letter.value == b"\xc3\x01 not a plan at all"
    assert any(v and b"undecodable" in v for _, v in letter.headers)


async def test_a_plan_claimed_by_a_worker_that_died_is_answered_by_the_recovery(routing, log, redis):
    """As a worker leaves it when it stops between claim and answer: request stored, lease expired."""
    plan_id = unique_id("plan")
    request = plan_requested(PlanAsked(day=some_wednesday()), REGION, time_budget_s=1,
                             actor=Actor("op-test", "operator"), plan_id=plan_id)
    await redis.set(keys.plan_request(plan_id), stored(request))
    await redis.zadd(keys.SOLVING, {plan_id: int(clock.time() * 1000) - 1000})
    answer = await outcome(log, routing, plan_id)
    assert answer.type == "RoutePlanFailed" and answer.reason == "NO_JOBS"
    assert answer.correlation_id == request.correlation_id
    await eventually(lambda: _not_solving(redis, plan_id), what="the lease dropped", watch=[routing])


async def _not_solving(redis, plan_id: str) -> bool:
    return await redis.zscore(keys.SOLVING, plan_id) is None


async def test_bad_plan_requests_are_refused_with_a_clear_answer(api):
    day = some_wednesday().isoformat()
    assert (await api.post("/v1/plans", json={"day": day})).status_code == 401
    assert (await api.post("/v1/plans", json={"day": day}, headers=auth("driver", "d-1"))).status_code == 403
    past = await api.post("/v1/plans", json={"day": "2020-01-01"}, headers=auth())
    assert past.status_code == 422 and "past" in past.json()["message"]
    stranger = await api.post("/v1/plans", json={"day": day, "vehicles": [{"vehicle_id": "lastenrad-1"}]},
                              headers=auth())
    assert stranger.status_code == 422 and "max_weight_kg" in stranger.json()["message"]
    twice = await api.post("/v1/plans", json={"day": day, "vehicles": [{"vehicle_id": "van-hx-1"},
                                                                       {"vehicle_id": "van-hx-1"}]}, headers=auth())
    assert twice.status_code == 422 and "unique" in twice.json()["message"]
    greedy = await api.post("/v1/plans", json={"day": day, "time_budget_s": 100_000}, headers=auth())
    assert greedy.status_code == 422
    unknown = await api.post("/v1/plans", json={"day": day, "replan_of": "plan-nope"}, headers=auth())
    assert unknown.status_code == 422 and "plan-nope" in unknown.json()["message"]
    assert (await api.get("/v1/plans/plan-nope", headers=auth())).status_code == 404


# -- rebuild (last: it stops the module's worker) ---------------------------------------------------------
async def routing_state(redis, day: date, shipments: list[ShipmentRequested], plan_id: str, tour_id: str) -> dict:
    """Every projection of routing that the day's events wrote, as Redis holds it."""
    return {
        "day": sorted(await redis.smembers(keys.day(day))),
        "shipments": {s.shipment_id: await _json(redis, keys.shipment(s.shipment_id)) for s in shipments},
        "cancelled": {s.order_id: await redis.get(keys.cancelled(s.order_id)) for s in shipments},
        "tour": await _json(redis, keys.tour(tour_id)),
        "plan_tours": sorted(await redis.smembers(keys.plan_tours(plan_id))),
        "plan": await _json(redis, keys.plan(plan_id)),
        "plans_of_day": await redis.zrange(keys.plans_of_day(day), 0, -1, withscores=True),
    }


async def _json(redis, key: str):
    raw = await redis.get(key)
    return None if raw is None else json.loads(raw)


async def test_a_rebuild_clears_the_projections_and_a_new_consumer_group_replays_them(
        routing, log, producer, api, redis, own_worker):
    day, shipments, planned, tour = await a_dispatched_tour(routing, log, producer, api, redis, 4)
    plan_id = planned.plan_id
    # What happens after the plan: the tour is driven, a shipment collected, an order cancelled.
    collected, withdrawn = shipments[0], shipments[3]
    for event in (new_event(StopCompleted, producer="dispatch-api", tour_id=tour.tour_id, stop_index=1,
                            kind="COLLECTED"),
                  new_event(ShipmentCollected, producer="hub-worker", shipment_id=collected.shipment_id,
                            order_id=collected.order_id, tour_id=tour.tour_id),
                  new_event(OrderCancelled, producer="orders-api", order_id=withdrawn.order_id, reason="test")):
        await producer.publish(event)

    async def projected() -> dict | None:
        state = await routing_state(redis, day, shipments, plan_id, tour.tour_id)
        done = (state["plan"] is not None and state["plan"]["status"] == "PLANNED" and state["tour"] is not None
                and state["tour"]["reached"] == 1
                and state["shipments"][collected.shipment_id]["status"] == "COLLECTED"
                and state["cancelled"][withdrawn.order_id] is not None)
        return state if done else None

    before = await eventually(projected, what="everything projected", watch=[routing])
    assert before["day"] == sorted(s.shipment_id for s in shipments)
    assert before["plan_tours"] == [tour.tour_id] and [m for m, _ in before["plans_of_day"]] == [plan_id]
    assert before["plan"]["requested_by"] == "op-test" and before["plan"]["vehicle_ids"] == ["van-hx-2"]

    # python -m services.routing.rebuild --yes: the worker stopped, then the projections cleared.
    routing.stop()
    assert await clear_projections(redis) > 0
    cleared = await routing_state(redis, day, shipments, plan_id, tour.tour_id)
    assert cleared == {"day": [], "shipments": {s.shipment_id: None for s in shipments},
                       "cancelled": {s.order_id: None for s in shipments}, "tour": None, "plan_tours": [],
                       "plan": None, "plans_of_day": []}
    assert await redis.exists(keys.plan_outcome(plan_id))  # kept: the request is not solved again

    async with own_worker("routing", "rebuilt", env=ROUTING_ENV) as rebuilt:
        async def replayed() -> bool:
            return await routing_state(redis, day, shipments, plan_id, tour.tour_id) == before

        await eventually(replayed, timeout=EFFECT * 2, what="routing's projections replayed as they were",
                         watch=[rebuilt])
        # The replayed request was handled before its outcome (one partition) and not claimed again.
        assert await redis.zscore(keys.SOLVING, plan_id) is None
        assert await rebuilt.handled(LOGISTICS_PLANS, RoutePlanRequested) >= 1
        assert len(log.events(LOGISTICS_PLANS, RoutePlanned, key=plan_id)) == 1
