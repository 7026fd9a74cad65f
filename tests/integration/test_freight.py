"""The freight exchange against the real broker and Redis: the worker runs as its own
process (`nahnetz.testing.WorkerProcess`, a consumer group of its own), the API in this
process over ASGI with its lifespan (real producer, real Redis). Each test works in an
area of its own (places tens of kilometres from every other test's, detour limits of a
few kilometres), so the one worker's matching never mixes two tests' trips and loads.

Every proposal seen is checked by the independent checker (`tests/freight_checker.py`)
against what the test offered and posted."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from freight_checker import check_plan
from nahnetz.events import new_event
from nahnetz.kit.auth import issue_token
from nahnetz.records import (
    LoadDelivered, LoadPosted, MatchAccepted, MatchAgreed, MatchCancelled, MatchProposed,
    NotificationRequested, RoutePlanned, RoutePlanRequested, TripOffered, TripWithdrawn,
)
from nahnetz.testing import TopicReader, api_client, eventually, settings_for
from nahnetz.topics import FREIGHT_LOADS, FREIGHT_MATCHES, FREIGHT_TRIPS, NOTIFY_REQUESTS
from services.freight import keys
from services.freight.api import create_app
from services.freight.handlers.matches import handle_match_event
from services.freight.handlers.state import read_doc
from services.freight.rebuild import rebuild
from services.freight.settings import FreightSettings

pytestmark = pytest.mark.integration

SECRET = "freight-integration-secret-long-enough-for-hs256"
CODE_SECRET = "freight-integration-code-secret-0123456789"
FREIGHT = FreightSettings(code_secret=CODE_SECRET)
DAY = (datetime.now(timezone.utc) + timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
AREAS = itertools.count()


# -- fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def settings(broker_bootstrap, redis_url):
    return settings_for(broker_bootstrap, redis_url, service="freight", jwt_secret=SECRET)


@pytest.fixture(scope="module")
async def worker(topics, own_worker):
    async with own_worker("freight", "test", env={
            "FREIGHT_CODE_SECRET": CODE_SECRET, "FREIGHT_MATCH_INTERVAL_SECONDS": "3",
            "FREIGHT_MATCH_DEBOUNCE_SECONDS": "0.1", "FREIGHT_SOLVER_SECONDS": "5"}) as running:
        yield running


@pytest.fixture(scope="module")
async def watcher(topics, broker_bootstrap):
    async with TopicReader(broker_bootstrap, [FREIGHT_TRIPS, FREIGHT_LOADS, FREIGHT_MATCHES, NOTIFY_REQUESTS],
                           dead_letters=True) as reader:
        yield reader


@pytest.fixture(scope="module")
async def api(settings, topics):
    async with api_client(create_app(settings, FREIGHT), base_url="http://freight", timeout=20) as client:
        yield client


def bearer(sub: str, role: str = "freight_participant", **scopes) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, sub, role, **scopes)}"}


OPERATOR = bearer("assistant-rathaus", "operator")


# -- an area of its own per test -----------------------------------------------------------------
class Area:
    """Places on a north-south road, `km` north of this area's origin (1 km ≈ 0.009°)."""

    def __init__(self) -> None:
        n = next(AREAS)
        self.lat, self.lon = 47.0 + n * 0.6, 10.0 + (n % 3) * 0.8
        self.tag = uuid.uuid4().hex[:6]

    def at(self, km: float, name: str | None = None) -> dict[str, Any]:
        return {"name": name or f"Ort {km} km ({self.tag})",
                "location": {"lat": round(self.lat + km * 0.009, 6), "lon": self.lon}}


def when(hours: float) -> str:
    return (DAY + timedelta(hours=hours)).isoformat()


def trip_body(area: Area, start_km: float, end_km: float, *, kg: float = 100, leave=(8, 9), detour_km: float = 5,
              **more) -> dict[str, Any]:
    return {"origin": area.at(start_km), "destination": area.at(end_km),
            "departure": {"start": when(leave[0]), "end": when(leave[1])}, "spare_weight_kg": kg,
            "max_detour_km": detour_km, "max_detour_min": 30, "price_rule": "PER_KM", "price_per_km_cents": 40,
            "participant_name": "Schreinerei Test"} | more


def load_body(area: Area, start_km: float, end_km: float, *, kg: float = 20, pickup=(6, 18), drop=(6, 22),
              **more) -> dict[str, Any]:
    return {"origin": area.at(start_km), "destination": area.at(end_km),
            "pickup_window": {"start": when(pickup[0]), "end": when(pickup[1])},
            "delivery_window": {"start": when(drop[0]), "end": when(drop[1])},
            "description": "4 Kisten Kartoffeln", "weight_kg": kg, "handling_notes": "nicht stapeln"} | more


def as_checked(body: dict[str, Any]) -> dict[str, Any]:
    """A request body in the checker's terms (places as coordinates)."""
    plain = dict(body)
    for end in ("origin", "destination"):
        plain[end] = body[end]["location"]
    plain["via"] = [v["location"] for v in body.get("via", [])]
    plain.setdefault("temperature", "AMBIENT")
    return plain


async def offer(api, who: dict, body: dict) -> str:
    answer = await api.post("/v1/freight/trips", json=body, headers=who)
    assert answer.status_code == 202, answer.text
    return answer.json()["trip_ids"][0]


async def post(api, who: dict, body: dict) -> dict:
    answer = await api.post("/v1/freight/loads", json=body, headers=who)
    assert answer.status_code == 202, answer.text
    return answer.json()


async def proposal_for(watcher, worker, load_id: str, count: int = 1) -> MatchProposed:
    found = await watcher.wait_for_count(FREIGHT_MATCHES, count, MatchProposed, load_id=load_id, watch=[worker])
    return found[count - 1]


def checked(proposal: MatchProposed, trip: dict, loads: dict[str, dict]) -> MatchProposed:
    stops = [{"action": str(s.action), "load_id": s.load_id, "eta": s.eta,
              "location": {"lat": s.place.location.lat, "lon": s.place.location.lon}} for s in proposal.stops]
    trip = as_checked(trip) | {"spare_weight_kg": trip["spare_weight_kg"],
                               "spare_volume_litres": trip.get("spare_volume_litres", 0)}
    problems = check_plan(trip, {k: as_checked(v) for k, v in loads.items()}, stops)
    assert problems == [], problems
    return proposal


async def match_state(api, who: dict, match_id: str, status: str, worker) -> dict:
    async def reached():
        answer = await api.get(f"/v1/freight/matches/{match_id}", headers=who)
        return answer.json() if answer.status_code == 200 and answer.json()["status"] == status else None

    return await eventually(reached, what=f"match {match_id} {status}", watch=[worker])


async def both_accept(api, match: MatchProposed, driver: dict, sender: dict) -> None:
    for who in (driver, sender):
        answer = await api.post(f"/v1/freight/matches/{match.match_id}/accept", headers=who)
        assert answer.status_code == 202, answer.text


# -- the whole flow ------------------------------------------------------------------------------
async def test_offer_post_propose_accept_pick_up_and_deliver(api, worker, watcher):
    area = Area()
    driver, sender = bearer(f"drv-{area.tag}"), bearer(f"snd-{area.tag}")
    trip = trip_body(area, 0, 30, via=[area.at(10, "Dorfplatz")])
    trip_id = await offer(api, driver, trip)
    load = load_body(area, 5, 20, recipient_name="Dorfladen")
    posted = await post(api, sender, load)
    assert posted["matchable"] is True
    proposal = checked(await proposal_for(watcher, worker, posted["load_id"]), trip, {posted["load_id"]: load})
    assert proposal.trip_id == trip_id and proposal.trip_participant_id == f"drv-{area.tag}"
    assert proposal.detour_km == pytest.approx(0, abs=0.01)        # on the way
    assert [str(s.action) for s in proposal.stops] == ["DEPART", "PICKUP", "VIA", "DROP", "ARRIVE"]
    assert proposal.empty_km_avoided > 0 and proposal.co2_kg_avoided > 0
    told = {n.template: n for n in await watcher.wait_for_count(
        NOTIFY_REQUESTS, 2, NotificationRequested, where=lambda n: n.params.get("match_id") == proposal.match_id)}
    assert set(told) == {"freight_match_proposed_sender", "freight_match_proposed_driver"}
    assert told["freight_match_proposed_sender"].recipient_id == f"snd-{area.tag}"

    # Only the sides see it.
    assert (await api.get(f"/v1/freight/matches/{proposal.match_id}", headers=bearer("stranger"))).status_code == 404
    await both_accept(api, proposal, driver, sender)
    agreed = await watcher.wait_for(FREIGHT_MATCHES, MatchAgreed, match_id=proposal.match_id, watch=[worker])
    assert agreed.km_avoided == pytest.approx(proposal.empty_km_avoided)
    code_notice = await watcher.wait_for(NOTIFY_REQUESTS, NotificationRequested,
                                         template="freight_match_agreed_sender",
                                         where=lambda n: n.params.get("match_id") == proposal.match_id)
    code = code_notice.params["code"]
    await match_state(api, driver, proposal.match_id, "AGREED", worker)

    # The sender's slip carries the code and the route; the driver's does not show the code.
    slip = await api.get(f"/v1/freight/loads/{posted['load_id']}/slip", headers=sender)
    assert slip.status_code == 200 and code in slip.text and "Ladeschein" in slip.text and "Abholen" in slip.text
    driver_slip = await api.get(f"/v1/freight/loads/{posted['load_id']}/slip", headers=driver)
    assert driver_slip.status_code == 200 and code not in driver_slip.text

    wrong = "000000" if code != "000000" else "111111"
    refused = await api.post(f"/v1/freight/matches/{proposal.match_id}/pickup", json={"code": wrong}, headers=driver)
    assert refused.status_code == 403
    not_driver = await api.post(f"/v1/freight/matches/{proposal.match_id}/pickup", json={"code": code}, headers=sender)
    assert not_driver.status_code == 403
    picked = await api.post(f"/v1/freight/matches/{proposal.match_id}/pickup", json={"code": code}, headers=driver)
    assert picked.status_code == 202, picked.text
    await match_state(api, driver, proposal.match_id, "PICKED_UP", worker)
    delivered = await api.post(f"/v1/freight/matches/{proposal.match_id}/deliver", headers=driver,
                               json={"code": code, "received_by": "Frau Huber", "photo_ref": "photos/abc.jpg"})
    assert delivered.status_code == 202, delivered.text
    done = await match_state(api, driver, proposal.match_id, "DELIVERED", worker)
    assert done["proof"] == {"name": "Frau Huber", "photo_ref": "photos/abc.jpg"}
    event = await watcher.wait_for(FREIGHT_MATCHES, LoadDelivered, match_id=proposal.match_id)
    assert event.proof.signature_name == "Frau Huber" and event.km_avoided == pytest.approx(agreed.km_avoided)
    mine = (await api.get("/v1/freight/mine", headers=sender)).json()
    assert [l["status"] for l in mine["loads"]] == ["DELIVERED"]
    assert not watcher.dead_letters()


async def test_a_decline_matches_again_without_that_pair(api, worker, watcher):
    area = Area()
    sender = bearer(f"snd-{area.tag}")
    drivers = {f"drv1-{area.tag}": bearer(f"drv1-{area.tag}"), f"drv2-{area.tag}": bearer(f"drv2-{area.tag}")}
    trips = {}
    for name, who in drivers.items():
        body = trip_body(area, 0, 30)
        trips[await offer(api, who, body)] = (body, who)
    load = load_body(area, 10, 20)
    load_id = (await post(api, sender, load))["load_id"]
    first = await proposal_for(watcher, worker, load_id)
    checked(first, trips[first.trip_id][0], {load_id: load})
    declined = await api.post(f"/v1/freight/matches/{first.match_id}/decline", json={"reason": "TIMING"},
                              headers=trips[first.trip_id][1])
    assert declined.status_code == 202, declined.text
    second = await proposal_for(watcher, worker, load_id, count=2)
    assert second.trip_id != first.trip_id
    checked(second, trips[second.trip_id][0], {load_id: load})
    told = await watcher.wait_for(NOTIFY_REQUESTS, NotificationRequested, template="freight_match_declined",
                                  where=lambda n: n.params.get("match_id") == first.match_id)
    assert told.recipient_id == f"snd-{area.tag}"
    # Answering a declined proposal again is a conflict.
    await match_state(api, sender, first.match_id, "DECLINED", worker)
    again = await api.post(f"/v1/freight/matches/{first.match_id}/accept", headers=sender)
    assert again.status_code == 409


async def test_a_trip_withdrawn_after_acceptance_gives_its_loads_back_and_tells_the_sender(api, worker, watcher):
    area = Area()
    driver, sender, other = bearer(f"drv-{area.tag}"), bearer(f"snd-{area.tag}"), bearer(f"alt-{area.tag}")
    trip = trip_body(area, 0, 30)
    trip_id = await offer(api, driver, trip)
    load = load_body(area, 5, 25)
    load_id = (await post(api, sender, load))["load_id"]
    proposal = await proposal_for(watcher, worker, load_id)
    await both_accept(api, proposal, driver, sender)
    await watcher.wait_for(FREIGHT_MATCHES, MatchAgreed, match_id=proposal.match_id, watch=[worker])
    await match_state(api, sender, proposal.match_id, "AGREED", worker)
    replacement = trip_body(area, 0, 40, leave=(9, 10))
    replacement_id = await offer(api, other, replacement)

    withdrawn = await api.post(f"/v1/freight/trips/{trip_id}/withdraw", json={"reason": "PLANS_CHANGED"},
                               headers=driver)
    assert withdrawn.status_code == 202, withdrawn.text
    cancelled = await watcher.wait_for(FREIGHT_MATCHES, MatchCancelled, match_id=proposal.match_id, watch=[worker])
    assert cancelled.was_agreed and cancelled.cancelled_by == "TRIP_PROVIDER"
    told = await watcher.wait_for(NOTIFY_REQUESTS, NotificationRequested, template="freight_trip_cancelled",
                                  where=lambda n: n.params.get("match_id") == proposal.match_id)
    assert told.recipient_id == f"snd-{area.tag}"
    again = await proposal_for(watcher, worker, load_id, count=2)
    assert again.trip_id == replacement_id
    checked(again, replacement, {load_id: load})
    assert (await api.post(f"/v1/freight/trips/{trip_id}/withdraw", headers=driver)).status_code == 409


async def test_two_acceptances_at_once_never_overfill_a_trip(api, worker, watcher, redis, producer, settings):
    area = Area()
    driver, sender1, sender2 = bearer(f"drv-{area.tag}"), bearer(f"s1-{area.tag}"), bearer(f"s2-{area.tag}")
    trip = trip_body(area, 0, 30, kg=100)
    trip_id = await offer(api, driver, trip)
    # Both loads ride over the same stretch: 60 + 60 kg never fit in 100 kg.
    load1, load2 = load_body(area, 5, 25, kg=60), load_body(area, 6, 24, kg=60)
    id1 = (await post(api, sender1, load1))["load_id"]
    first = await proposal_for(watcher, worker, id1)
    id2 = (await post(api, sender2, load2))["load_id"]
    # A second matcher with stale state (another worker instance mid-rebalance) proposes the
    # second load on the same trip: now two proposals hold the room the trip has once.
    stale = new_event(MatchProposed, producer="freight-worker", match_id=f"m-stale-{area.tag}", trip_id=trip_id,
                      load_id=id2, detour_km=0.0, price={"amount_cents": 0}, empty_km_avoided=36.0,
                      trip_participant_id=f"drv-{area.tag}", load_participant_id=f"s2-{area.tag}")
    await producer.publish_all([stale])
    await match_state(api, sender2, stale.match_id, "PROPOSED", worker)
    # One side of each says yes through the API; the other sides' yes arrive at the same moment.
    for match_id, who in ((first.match_id, sender1), (stale.match_id, sender2)):
        assert (await api.post(f"/v1/freight/matches/{match_id}/accept", headers=who)).status_code == 202

    async def one_side_each():
        docs = [await read_doc(redis, keys.match(m)) for m in (first.match_id, stale.match_id)]
        return all(d and d["accepted_by"] == ["LOAD_PROVIDER"] for d in docs)

    await eventually(one_side_each, what="the senders' acceptances recorded", watch=[worker])
    answers = [new_event(MatchAccepted, producer="freight-api", match_id=m, trip_id=trip_id, load_id=l,
                         price={"amount_cents": 0}, accepted_by="TRIP_PROVIDER")
               for m, l in ((first.match_id, id1), (stale.match_id, id2))]
    decided = await asyncio.gather(*(handle_match_event(a, redis, producer, FREIGHT) for a in answers))
    kinds = sorted(e.type for events in decided for e in events if e.type in ("MatchAgreed", "MatchCancelled"))
    assert kinds == ["MatchAgreed", "MatchCancelled"]
    # Redelivered, the same acceptances decide nothing again: here, and in the worker once they
    # are on the topic (where the acceptances handled above belong, as the record).
    again = await asyncio.gather(*(handle_match_event(a, redis, producer, FREIGHT) for a in answers))
    assert again == [[], []]
    await producer.publish_all(answers)
    # And through the worker too: the drivers' acceptances over the API change nothing more.
    for match_id in (first.match_id, stale.match_id):
        assert (await api.post(f"/v1/freight/matches/{match_id}/accept", headers=driver)).status_code == 409
    states = {m: (await read_doc(redis, keys.match(m)))["status"] for m in (first.match_id, stale.match_id)}
    assert sorted(states.values()) == ["AGREED", "CANCELLED"]
    agreed_kg = sum(l["weight_kg"] for m, l in ((first.match_id, load1), (stale.match_id, load2))
                    if states[m] == "AGREED")
    assert agreed_kg <= trip["spare_weight_kg"]
    holding = await redis.smembers(keys.holding(trip_id))
    assert {states[m] for m in holding} == {"AGREED"}


async def test_a_hub_tours_spare_room_becomes_trips_and_follows_a_replan(api, worker, watcher, producer):
    area = Area()
    plan_id, tour_id = f"plan-{area.tag}", f"tour-{area.tag}"
    depot = {"depot_id": "hub-test", "name": "Hub", "location": area.at(0)["location"]}
    vehicle = {"vehicle_id": f"van-{area.tag}", "name": "HX-NN 1", "max_weight_g": 500_000,
               "max_volume_ml": 3_000_000, "temperature_classes": ["AMBIENT", "CHILLED"],
               "shift": {"start": DAY + timedelta(hours=6), "end": DAY + timedelta(hours=16)}}

    def stop(km: float, hour: float, load_kg: float, kind: str = "DELIVERY") -> dict:
        return {"kind": kind, "place_id": f"p-{km}", "name": f"Halt {km} km", "location": area.at(km)["location"],
                "eta": DAY + timedelta(hours=hour), "load_g": int(load_kg * 1000), "load_ml": int(load_kg * 2000)}

    def planned(plan: str, tour: str, stops: list[dict], replan_of: str | None = None) -> RoutePlanned:
        return new_event(RoutePlanned, producer="routing-worker", plan_id=plan, day=DAY.date(),
                         tours=[{"tour_id": tour, "vehicle_id": vehicle["vehicle_id"], "stops": stops,
                                 "distance_km": 40.0, "duration_s": 7200, "empty_km": 5.0, "load_factor": 0.4}],
                         distance_km=40.0, solve_time_ms=10, replan_of=replan_of)

    request = new_event(RoutePlanRequested, producer="routing-api", plan_id=plan_id, day=DAY.date(), depot=depot,
                        vehicles=[vehicle], jobs=[])
    stops = [stop(0, 7, 300, "DEPOT"), stop(10, 7.5, 200), stop(20, 8, 0), stop(0, 8.5, 0, "DEPOT")]
    await producer.publish_all([request, planned(plan_id, tour_id, stops)])
    offers = await watcher.wait_for_count(FREIGHT_TRIPS, 3, TripOffered, tour_id=tour_id, watch=[worker])
    by_leg = {o.trip_id: o for o in offers}
    assert by_leg[f"hub-{tour_id}-0"].spare_weight_g == 200_000        # 500 kg less the 300 on board
    assert by_leg[f"hub-{tour_id}-1"].spare_weight_g == 300_000
    assert by_leg[f"hub-{tour_id}-2"].spare_weight_g == 500_000
    assert all(o.participant_id == "hub" and o.temperature_class == "CHILLED" for o in offers)
    # A load on the second leg's way rides on it.
    load = load_body(area, 12, 18, kg=50, pickup=(7, 9), drop=(7, 10))
    load_id = (await post(api, bearer(f"snd-{area.tag}"), load))["load_id"]
    proposal = await proposal_for(watcher, worker, load_id)
    assert proposal.trip_id == f"hub-{tour_id}-1"

    # Re-planned: the tour now goes elsewhere; its old legs are withdrawn, the new ones offered.
    replan_id, new_tour = f"replan-{area.tag}", f"tour2-{area.tag}"
    again = new_event(RoutePlanRequested, producer="routing-api", plan_id=replan_id, day=DAY.date(), depot=depot,
                      vehicles=[vehicle], jobs=[], replan_of=plan_id)
    await producer.publish_all([again, planned(replan_id, new_tour, [stop(0, 9, 100, "DEPOT"), stop(-15, 9.5, 0),
                                                                      stop(0, 10, 0, "DEPOT")], replan_of=plan_id)])
    withdrawn = await watcher.wait_for_count(FREIGHT_TRIPS, 3, TripWithdrawn,
                                             where=lambda e: e.trip_id.startswith(f"hub-{tour_id}-"), watch=[worker])
    assert {w.reason for w in withdrawn} == {"PLANS_CHANGED"}
    new = await watcher.wait_for_count(FREIGHT_TRIPS, 2, TripOffered, tour_id=new_tour, watch=[worker])
    assert {o.spare_weight_g for o in new} == {400_000, 500_000}
    cancelled = await watcher.wait_for(FREIGHT_MATCHES, MatchCancelled, match_id=proposal.match_id, watch=[worker])
    assert cancelled.reason == "PLANS_CHANGED"


async def test_an_assistant_posts_and_offers_for_someone_recorded_as_assisted(api, worker, watcher):
    area = Area()
    erna, bauer = f"erna-{area.tag}", f"bauer-{area.tag}"
    trip = trip_body(area, 0, 30) | {"participant_id": bauer, "channel": "COUNTER", "participant_kind": "FARMER"}
    trip_id = await offer(api, OPERATOR, trip)
    load = load_body(area, 5, 15) | {"participant_id": erna, "channel": "PHONE", "participant_name": "Erna K."}
    posted = await post(api, OPERATOR, load)
    event = await watcher.wait_for(FREIGHT_LOADS, LoadPosted, load_id=posted["load_id"])
    assert event.channel == "PHONE" and event.participant_id == erna
    assert event.meta.actor.user_id == "assistant-rathaus" and event.meta.actor.on_behalf_of == erna
    view = await eventually(lambda: _get(api, f"/v1/freight/loads/{posted['load_id']}", OPERATOR), watch=[worker])
    assert view["assisted"] is True and view["channel"] == "PHONE" and view["entered_by"] == "assistant-rathaus"
    # Erna sees her own load; another participant does not.
    assert (await api.get(f"/v1/freight/loads/{posted['load_id']}", headers=bearer(erna))).status_code == 200
    assert (await api.get(f"/v1/freight/loads/{posted['load_id']}", headers=bearer("nosy"))).status_code == 404
    proposal = checked(await proposal_for(watcher, worker, posted["load_id"]), trip, {posted["load_id"]: load})
    assert proposal.trip_id == trip_id
    notices = {n.recipient_id: n for n in await watcher.wait_for_count(
        NOTIFY_REQUESTS, 2, NotificationRequested, where=lambda n: n.params.get("match_id") == proposal.match_id)}
    assert notices[erna].channel == "PHONE_CALL" and notices[bauer].channel == "LETTER"
    # The assistant answers for Erna's side, and must say which side.
    assert (await api.post(f"/v1/freight/matches/{proposal.match_id}/accept", headers=OPERATOR)).status_code == 422
    said = await api.post(f"/v1/freight/matches/{proposal.match_id}/accept", json={"side": "LOAD_PROVIDER",
                                                                                  "channel": "PHONE"}, headers=OPERATOR)
    assert said.status_code == 202
    accepted = await watcher.wait_for(FREIGHT_MATCHES, MatchAccepted, match_id=proposal.match_id)
    assert accepted.meta.actor.on_behalf_of == erna and accepted.channel == "PHONE"
    # A participant may not post for someone else.
    assert (await api.post("/v1/freight/loads", json=load_body(area, 1, 2) | {"participant_id": "x"},
                           headers=bearer(bauer))).status_code == 403
    board = await api.get("/v1/freight/board", params={"day": DAY.date().isoformat()}, headers=bearer("anyone"))
    assert board.status_code == 200 and "Waren-Mitfahrbörse" in board.text and trip_id in board.text
    listed = await api.get("/v1/freight/open", params={"day": DAY.date().isoformat()}, headers=bearer("anyone"))
    assert listed.status_code == 200, listed.text
    assert trip_id in [t["trip_id"] for t in listed.json()["trips"]]
    assert all(t["depart_start"].endswith("Z") for t in listed.json()["trips"])


async def _get(api, path: str, who: dict) -> dict | None:
    answer = await api.get(path, headers=who)
    return answer.json() if answer.status_code == 200 else None


async def test_bad_input_is_a_422_naming_the_field_and_a_too_heavy_load_is_unmatchable(api, worker):
    area = Area()
    sender = bearer(f"snd-{area.tag}")

    async def refused(path: str, body: dict) -> str:
        answer = await api.post(path, json=body, headers=sender)
        assert answer.status_code == 422, answer.text
        return answer.text

    assert "delivery_window" in await refused("/v1/freight/loads", load_body(area, 1, 5, pickup=(10, 12), drop=(6, 9)))
    assert "weight_kg" in await refused("/v1/freight/loads", load_body(area, 1, 5, kg=0))
    assert "weight_kg" in await refused("/v1/freight/loads", load_body(area, 1, 5, kg=-3))
    assert "max_detour_km" in await refused("/v1/freight/trips", trip_body(area, 0, 10, detour_km=-1))
    assert "origin.place_id" in await refused("/v1/freight/loads", load_body(area, 1, 5) | {
        "origin": {"place_id": "Atlantis"}})
    assert "departure" in await refused("/v1/freight/trips", trip_body(area, 0, 10, leave=(9, 8)))
    known = await post(api, sender, load_body(area, 1, 5) | {"origin": {"place_id": "Brakel"}})
    assert known["matchable"] is True
    heavy = await post(api, sender, load_body(area, 1, 5, kg=5000))
    assert heavy["matchable"] is False and "5000 kg" in heavy["unmatchable_reason"]
    view = await eventually(lambda: _get(api, f"/v1/freight/loads/{heavy['load_id']}", sender), watch=[worker])
    assert view["matchable"] is False and "too heavy" in view["unmatchable_reason"]


async def test_weekly_trips_are_offered_week_by_week(api, worker, watcher):
    area = Area()
    body = trip_body(area, 0, 30)
    del body["departure"]
    body["weekly"] = {"weekday": "TUESDAY", "leave_at": "07:00", "flexible_min": 30, "first_day": DAY.date().isoformat(),
                      "weeks": 3}
    answer = await api.post("/v1/freight/trips", json=body, headers=bearer(f"drv-{area.tag}"))
    assert answer.status_code == 202, answer.text
    ids = answer.json()["trip_ids"]
    assert len(ids) == 3
    offered = await watcher.wait_for_count(FREIGHT_TRIPS, 3, TripOffered, where=lambda e: e.trip_id in ids)
    starts = sorted(o.departure.start for o in offered)
    assert all(s.weekday() == 1 for s in starts) and starts[1] - starts[0] == timedelta(days=7)
    assert {o.recurrence_id for o in offered} == {answer.json()["recurrence_id"]}
    # Plans change from the second week on: that week and every later one go, the first stays.
    by_start = [o.trip_id for o in sorted(offered, key=lambda o: o.departure.start)]

    async def status(trip_id: str) -> str:
        return (await api.get(f"/v1/freight/trips/{trip_id}", headers=bearer(f"drv-{area.tag}"))).json()["status"]

    await eventually(lambda: _all_open(status, by_start), what="the weekly trips on offer", watch=[worker])
    gone = await api.post(f"/v1/freight/trips/{by_start[1]}/withdraw", json={"later_in_series": True},
                          headers=bearer(f"drv-{area.tag}"))
    assert gone.status_code == 202, gone.text
    assert gone.json()["trip_ids"] == by_start[1:]
    await watcher.wait_for_count(FREIGHT_TRIPS, 2, TripWithdrawn, where=lambda e: e.trip_id in by_start, watch=[worker])
    await eventually(lambda: _withdrawn_from(status, by_start, 1), what="weeks 2 and 3 withdrawn", watch=[worker])
    assert await status(by_start[0]) == "OPEN"
    # Someone else's series is not theirs to withdraw.
    other = await api.post(f"/v1/freight/trips/{by_start[0]}/withdraw", json={"later_in_series": True},
                           headers=bearer(f"someone-{area.tag}"))
    assert other.status_code in (403, 404)


async def _all_open(status, trip_ids: list[str]) -> bool:
    return all([await status(t) == "OPEN" for t in trip_ids])


async def _withdrawn_from(status, trip_ids: list[str], first: int) -> bool:
    return all([await status(t) == "WITHDRAWN" for t in trip_ids[first:]])


async def test_rebuild_gives_the_same_state(worker, redis, settings, watcher):
    await watcher.caught_up()
    worker.stop()  # a rebuild runs with the worker stopped (its matching would act on half a state)

    async def snapshot() -> dict[str, Any]:
        docs = {}
        for pattern in (keys.trip("*"), keys.load("*"), keys.match("*")):
            async for key in redis.scan_iter(match=pattern):
                doc = await read_doc(redis, key)
                docs[key] = {k: doc.get(k) for k in ("status", "match_id", "accepted_by", "assisted", "channel")}
        return docs

    async def settled() -> dict | None:
        first = await snapshot()
        await watcher.caught_up()
        return first if first == await snapshot() else None

    try:
        before = await eventually(settled, what="the state settled")
        replayed = await rebuild(settings, redis, FREIGHT)
        assert replayed.counts[FREIGHT_MATCHES.name] > 0
        after = await snapshot()
        changed = {k: (before[k], after.get(k)) for k in before if before[k] != after.get(k)}
        assert changed == {}
    finally:
        await worker.start()  # the module's later tests need the worker, whatever their order


async def test_hub_mode_hands_a_delivery_to_a_trip_passing_the_hub_when_that_is_cheaper(api, worker, producer):
    area = Area()
    plan_id = f"hubmode-{area.tag}"
    depot = {"depot_id": "hub-test", "name": "Hub", "location": area.at(0)["location"]}
    vehicle = {"vehicle_id": f"van-{area.tag}", "name": "HX-NN 2", "max_weight_g": 800_000,
               "max_volume_ml": 6_000_000, "temperature_classes": ["AMBIENT"],
               "shift": {"start": DAY + timedelta(hours=6), "end": DAY + timedelta(hours=16)},
               "cost_per_km": {"amount_cents": 32}}

    def delivery(km: float, kg: float) -> dict:
        return {"job_id": f"d-{km}-{area.tag}", "kind": "DELIVERY", "shipment_ids": [f"s-{km}"],
                "place_id": f"pp-{km}-{area.tag}", "location": area.at(km)["location"], "time_windows": [],
                "service_s": 120, "weight_g": int(kg * 1000), "volume_ml": int(kg * 2000),
                "temperature_class": "AMBIENT"}

    # A commuter passes the hub on the way to 32 km; the far point lies on their way.
    trip_id = await offer(api, bearer(f"pendler-{area.tag}"), trip_body(area, -2, 32, kg=40, detour_km=5,
                                                                      price_rule="PER_KM", price_per_km_cents=30))
    request = new_event(RoutePlanRequested, producer="routing-api", plan_id=plan_id, day=DAY.date(), depot=depot,
                        vehicles=[vehicle], jobs=[delivery(2, 50), delivery(30, 8)])
    await producer.publish(request)

    async def advised():
        answer = await api.get(f"/v1/freight/hub-plans/{plan_id}", params={"seconds": 1}, headers=OPERATOR)
        return answer.json() if answer.status_code == 200 else None
    plan = await eventually(advised, what="the plan request known to the exchange", watch=[worker])
    [handover] = plan["handovers"]
    assert (handover["place_id"], handover["trip_id"]) == (f"pp-30-{area.tag}", trip_id)
    assert handover["detour_km"] <= 5 and handover["compensation_cents"] <= 30 * 5
    assert plan["tours"] == [[f"pp-2-{area.tag}"]]
    assert plan["cost_cents"] < plan["vans_only_cents"] and plan["saved_cents"] > 0
    # Staff only; an unknown plan is a 404.
    assert (await api.get(f"/v1/freight/hub-plans/{plan_id}", headers=bearer("someone"))).status_code == 403
    assert (await api.get("/v1/freight/hub-plans/plan-nowhere", headers=OPERATOR)).status_code == 404
