"""Dispatch against the real broker and Redis: the worker as its own process
(`python -m services.dispatch.worker`, a consumer group of its own), the API in
this process over ASGI with its lifespan (real producer, real Redis). Upstream
events (shops, pick-up points, shipments, plans) are published as their owners
would; what dispatch does is read back from logistics.tours, its dead letters
and its HTTP answers. Only the one outgoing call to the routing service is faked
(an httpx MockTransport), because that service is built elsewhere."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from dispatch_support import Scenario, plan_events, replan_events, scenario
from nahnetz.clock import BERLIN, today_in_berlin
from nahnetz.events import new_event
from nahnetz.kit.auth import issue_token
from nahnetz.messaging import headers as h
from nahnetz.messaging.dead_letter import dead_letter_topic
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import Actor, Role, StopCompleted, StopFailed
from nahnetz.testing import TopicReader, WorkerProcess, api_client, eventually, settings_for
from nahnetz.topics import LOGISTICS_PLANS, LOGISTICS_TOURS
from services.dispatch import keys
from services.dispatch.api import create_app
from services.dispatch.handlers.routing_client import HttpRoutingClient
from services.dispatch.settings import DispatchSettings

pytestmark = pytest.mark.integration

SECRET = "dispatch-integration-secret-long-enough-for-hs256"
DAY = today_in_berlin()


def bearer(sub: str, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, sub, role)}"}


OPERATOR = bearer("op-1", "operator")
RESIDENT = bearer("r-1", "resident")


@dataclass
class Dispatch:
    """The module's dispatch: its worker, its API (routing faked) and what lands on logistics.tours."""

    api: httpx.AsyncClient
    log: TopicReader
    worker: WorkerProcess
    routing_requests: list[httpx.Request]


@dataclass
class Stack(Dispatch):
    """What a test drives: dispatch, with the shared producer and Redis client."""

    producer: EventProducer
    redis: Redis

    async def publish(self, events) -> None:
        for event in events:
            await self.producer.publish(event)

    async def tour_events(self, tour_id: str, count: int, event_type: str | None = None) -> list:
        """The events of the tour (of a type) on logistics.tours, once there are `count`."""
        return await self.log.wait_for_count(LOGISTICS_TOURS, count, event_type, key=tour_id, watch=[self.worker])


# -- fixtures ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
async def dispatch(topics, own_worker, broker_bootstrap, redis_url):
    routing_requests: list[httpx.Request] = []

    def routing(request: httpx.Request) -> httpx.Response:
        routing_requests.append(request)
        new_plan = f"plan-re-{len(routing_requests)}"
        return httpx.Response(202, json={"plan_id": new_plan, "status": "requested",
                                         "status_url": f"/v1/plans/{new_plan}"})

    settings = settings_for(broker_bootstrap, redis_url, service="dispatch", jwt_secret=SECRET)
    app = create_app(settings, DispatchSettings(routing_url="http://routing.test"),
                     routing=HttpRoutingClient("http://routing.test", transport=httpx.MockTransport(routing)))
    async with TopicReader(broker_bootstrap, [LOGISTICS_TOURS, dead_letter_topic(LOGISTICS_PLANS),
                                              dead_letter_topic(LOGISTICS_TOURS)]) as log, \
            own_worker("dispatch", "test") as worker, \
            api_client(app, base_url="http://dispatch.test") as api:
        yield Dispatch(api, log, worker, routing_requests)


@pytest.fixture
def stack(dispatch, producer, redis) -> Stack:
    return Stack(**vars(dispatch), producer=producer, redis=redis)


async def planned(stack: Stack, unique: str, day: date = DAY) -> Scenario:
    """The scenario's upstream events published and projected by the worker."""
    s = scenario(unique, day)
    await stack.publish(plan_events(s))

    async def projected():
        plan = await stack.redis.hget(keys.plan(s.plan_id), "status")
        known = await stack.redis.exists(*(keys.shipment(sid) for sid in s.shipments), keys.point(s.point),
                                         keys.shop(s.shop_a), keys.shop(s.shop_b))
        return plan == "PLANNED" and known == 5

    await eventually(projected, what="plan, shipments and places projected", watch=[stack.worker])
    return s


async def dispatched(stack: Stack, s: Scenario, driver: str) -> dict[str, Any]:
    answer = await stack.api.post("/v1/tours", headers=OPERATOR,
                                  json={"plan_id": s.plan_id, "vehicle_id": s.vehicle_id, "driver_id": driver})
    assert answer.status_code == 201, answer.text
    return answer.json()


async def report(stack: Stack, tour_id: str, seq: int, step: str, who: dict, body: dict | None = None,
                 key: str | None = None) -> httpx.Response:
    headers = {**who, **({"Idempotency-Key": key} if key else {})}
    return await stack.api.post(f"/v1/tours/{tour_id}/stops/{seq}/{step}", headers=headers, json=body)


# -- dispatching ------------------------------------------------------------------------------------
async def test_a_planned_tour_is_dispatched_once_and_the_driver_sees_it_and_its_sheet(stack, unique):
    s = await planned(stack, unique)
    driver, other = f"driver-{unique}", f"driver-other-{unique}"
    answer = await dispatched(stack, s, driver)
    assert (answer["tour_id"], answer["status"], answer["stops"], answer["parcels"]) == (s.tour_id, "DISPATCHED", 5, 2)
    assert answer["sheet_url"] == f"/v1/tours/{s.tour_id}/sheet"

    [event] = await stack.tour_events(s.tour_id, 1, "TourDispatched")
    assert event.event_id == answer["event_id"]
    assert (event.plan_id, event.driver_id, event.vehicle_id, event.day, event.vehicle_name) == (
        s.plan_id, driver, s.vehicle_id, DAY, "HX-NN 104")
    assert event.meta.actor == Actor(user_id="op-1", role=Role.OPERATOR, on_behalf_of=None)
    stops = event.stops
    assert [(st.kind, st.place_id) for st in stops] == [
        ("DEPOT", "hub-hx"), ("PICKUP", s.shop_a), ("PICKUP", s.shop_b), ("DELIVERY", s.point), ("DEPOT", "hub-hx")]
    assert stops[0].name == "Logistikport HX" and stops[1].name == "Hofladen Amelunxen"
    assert stops[1].address.locality == "Amelunxen" and stops[1].driver_note == "Anlieferung über den Hof"
    assert [(c.action, c.shipment_id, c.order_id) for c in stops[2].consignments] == [
        ("LOAD", s.shipments[1], s.orders[1])]
    assert [(c.action, c.order_id, c.compartment_ids) for c in stops[3].consignments] == [
        ("UNLOAD", s.orders[0], ["AM01"]), ("UNLOAD", s.orders[1], ["CM01"])]
    assert stops[3].job_ids == [f"job-{sid}" for sid in s.shipments]

    again = await stack.api.post("/v1/tours", headers=OPERATOR,
                                 json={"plan_id": s.plan_id, "vehicle_id": s.vehicle_id, "driver_id": other})
    assert again.status_code == 409 and again.json()["error"] == "conflict"
    assert driver in again.json()["message"]

    mine = await stack.api.get("/v1/drivers/me/tours", params={"day": DAY.isoformat()}, headers=bearer(driver, "driver"))
    assert mine.status_code == 200
    [tour] = mine.json()["tours"]
    assert tour["tour_id"] == s.tour_id and [st["seq"] for st in tour["stops"]] == [0, 1, 2, 3, 4]
    assert tour["stops"][3]["unload"][1]["compartment_ids"] == ["CM01"]

    shown = await stack.api.get(f"/v1/tours/{s.tour_id}", headers=bearer(driver, "driver"))
    assert shown.status_code == 200 and shown.json()["status"] == "DISPATCHED"
    assert shown.json()["stops"][1]["eta_local"] == tour["stops"][1]["eta_local"]

    sheet = await stack.api.get(f"/v1/tours/{s.tour_id}/sheet", headers=bearer(driver, "driver"))
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/html")
    html = sheet.text
    positions = [html.index(f'data-seq="{i}"') for i in range(5)]
    assert positions == sorted(positions)
    for text in ("Hofladen Amelunxen", "Metzgerei &lt;Brakel&gt;", "Pick-up-Point HX Höxter Rathaus",
                 s.shipments[0], s.orders[1], "K1", "A1", "HX-NN 104", driver):
        assert text in html, text
    assert (await stack.api.get(f"/v1/tours/{s.tour_id}/sheet", params={"format": "pdf"},
                                headers=OPERATOR)).status_code == 422

    # Another driver does not see the tour; a resident may not look at tours at all.
    for path in (f"/v1/tours/{s.tour_id}", f"/v1/tours/{s.tour_id}/sheet"):
        assert (await stack.api.get(path, headers=bearer(other, "driver"))).status_code == 404
        assert (await stack.api.get(path, headers=RESIDENT)).status_code == 403
    theirs = await stack.api.get("/v1/drivers/me/tours", params={"day": DAY.isoformat()}, headers=bearer(other, "driver"))
    assert theirs.json()["tours"] == []
    listed = await stack.api.get("/v1/tours", params={"day": DAY.isoformat()}, headers=OPERATOR)
    assert s.tour_id in [t["tour_id"] for t in listed.json()["tours"]]


async def test_dispatch_refuses_what_it_cannot_do(stack, unique):
    s = await planned(stack, unique)
    cases = [
        ({"plan_id": f"plan-none-{unique}", "vehicle_id": s.vehicle_id, "driver_id": "d"}, OPERATOR, 404),
        ({"plan_id": s.plan_id, "vehicle_id": "van-none", "driver_id": "d"}, OPERATOR, 422),
        ({"plan_id": s.plan_id, "vehicle_id": s.vehicle_id}, OPERATOR, 422),
        ({"plan_id": s.plan_id, "vehicle_id": s.vehicle_id, "driver_id": "d"}, bearer("d", "driver"), 403),
        ({"plan_id": s.plan_id, "vehicle_id": s.vehicle_id, "driver_id": "d"}, {}, 401),
    ]
    for body, who, status in cases:
        answer = await stack.api.post("/v1/tours", headers=who, json=body)
        assert answer.status_code == status, (body, answer.text)
        assert answer.json()["message"]
    assert stack.log.events(LOGISTICS_TOURS, key=s.tour_id) == []


# -- reports from the road ------------------------------------------------------------------------------
async def test_stop_reports_become_events_and_the_last_one_completes_the_tour(stack, unique):
    s = await planned(stack, unique)
    driver = f"driver-{unique}"
    me = bearer(driver, "driver")
    tour = (await dispatched(stack, s, driver))["tour_id"]

    first = await report(stack, tour, 0, "arrived", me, {"odometer_km": 48200.0})
    assert first.status_code == 201, first.text
    assert (first.json()["event_type"], first.json()["stop_status"]) == ("StopCompleted", "DONE")
    assert (await report(stack, tour, 1, "arrived", me)).status_code == 201
    early = await report(stack, tour, 3, "delivered", me)
    assert early.status_code == 409 and "still at stop 1" in early.json()["message"]
    collected = await report(stack, tour, 1, "collected", me, {"proof": {"signature_name": "B. Meier"}})
    assert collected.json()["stop_status"] == "DONE"

    not_yet = await report(stack, tour, 3, "delivered", me)
    assert not_yet.status_code == 409 and not_yet.json()["error"] == "not_collected_yet"
    assert s.shipments[1] in not_yet.json()["message"]

    failed = await report(stack, tour, 2, "failed", me, {"reason": "SHOP_CLOSED", "note": "Urlaub"})
    assert failed.status_code == 201 and failed.json()["event_type"] == "StopFailed"
    delivered = await report(stack, tour, 3, "delivered", me, {
        "compartment_ids": ["AM01"], "proof": {"scanned_code": "AM01", "photo_ref": f"photos/{unique}.jpg"}})
    assert delivered.status_code == 201, delivered.text
    back = await report(stack, tour, 4, "arrived", me, {"odometer_km": 48263.5})
    assert back.json()["tour_status"] == "FINISHED"
    assert (await report(stack, tour, 2, "arrived", me)).status_code == 409

    events = await stack.tour_events(tour, 7)
    [completed] = await stack.tour_events(tour, 1, "TourCompleted")
    reports = [e for e in events if e.type in ("StopCompleted", "StopFailed")]
    kinds = [(e.type, e.stop_index, e.kind if isinstance(e, StopCompleted) else None) for e in reports]
    assert kinds == [
        ("StopCompleted", 0, "ARRIVED"), ("StopCompleted", 1, "ARRIVED"), ("StopCompleted", 1, "COLLECTED"),
        ("StopFailed", 2, None), ("StopCompleted", 3, "DELIVERED"), ("StopCompleted", 4, "ARRIVED")]
    collected_event, failed_event, delivered_event = reports[2], reports[3], reports[4]
    assert collected_event.shipment_ids == [s.shipments[0]] and collected_event.order_ids == [s.orders[0]]
    assert collected_event.proof.signature_name == "B. Meier" and collected_event.channel == "APP"
    assert (failed_event.reason, failed_event.note, failed_event.shipment_ids) == ("SHOP_CLOSED", "Urlaub", [s.shipments[1]])
    assert delivered_event.shipment_ids == [s.shipments[0]] and delivered_event.compartment_ids == ["AM01"]
    assert delivered_event.proof.photo_ref == f"photos/{unique}.jpg"
    assert delivered_event.meta.actor == Actor(user_id=driver, role=Role.DRIVER, on_behalf_of=None)
    assert {e.correlation_id for e in events} == {events[0].correlation_id}
    assert (completed.stops_completed, completed.stops_failed, completed.distance_km, completed.driver_id) == (
        4, 1, 63.5, driver)

    async def closed():
        return (await stack.api.get(f"/v1/tours/{tour}", headers=me)).json()["status"] == "COMPLETED"

    await eventually(closed, what="the tour shown as completed", watch=[stack.worker])
    assert len(stack.log.events(LOGISTICS_TOURS, "TourCompleted", key=tour)) == 1


async def test_an_operator_enters_a_paper_sheet_for_the_driver_and_other_drivers_may_not(stack, unique):
    s = await planned(stack, unique)
    driver = f"driver-{unique}"
    tour = (await dispatched(stack, s, driver))["tour_id"]
    # From the sheet, entered later (but on the tour's day: nothing happens before it).
    at = max(datetime.now(BERLIN) - timedelta(hours=1), datetime.combine(DAY, time(0, 1), BERLIN)).replace(
        microsecond=0)

    stranger = await report(stack, tour, 1, "collected", bearer(f"driver-x-{unique}", "driver"))
    assert stranger.status_code == 404
    assert (await report(stack, tour, 1, "collected", RESIDENT)).status_code == 403
    self_timed = await report(stack, tour, 1, "collected", bearer(driver, "driver"), {"at": at.isoformat()})
    assert self_timed.status_code == 422

    entered = await report(stack, tour, 1, "collected", OPERATOR, {"at": at.isoformat()})
    assert entered.status_code == 201, entered.text
    phoned = await report(stack, tour, 2, "failed", OPERATOR, {"reason": "DAMAGED", "channel": "PHONE"})
    assert phoned.status_code == 201
    collected, failed = [e for e in await stack.tour_events(tour, 3) if e.type != "TourDispatched"]
    assert collected.meta.actor == Actor(user_id="op-1", role=Role.OPERATOR, on_behalf_of=driver)
    assert (collected.channel, collected.meta.occurred_at) == ("PAPER", at)
    assert (failed.channel, failed.reason) == ("PHONE", "DAMAGED")
    assert (await report(stack, tour, 1, "failed", OPERATOR, {"reason": "BROKEN"})).status_code == 422


async def test_nothing_is_reported_before_the_tour_s_day_and_the_driver_sees_the_next_tour(stack, unique):
    tomorrow = DAY + timedelta(days=1)
    s = await planned(stack, unique, tomorrow)
    driver = f"driver-{unique}"
    tour = (await dispatched(stack, s, driver))["tour_id"]

    # The driver opening the app today sees tomorrow's tour, not an empty today.
    mine = await stack.api.get("/v1/drivers/me/tours", headers=bearer(driver, "driver"))
    assert mine.json()["day"] == tomorrow.isoformat() and [t["tour_id"] for t in mine.json()["tours"]] == [tour]
    nobody = await stack.api.get("/v1/drivers/me/tours", headers=bearer(f"driver-idle-{unique}", "driver"))
    assert nobody.json() == {"driver_id": f"driver-idle-{unique}", "day": DAY.isoformat(), "tours": []}

    early = await report(stack, tour, 0, "arrived", bearer(driver, "driver"))
    assert early.status_code == 422 and tomorrow.isoformat() in early.json()["message"], early.text
    for body in ({"channel": "PHONE"}, {"at": datetime.now(BERLIN).replace(microsecond=0).isoformat()}):
        assert (await report(stack, tour, 0, "arrived", OPERATOR, body)).status_code == 422
    shown = await stack.api.get(f"/v1/tours/{tour}", headers=OPERATOR)
    assert shown.json()["status"] == "DISPATCHED"


async def test_a_retried_report_with_the_same_idempotency_key_is_published_once(stack, unique):
    s = await planned(stack, unique)
    driver = f"driver-{unique}"
    me = bearer(driver, "driver")
    tour = (await dispatched(stack, s, driver))["tour_id"]
    key = f"tap-{unique}"
    first = await report(stack, tour, 1, "collected", me, {"proof": {"signature_name": "A"}}, key=key)
    retry = await report(stack, tour, 1, "collected", me, {"proof": {"signature_name": "A"}}, key=key)
    assert first.status_code == retry.status_code == 201
    assert retry.json()["event_id"] == first.json()["event_id"] and retry.headers["Idempotent-Replayed"] == "true"
    # Without the key the same report is a conflict, not a second event.
    assert (await report(stack, tour, 1, "collected", me)).status_code == 409
    # The next report on the tour lands after it, so the log holds everything before it.
    assert (await report(stack, tour, 2, "collected", me)).status_code == 201
    events = await stack.tour_events(tour, 3)
    collections = [e for e in events if e.type == "StopCompleted" and e.stop_index == 1]
    assert [e.event_id for e in collections] == [first.json()["event_id"]]


# -- re-planning --------------------------------------------------------------------------------------
async def test_replan_asks_routing_for_a_plan_of_the_day_keeping_the_tour_done_stops(stack, unique):
    s = await planned(stack, unique)
    tour = (await dispatched(stack, s, f"driver-{unique}"))["tour_id"]
    before = len(stack.routing_requests)
    answer = await stack.api.post(f"/v1/tours/{tour}/replan", headers={**OPERATOR, "Idempotency-Key": unique},
                                  json={"time_budget_s": 8, "reason": "Laden geschlossen"})
    assert answer.status_code == 202, answer.text
    assert answer.json()["replan_of"] == s.plan_id and answer.json()["plan_id"].startswith("plan-re-")
    [sent] = stack.routing_requests[before:]
    assert json.loads(sent.content) == {"day": DAY.isoformat(), "replan_of": s.plan_id, "time_budget_s": 8}
    assert sent.headers["authorization"] == OPERATOR["Authorization"]
    assert sent.headers["idempotency-key"] == f"dispatch-replan:{tour}:{unique}"
    # Retried with the same key: answered from the first request, routing is not asked again.
    again = await stack.api.post(f"/v1/tours/{tour}/replan", headers={**OPERATOR, "Idempotency-Key": unique},
                                 json={"time_budget_s": 8, "reason": "Laden geschlossen"})
    assert again.json() == answer.json() and len(stack.routing_requests) == before + 1
    assert (await stack.api.post(f"/v1/tours/{tour}/replan", headers=bearer("d", "driver"))).status_code == 403
    assert (await stack.api.post(f"/v1/tours/tour-none-{unique}/replan", headers=OPERATOR)).status_code == 404


async def test_the_tour_of_a_re_plan_takes_over_the_tour_under_way_keeping_what_was_done(stack, unique):
    s = await planned(stack, unique)
    driver = f"driver-{unique}"
    me = bearer(driver, "driver")
    old = (await dispatched(stack, s, driver))["tour_id"]
    assert (await report(stack, old, 0, "arrived", me)).status_code == 201
    assert (await report(stack, old, 1, "collected", me)).status_code == 201
    assert (await report(stack, old, 2, "failed", me, {"reason": "SHOP_CLOSED"})).status_code == 201
    replanned = await stack.api.post(f"/v1/tours/{old}/replan", headers=OPERATOR)
    assert replanned.status_code == 202

    # What the routing service publishes for the re-plan (it is built elsewhere).
    new_plan, new_tour, urgent = f"plan-2-{unique}", f"tour-2-{unique}", f"s3-{unique}"
    await stack.publish(replan_events(s, new_plan, new_tour, urgent, order=f"o3-{unique}"))

    async def projected():
        return await stack.redis.hget(keys.plan(new_plan), "status") == "PLANNED" and \
            await stack.redis.exists(keys.shipment(urgent))

    await eventually(projected, what="the re-plan projected", watch=[stack.worker])
    answer = await stack.api.post("/v1/tours", headers=OPERATOR,
                                  json={"plan_id": new_plan, "vehicle_id": s.vehicle_id, "driver_id": driver})
    assert answer.status_code == 201, answer.text
    assert (answer.json()["replaces_tour_id"], answer.json()["done_stops"]) == (old, [0, 1])
    [event] = await stack.tour_events(new_tour, 1, "TourDispatched")
    assert (event.replaces_tour_id, event.done_stops) == (old, [0, 1])

    late = await report(stack, old, 3, "delivered", me)
    assert late.status_code == 409 and new_tour in late.json()["message"]
    assert (await stack.api.get(f"/v1/tours/{old}", headers=me)).json()["status"] == "REPLACED"

    # s1 is on board from the old tour: the new tour collects only the urgent shipment.
    assert (await report(stack, new_tour, 1, "collected", me)).status_code == 409
    assert (await report(stack, new_tour, 2, "collected", me)).status_code == 201
    delivered = await report(stack, new_tour, 3, "delivered", me)
    assert delivered.status_code == 201, delivered.text
    assert (await report(stack, new_tour, 4, "arrived", me)).json()["tour_status"] == "FINISHED"
    [completed] = await stack.tour_events(new_tour, 1, "TourCompleted")
    assert (completed.stops_completed, completed.stops_failed) == (5, 0)
    reports = [e for e in stack.log.events(LOGISTICS_TOURS, key=new_tour) if e.type == "StopCompleted"]
    assert [e.stop_index for e in reports] == [2, 3, 4]
    assert reports[1].shipment_ids == [s.shipments[0], urgent]


# -- bad input -----------------------------------------------------------------------------------------
async def test_a_corrupt_message_on_the_plans_goes_to_the_dead_letters_and_the_worker_goes_on(stack, unique):
    bad_key = f"plan-corrupt-{unique}"
    await stack.producer.publish_raw(LOGISTICS_PLANS, b"\xc3\x01 not an avro body", key=bad_key)
    s = await planned(stack, unique)  # published after the bad record, projected all the same

    [letter] = await eventually(lambda: stack.log.dead_letters(LOGISTICS_PLANS, keys={bad_key}),
                                what="the dead letter", watch=[stack.worker])
    assert letter.value == b"\xc3\x01 not an avro body"
    assert h.header(letter.headers, h.DLQ_REASON) == "undecodable"
    assert h.header(letter.headers, h.DLQ_CONSUMER) == "dispatch.project_plans"
    assert (await stack.redis.hget(keys.plan(s.plan_id), "status")) == "PLANNED"
    assert (await dispatched(stack, s, f"driver-{unique}"))["tour_id"] == s.tour_id


async def test_the_worker_folds_in_what_is_on_the_tours_topic_and_dead_letters_reports_on_unknown_tours(
        stack, unique):
    """logistics.tours is the truth: a report the API published but could not record
    (it died in between) is folded in by the worker, and closes the tour."""
    s = await planned(stack, unique)
    driver = f"driver-{unique}"
    tour = (await dispatched(stack, s, driver))["tour_id"]
    [dispatch] = await stack.tour_events(tour, 1, "TourDispatched")

    def reported(index: int, kind: str, shipments: list[str] = ()):
        return new_event(StopCompleted, producer="dispatch-api", correlation_id=dispatch.correlation_id,
                         tour_id=tour, stop_index=index, kind=kind, shipment_ids=list(shipments), channel="APP")

    await stack.publish([reported(0, "ARRIVED"), reported(1, "COLLECTED", [s.shipments[0]]),
                         reported(2, "COLLECTED", [s.shipments[1]]), reported(3, "DELIVERED", list(s.shipments)),
                         reported(4, "ARRIVED")])
    [completed] = await stack.tour_events(tour, 1, "TourCompleted")
    assert (completed.stops_completed, completed.stops_failed, completed.distance_km) == (5, 0, None)

    async def shown_completed():
        view = (await stack.api.get(f"/v1/tours/{tour}", headers=bearer(driver, "driver"))).json()
        return view["status"] == "COMPLETED" and [st["status"] for st in view["stops"]] == ["DONE"] * 5

    await eventually(shown_completed, what="the reports folded in by the worker", watch=[stack.worker])

    stray = new_event(StopFailed, producer="dispatch-api", tour_id=f"tour-never-{unique}", stop_index=0,
                      reason="OTHER")
    await stack.producer.publish(stray)

    [letter] = await eventually(lambda: stack.log.dead_letters(LOGISTICS_TOURS, keys={stray.tour_id}),
                                what="the stray report dead-lettered", watch=[stack.worker])
    assert h.header(letter.headers, h.DLQ_REASON) == "invalid"
    assert "never dispatched" in h.header(letter.headers, h.DLQ_ERROR_MESSAGE)


# -- rebuild (last: it replaces this module's worker) ----------------------------------------------------
async def dispatch_state(redis: Redis, scenarios: list[Scenario], tours: list[str], drivers: list[str]) -> dict:
    """Everything dispatch keeps in Redis about the scenarios, their tours and drivers."""
    state: dict[str, Any] = {}
    for s in scenarios:
        state[keys.plan(s.plan_id)] = await redis.hgetall(keys.plan(s.plan_id))
        for key in [*(keys.shipment(sid) for sid in s.shipments), keys.shop(s.shop_a), keys.shop(s.shop_b),
                    keys.point(s.point)]:
            state[key] = await redis.get(key)
    for tour in tours:
        state[keys.tour(tour)] = await redis.hgetall(keys.tour(tour))
    state["tours of the day"] = set(tours) & await redis.smembers(keys.tours_of_day(DAY))
    for driver in drivers:
        state[keys.driver_tours(driver, DAY)] = await redis.smembers(keys.driver_tours(driver, DAY))
    return state


async def test_a_rebuild_clears_the_state_and_the_worker_replays_it_from_the_topics(
        stack, unique, own_worker):
    from services.dispatch.rebuild import clear_state

    finished, under_way = await planned(stack, f"{unique}-a"), await planned(stack, f"{unique}-b")
    driver_a, driver_b = f"driver-a-{unique}", f"driver-b-{unique}"
    a, b = bearer(driver_a, "driver"), bearer(driver_b, "driver")
    assert (await dispatched(stack, finished, driver_a))["tour_id"] == finished.tour_id
    assert (await dispatched(stack, under_way, driver_b))["tour_id"] == under_way.tour_id
    for seq, step, body in ((0, "arrived", {"odometer_km": 100.0}), (1, "collected", None),
                            (2, "failed", {"reason": "SHOP_CLOSED"}), (3, "delivered", None),
                            (4, "arrived", {"odometer_km": 142.0})):
        assert (await report(stack, finished.tour_id, seq, step, a, body)).status_code == 201
    assert (await report(stack, under_way.tour_id, 0, "arrived", b)).status_code == 201
    assert (await report(stack, under_way.tour_id, 1, "collected", b)).status_code == 201
    [completed] = await stack.tour_events(finished.tour_id, 1, "TourCompleted")

    async def completed_folded_in():
        return (await stack.api.get(f"/v1/tours/{finished.tour_id}", headers=a)).json()["status"] == "COMPLETED"

    await eventually(completed_folded_in, what="the completion folded in", watch=[stack.worker])
    tours, drivers = [finished.tour_id, under_way.tour_id], [driver_a, driver_b]
    before = await dispatch_state(stack.redis, [finished, under_way], tours, drivers)
    assert all(before.values()), before
    stack.worker.stop()

    assert await clear_state(stack.redis) > 0
    assert await stack.redis.keys(f"{keys.PREFIX}:*") == []
    assert (await stack.api.get(f"/v1/tours/{finished.tour_id}", headers=a)).status_code == 404
    async with own_worker("dispatch", "rebuilt") as rebuilt:
        async def replayed():
            return await dispatch_state(stack.redis, [finished, under_way], tours, drivers) == before

        await eventually(replayed, what="the state replayed from the topics", watch=[rebuilt])
        view = (await stack.api.get(f"/v1/tours/{finished.tour_id}", headers=a)).json()
        assert view["status"] == "COMPLETED" and [st["status"] for st in view["stops"]] == [
            "DONE", "DONE", "FAILED", "DONE", "DONE"]
        # The Outbox's markers were kept: the finished tour is not completed a second time.
        await stack.log.caught_up()
        assert [e.event_id for e in stack.log.events(LOGISTICS_TOURS, "TourCompleted", key=finished.tour_id)] == [
            completed.event_id]
        # The tour under way goes on where it was, and the rebuilt worker closes it.
        assert (await report(stack, under_way.tour_id, 1, "arrived", b)).status_code == 409
        for seq, step in ((2, "collected"), (3, "delivered"), (4, "arrived")):
            assert (await report(stack, under_way.tour_id, seq, step, b)).status_code == 201
        [closed] = await stack.log.wait_for_count(LOGISTICS_TOURS, 1, "TourCompleted", key=under_way.tour_id,
                                                  watch=[rebuilt])
        assert (closed.stops_completed, closed.stops_failed) == (5, 0)
