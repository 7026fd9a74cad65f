"""The freight service (services/freight) around its matching: the rules of offers and
loads, weekly trips, prices, hand-over codes, the hub tours' legs, a match's life; and
its handlers on an in-memory Redis and producer (fakes: the real ones are in
tests/integration/test_freight.py). Every plan a handler proposes is checked by the
independent checker (tests/freight_checker.py)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import pytest

from freight_checker import check_plan
from nahnetz.events import new_event
from nahnetz.geo import TravelTimes
from nahnetz.kit.auth import User
from nahnetz.kit.errors import Forbidden, Unprocessable
from nahnetz.kit.roles import Role
from nahnetz.records import (
    LoadPosted, LoadWithdrawn, MatchAccepted, MatchAgreed, MatchCancelled, MatchDeclined, MatchProposed,
    NotificationRequested, RoutePlanned, RoutePlanRequested, TripOffered, TripWithdrawn,
)
from services.freight import keys
from services.freight.domain import lifecycle
from services.freight.domain.handover import code_matches, handover_code
from services.freight.domain.hub_legs import TourStop, spare_legs
from services.freight.domain.listings import load_problems, trip_problems, unmatchable_reason
from services.freight.domain.matching import match
from services.freight.domain.offers import Load, Trip, Window
from services.freight.domain.pricing import affordable, price_cents
from services.freight.domain.recurring import dated_trip_id, weekly
from services.freight.handlers import hub_tours, loads, matches, trips
from services.freight.handlers.matching import run_round
from services.freight.handlers.notices import channel_for
from services.freight.handlers.printing import render_board, render_slip
from services.freight.handlers.state import read_doc
from services.freight.http_models import LoadIn, OnBehalf, PlaceIn
from services.freight.routes import _load_fields, acting, place
from services.freight.settings import FreightSettings

H = 3600
DAY = datetime(2026, 12, 8, tzinfo=timezone.utc)  # a Tuesday
SETTINGS = FreightSettings(code_secret="unit-test-code-secret-0123456789abcdef", solver_seconds=5)


# -- the rules --------------------------------------------------------------------------------
def test_a_load_names_the_field_it_breaks():
    ok = dict(pickup_start=10, pickup_end=20, delivery_start=10, delivery_end=30, weight_g=1000, volume_ml=0,
              parcels=1)
    assert load_problems(**ok) == []
    assert [p.field for p in load_problems(**ok | {"delivery_start": 1, "delivery_end": 5})] == ["delivery_window"]
    assert [p.field for p in load_problems(**ok | {"weight_g": 0})] == ["weight_kg"]
    assert [p.field for p in load_problems(**ok | {"pickup_end": 5})] == ["pickup_window"]
    assert [p.field for p in load_problems(**ok, same_place=True)] == ["destination"]


def test_a_trip_names_the_field_it_breaks():
    ok = dict(departure_start=10, departure_end=20, arrive_by=100, spare_weight_g=1, spare_volume_ml=0,
              spare_parcels=None, max_detour_m=0, max_detour_s=0, price_rule="FREE", price_per_km_cents=None,
              fixed_price_cents=None)
    assert trip_problems(**ok) == []
    assert [p.field for p in trip_problems(**ok | {"max_detour_m": -1})] == ["max_detour_km"]
    assert [p.field for p in trip_problems(**ok | {"departure_end": 5})] == ["departure"]
    assert [p.field for p in trip_problems(**ok | {"arrive_by": 10})] == ["arrive_by"]
    assert [p.field for p in trip_problems(**ok | {"price_rule": "PER_KM"})] == ["price_per_km"]
    assert [p.field for p in trip_problems(**ok | {"price_rule": "FIXED"})] == ["fixed_price"]


def test_a_load_no_trip_could_carry_says_why():
    assert unmatchable_reason(3_000_000, 0, 3_500_000, 12_000_000) is None
    assert "too heavy: 5000 kg" in unmatchable_reason(5_000_000, 0, 3_500_000, 12_000_000)
    assert "zu groß" in unmatchable_reason(1000, 20_000_000, 3_500_000, 12_000_000)


def test_every_tuesday_at_seven_in_berlin_across_the_clock_change():
    found = weekly("TUESDAY", time(7), flexible_min=30, drive_max_min=60, first_day=date(2026, 3, 17), weeks=3)
    assert [d.day for d in found] == [date(2026, 3, 17), date(2026, 3, 24), date(2026, 3, 31)]
    assert [d.start.hour for d in found] == [6, 6, 5]       # CET, CET, then CEST
    assert all(d.end - d.start == timedelta(minutes=30) for d in found)
    assert found[0].arrive_by == found[0].end + timedelta(minutes=60)
    assert dated_trip_id("trips-x", date(2026, 3, 17)) == "trips-x-20260317"
    assert weekly("FRIDAY", time(7), flexible_min=0, drive_max_min=None, first_day=date(2026, 3, 17),
                  weeks=1)[0].day == date(2026, 3, 20)


def test_prices_follow_the_drivers_rule_and_the_senders_limit():
    assert price_cents("PER_KM", detour_m=5000, loads=2, per_km_cents=40) == 100
    assert price_cents("FIXED", detour_m=5000, fixed_cents=500) == 500
    assert price_cents("FREE", detour_m=99_000, per_km_cents=40) == 0
    assert price_cents("ON_REQUEST", detour_m=0, offered_cents=300) == 300
    assert affordable(300, None) and affordable(300, 300) and not affordable(301, 300)


def test_the_handover_code_is_six_digits_bound_to_the_match_and_key():
    code = handover_code(b"key-one", "m-1")
    assert len(code) == 6 and code.isdigit()
    assert code == handover_code(b"key-one", "m-1") != handover_code(b"key-one", "m-2")
    assert code_matches(b"key-one", "m-1", f" {code[:3]} {code[3:]} ")
    assert not code_matches(b"key-two", "m-1", code)


def test_each_leg_of_a_hub_tour_offers_the_room_left_on_it():
    stops = [TourStop("Hub", 51.0, 9.0, 1000, 300_000, 600_000), TourStop("A", 51.1, 9.0, 2000, 100_000, 200_000),
             TourStop("B", 51.2, 9.0, 3000, 497_000, 100_000), TourStop("Hub", 51.0, 9.0, 4000, 0, 0)]
    legs = spare_legs("t1", stops, capacity_g=500_000, capacity_ml=1_000_000, min_spare_g=5_000, slack_s=600)
    assert [(l.trip_id, l.spare_weight_g) for l in legs] == [("hub-t1-0", 200_000), ("hub-t1-1", 400_000)]
    assert legs[0].depart_start == legs[0].depart_end == 1300 and legs[0].arrive_by == 2600


def test_a_match_moves_only_forward():
    assert lifecycle.may_become("PROPOSED", "AGREED") and lifecycle.may_become("AGREED", "CANCELLED")
    assert not lifecycle.may_become("DELIVERED", "CANCELLED") and not lifecycle.may_become("DECLINED", "AGREED")
    assert lifecycle.both_accepted({"TRIP_PROVIDER", "LOAD_PROVIDER"})
    assert not lifecycle.both_accepted({"TRIP_PROVIDER"})


def road(positions) -> TravelTimes:
    metres = [[abs(a - b) * 1000 for b in positions] for a in positions]
    return TravelTimes(metres, [[m * 60 // 1000 for m in row] for row in metres])


def test_a_trip_carrying_loads_is_offered_only_what_fits_with_them():
    times = road([0, 10, 20, 30, 40])
    trip = Trip("t", 0, 4, Window(8 * H, 9 * H), spare_weight_g=100_000, spare_volume_ml=10 ** 9, max_detour_m=0)
    held = Load("held", 1, 3, Window(0, 20 * H), Window(0, 22 * H), 60_000, 0)
    overlapping = Load("over", 2, 4, Window(0, 20 * H), Window(0, 22 * H), 60_000, 0)
    after = Load("after", 3, 4, Window(0, 20 * H), Window(0, 22 * H), 60_000, 0)
    result = match([trip], [overlapping, after], times, carrying={"t": [held]})
    [found] = result.matches
    assert found.new_load_ids == ("after",) and result.unmatched == ("over",)
    assert found.saving.km_avoided == 20.0               # the marginal detour (none) against its own run
    assert set(found.route.load_ids) == {"held", "after"}


# -- the handlers on fakes --------------------------------------------------------------------
class FakeRedis:
    """The few commands the freight handlers use, in memory; a pipeline runs commands at
    once until `multi()`, then queues them for `execute()` (no WATCH conflicts)."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    def pipeline(self, transaction: bool = True) -> "FakePipeline":
        return FakePipeline(self)

    async def get(self, key):
        return self.data.get(key)

    async def set(self, key, value, nx=False, xx=False, px=None, keepttl=False):
        if (nx and key in self.data) or (xx and key not in self.data):
            return None
        self.data[key] = value if isinstance(value, str) else value.decode()
        return True

    async def exists(self, *keys):
        return sum(k in self.data for k in keys)

    async def delete(self, *keys):
        return sum(self.data.pop(k, None) is not None for k in keys)

    async def sadd(self, key, *members):
        found = self.data.setdefault(key, set())
        added = len(set(members) - found)
        found.update(members)
        return added

    async def srem(self, key, *members):
        found = self.data.get(key, set())
        removed = len(found & set(members))
        found.difference_update(members)
        return removed

    async def smembers(self, key):
        return set(self.data.get(key, set()))


class FakePipeline:
    def __init__(self, redis: FakeRedis) -> None:
        self.redis, self.queued, self.buffering = redis, [], False

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return False

    async def watch(self, *keys):
        return True

    def multi(self):
        self.buffering = True

    async def execute(self):
        return [await getattr(self.redis, name)(*args, **kw) for name, args, kw in self.queued]

    def __getattr__(self, name):
        command = getattr(self.redis, name)

        def call(*args, **kw):
            if self.buffering:
                self.queued.append((name, args, kw))
                return self
            return command(*args, **kw)

        return call


class FakeProducer:
    def __init__(self) -> None:
        self.published: list = []

    async def publish_all(self, events, bodies=None):
        self.published.extend(events)


def place_at(km: float, name: str) -> dict:
    return {"name": name, "location": {"lat": 51.0 + km * 0.009, "lon": 9.0}}


def offered(trip_id: str, who: str, start_km: float, end_km: float, kg: int = 100, **more) -> TripOffered:
    return new_event(TripOffered, producer="freight-api", trip_id=trip_id, participant_id=who,
                     origin=place_at(start_km, f"km {start_km}"), destination=place_at(end_km, f"km {end_km}"),
                     departure={"start": DAY + timedelta(hours=8), "end": DAY + timedelta(hours=9)},
                     spare_weight_g=kg * 1000, spare_volume_ml=0, max_detour_km=5.0, price_rule="PER_KM",
                     price_per_km={"amount_cents": 40}, **more)


def posted(load_id: str, who: str, start_km: float, end_km: float, kg: int = 20, **more) -> LoadPosted:
    return new_event(LoadPosted, producer="freight-api", load_id=load_id, participant_id=who,
                     origin=place_at(start_km, f"km {start_km}"), destination=place_at(end_km, f"km {end_km}"),
                     description="Kartoffeln", weight_g=kg * 1000, volume_ml=0,
                     pickup_window={"start": DAY + timedelta(hours=6), "end": DAY + timedelta(hours=18)},
                     delivery_window={"start": DAY + timedelta(hours=6), "end": DAY + timedelta(hours=22)}, **more)


def as_plan(event) -> dict:
    return {"origin": event.origin.location.to_avro(), "destination": event.destination.location.to_avro()}


def check(proposal: MatchProposed, trip: TripOffered, load_events: list[LoadPosted]) -> None:
    checked_trip = as_plan(trip) | {"departure": {"start": trip.departure.start, "end": trip.departure.end},
                                    "spare_weight_kg": trip.spare_weight_g / 1000, "max_detour_km": trip.max_detour_km}
    checked_loads = {l.load_id: as_plan(l) | {"pickup_window": {"end": l.pickup_window.end},
                                              "delivery_window": {"end": l.delivery_window.end},
                                              "weight_kg": l.weight_g / 1000} for l in load_events}
    stops = [{"action": str(s.action), "load_id": s.load_id, "eta": s.eta, "location": s.place.location.to_avro()}
             for s in proposal.stops]
    assert check_plan(checked_trip, checked_loads, stops) == []


async def a_round(redis, producer) -> list:
    before = len(producer.published)
    await run_round(redis, producer, SETTINGS, int((DAY - timedelta(days=1)).timestamp() * 1000))
    return producer.published[before:]


async def test_offer_post_propose_agree_and_a_withdrawn_trip_gives_the_load_back():
    redis, producer = FakeRedis(), FakeProducer()
    trip, load = offered("t1", "drv", 0, 30), posted("l1", "snd", 5, 20, channel="PHONE")
    await trips.handle_trip_event(trip, redis, producer)
    await loads.handle_load_event(load, redis, producer, SETTINGS)
    out = await a_round(redis, producer)
    [proposal] = [e for e in out if isinstance(e, MatchProposed)]
    check(proposal, trip, [load])
    assert proposal.price.amount_cents == 0 and proposal.empty_km_avoided > 0
    notices = {n.recipient_id: n for n in out if isinstance(n, NotificationRequested)}
    assert notices["snd"].channel == "PHONE_CALL" and notices["drv"].channel == "SMS"
    assert await a_round(redis, producer) == []                  # proposed once, not again
    await matches.handle_match_event(proposal, redis, producer, SETTINGS)   # its own event: nothing new

    def accepted(side):
        return new_event(MatchAccepted, producer="freight-api", match_id=proposal.match_id, trip_id="t1",
                         load_id="l1", price={"amount_cents": 0}, accepted_by=side)

    assert await matches.handle_match_event(accepted("LOAD_PROVIDER"), redis, producer, SETTINGS) == []
    last = accepted("TRIP_PROVIDER")
    decided = await matches.handle_match_event(last, redis, producer, SETTINGS)
    assert [type(e) for e in decided] == [MatchAgreed, NotificationRequested, NotificationRequested]
    assert decided[1].params["code"] == handover_code(SETTINGS.code_key, proposal.match_id)
    assert "code" not in decided[2].params                       # the driver gets it at the pick-up
    assert await matches.handle_match_event(last, redis, producer, SETTINGS) == []   # redelivered
    assert (await read_doc(redis, keys.load("l1")))["status"] == "AGREED"

    withdrawn = new_event(TripWithdrawn, producer="freight-api", trip_id="t1", participant_id="drv")
    out = await trips.handle_trip_event(withdrawn, redis, producer)
    assert [type(e) for e in out] == [MatchCancelled, NotificationRequested]
    assert out[0].was_agreed and out[1].template == "freight_trip_cancelled" and out[1].recipient_id == "snd"
    load_doc = await read_doc(redis, keys.load("l1"))
    assert load_doc["status"] == "OPEN" and "l1" in await redis.smembers(keys.LOADS_OPEN)
    assert await trips.handle_trip_event(withdrawn, redis, producer) == []
    # Another trip comes: the load is proposed to it.
    other = offered("t2", "drv2", 0, 40)
    await trips.handle_trip_event(other, redis, producer)
    [again] = [e for e in await a_round(redis, producer) if isinstance(e, MatchProposed)]
    assert again.trip_id == "t2"
    check(again, other, [load])


async def test_a_decline_excludes_the_pair_and_two_agreements_never_overfill():
    redis, producer = FakeRedis(), FakeProducer()
    trip = offered("t1", "drv", 0, 30, kg=100)
    await trips.handle_trip_event(trip, redis, producer)
    first, second = posted("a", "s1", 5, 25, kg=60), posted("b", "s2", 6, 24, kg=60)
    await loads.handle_load_event(first, redis, producer, SETTINGS)
    await loads.handle_load_event(second, redis, producer, SETTINGS)
    proposals = [e for e in await a_round(redis, producer) if isinstance(e, MatchProposed)]
    assert len(proposals) == 1                                   # 120 kg never fit in 100
    [proposal] = proposals
    check(proposal, trip, [first, second])
    declined = new_event(MatchDeclined, producer="freight-api", match_id=proposal.match_id, trip_id="t1",
                         load_id=proposal.load_id, declined_by="LOAD_PROVIDER", reason="PRICE")
    out = await matches.handle_match_event(declined, redis, producer, SETTINGS)
    assert [n.template for n in out] == ["freight_match_declined"] and out[0].recipient_id == "drv"
    assert "t1" in await redis.smembers(keys.excluded(proposal.load_id))
    [other] = [e for e in await a_round(redis, producer) if isinstance(e, MatchProposed)]
    assert other.load_id != proposal.load_id and other.trip_id == "t1"
    # A stale second proposal of the declined load on the same trip (another matcher): both
    # answered at once, only one is agreed.
    stale = new_event(MatchProposed, producer="freight-worker", match_id="m-stale", trip_id="t1",
                      load_id=proposal.load_id, detour_km=0.0, price={"amount_cents": 0}, empty_km_avoided=1.0,
                      trip_participant_id="drv", load_participant_id="s1" if proposal.load_id == "a" else "s2")
    await redis.delete(keys.excluded(proposal.load_id))
    await matches.handle_match_event(stale, redis, producer, SETTINGS)
    answers = [new_event(MatchAccepted, producer="freight-api", match_id=m, trip_id="t1", load_id=l,
                         price={"amount_cents": 0}, accepted_by=side)
               for m, l in ((other.match_id, other.load_id), ("m-stale", proposal.load_id))
               for side in ("LOAD_PROVIDER", "TRIP_PROVIDER")]
    decided = [e for a in answers for e in await matches.handle_match_event(a, redis, producer, SETTINGS)]
    assert sorted(type(e).__name__ for e in decided if not isinstance(e, NotificationRequested)) == [
        "MatchAgreed", "MatchCancelled"]


async def test_a_withdrawn_load_frees_its_trip_and_tells_the_driver():
    redis, producer = FakeRedis(), FakeProducer()
    await trips.handle_trip_event(offered("t1", "drv", 0, 30), redis, producer)
    await loads.handle_load_event(posted("l1", "snd", 5, 20), redis, producer, SETTINGS)
    [proposal] = [e for e in await a_round(redis, producer) if isinstance(e, MatchProposed)]
    out = await loads.handle_load_event(new_event(LoadWithdrawn, producer="freight-api", load_id="l1",
                                                  participant_id="snd"), redis, producer, SETTINGS)
    assert [type(e) for e in out] == [MatchCancelled, NotificationRequested] and out[1].recipient_id == "drv"
    assert await redis.smembers(keys.holding("t1")) == set()
    assert (await read_doc(redis, keys.load("l1")))["status"] == "WITHDRAWN"


async def test_a_load_no_trip_can_carry_is_kept_out_of_matching():
    redis, producer = FakeRedis(), FakeProducer()
    await loads.handle_load_event(posted("big", "snd", 5, 20, kg=5000), redis, producer, SETTINGS)
    doc = await read_doc(redis, keys.load("big"))
    assert "too heavy" in doc["unmatchable_reason"] and "big" not in await redis.smembers(keys.LOADS_OPEN)


async def test_a_planned_hub_tour_offers_its_legs_and_a_replan_withdraws_them():
    redis, producer = FakeRedis(), FakeProducer()
    vehicle = {"vehicle_id": "van", "max_weight_g": 500_000, "max_volume_ml": 2_000_000,
               "temperature_classes": ["AMBIENT"], "shift": {"start": DAY, "end": DAY + timedelta(hours=12)}}
    depot = {"depot_id": "hub", "name": "Hub", "location": {"lat": 51.0, "lon": 9.0}}

    def planned(plan_id, tour_id, replan_of=None):
        stops = [{"kind": "DEPOT", "place_id": "hub", "location": {"lat": 51.0, "lon": 9.0},
                  "eta": DAY + timedelta(hours=7), "load_g": 100_000, "load_ml": 0},
                 {"kind": "DELIVERY", "place_id": "x", "location": {"lat": 51.1, "lon": 9.0},
                  "eta": DAY + timedelta(hours=8), "load_g": 0, "load_ml": 0}]
        return new_event(RoutePlanned, producer="routing-worker", plan_id=plan_id, day=DAY.date(),
                         tours=[{"tour_id": tour_id, "vehicle_id": "van", "stops": stops, "distance_km": 1.0,
                                 "duration_s": 1, "empty_km": 0.0, "load_factor": 0.1}],
                         distance_km=1.0, solve_time_ms=1, replan_of=replan_of)

    for plan_id, replan_of in (("p1", None), ("p2", "p1")):
        await hub_tours.handle_plan_event(new_event(
            RoutePlanRequested, producer="routing-api", plan_id=plan_id, day=DAY.date(), depot=depot,
            vehicles=[vehicle], jobs=[], replan_of=replan_of), redis, producer, SETTINGS)
    out = await hub_tours.handle_plan_event(planned("p1", "tour-1"), redis, producer, SETTINGS)
    assert [(e.type, e.trip_id, e.spare_weight_g) for e in out] == [("TripOffered", "hub-tour-1-0", 400_000)]
    for event in out:
        await trips.handle_trip_event(event, redis, producer)
    out = await hub_tours.handle_plan_event(planned("p2", "tour-2", "p1"), redis, producer, SETTINGS)
    assert [(e.type, e.trip_id) for e in out] == [("TripWithdrawn", "hub-tour-1-0"), ("TripOffered", "hub-tour-2-0")]


# -- the edge: who acts, places, pages ----------------------------------------------------------
def test_an_assistant_acts_for_someone_and_a_participant_only_for_themself():
    staff, farmer = User("desk-1", Role.OPERATOR), User("bauer", Role.FREIGHT_PARTICIPANT)
    who, actor, channel = acting(staff, OnBehalf(participant_id="erna", channel="PHONE"))
    assert (who, actor.on_behalf_of, actor.user_id, channel) == ("erna", "erna", "desk-1", "PHONE")
    with pytest.raises(Unprocessable, match="participant_id"):
        acting(staff, OnBehalf())
    assert acting(farmer, OnBehalf())[0] == "bauer"
    with pytest.raises(Forbidden):
        acting(farmer, OnBehalf(participant_id="erna"))
    assert acting(User("u", Role.SHOP, shop_id="shop-7"), OnBehalf())[0] == "shop-7"
    assert channel_for("PHONE") == "PHONE_CALL" and channel_for("COUNTER") == "LETTER" and channel_for("WEB") == "SMS"


def test_places_are_known_by_id_or_given_with_coordinates():
    assert place(PlaceIn(place_id="Brakel"), "origin")["location"]["lat"] == pytest.approx(51.72, abs=0.05)
    with pytest.raises(Unprocessable, match=r"origin\.place_id"):
        place(PlaceIn(place_id="Atlantis"), "origin")
    assert place(PlaceIn(name="Hof Berger", location={"lat": 51.0, "lon": 9.0}), "destination")["name"] == "Hof Berger"


def test_a_drop_window_before_the_pickup_is_refused_naming_it():
    body = LoadIn(origin={"place_id": "Brakel"}, destination={"place_id": "Höxter"}, description="Eier", weight_kg=2,
                  pickup_window={"start": DAY + timedelta(hours=10), "end": DAY + timedelta(hours=12)},
                  delivery_window={"start": DAY + timedelta(hours=6), "end": DAY + timedelta(hours=9)})
    with pytest.raises(Unprocessable) as refused:
        _load_fields(body, "snd", "WEB")
    assert refused.value.details["problems"][0]["field"] == "delivery_window"


def test_the_slip_and_the_board_print_in_german_with_english_and_escape_what_people_typed():
    load = {"load_id": "l1", "description": "<b>Eier</b>", "participant_id": "snd", "origin": {"name": "Hof"},
            "destination": {"name": "Laden"}, "pickup_start": 0, "pickup_end": 3_600_000, "delivery_start": 0,
            "delivery_end": 7_200_000, "weight_g": 2500, "volume_ml": 0, "parcels": 2, "temperature": "CHILLED",
            "handling_notes": "oben", "status": "AGREED", "match_id": "m1"}
    match_doc = {"match_id": "m1", "price_cents": 150, "stops": [
        {"action": "DEPART", "load_id": None, "name": "A", "eta": 0},
        {"action": "PICKUP", "load_id": "l1", "name": "Hof", "eta": 60_000}]}
    html = render_slip(load, match_doc, {"participant_id": "drv", "participant_name": "Huber"}, "123456",
                       datetime.now(timezone.utc))
    assert "123456" in html and "Ladeschein" in html and "Load slip" in html and "1,50 €" in html
    assert "<b>Eier</b>" not in html and "&lt;b&gt;Eier&lt;/b&gt;" in html and "gekühlt" in html
    monday = date(2026, 12, 7)
    trip = {"trip_id": "t1", "depart_start": int(datetime(2026, 12, 8, 7, tzinfo=timezone.utc).timestamp() * 1000),
            "origin": {"name": "Ringelai"}, "destination": {"name": "Passau"}, "participant_id": "drv",
            "spare_weight_g": 50_000, "price_rule": "FREE", "via": []}
    board = render_board(monday, [trip], [], datetime.now(timezone.utc))
    assert "KW 50" in board and "Dienstag, 08.12.2026" in board and "Ringelai → Passau" in board
    assert "kostenlos / free" in board


async def test_a_proposal_nobody_answers_lapses_and_the_load_is_matched_again():
    redis, producer = FakeRedis(), FakeProducer()
    await trips.handle_trip_event(offered("t1", "drv", 0, 30), redis, producer)
    await trips.handle_trip_event(offered("t2", "drv2", 0, 30), redis, producer)
    await loads.handle_load_event(posted("l1", "snd", 5, 20), redis, producer, SETTINGS)
    [first] = [e for e in await a_round(redis, producer) if isinstance(e, MatchProposed)]
    later = int((first.respond_by + timedelta(minutes=1)).timestamp() * 1000)
    await run_round(redis, producer, SETTINGS, later)
    [lapsed] = [e for e in producer.published if isinstance(e, MatchDeclined)]
    assert (lapsed.match_id, lapsed.reason, lapsed.declined_by) == (first.match_id, "NO_RESPONSE", "SYSTEM")
    told = await matches.handle_match_event(lapsed, redis, producer, SETTINGS)
    assert sorted((n.template, n.recipient_id) for n in told) == [("freight_match_lapsed", "drv"),
                                                                   ("freight_match_lapsed", "snd")]
    await run_round(redis, producer, SETTINGS, later)
    second = [e for e in producer.published if isinstance(e, MatchProposed)][-1]
    assert second.load_id == "l1" and second.trip_id != first.trip_id


def test_why_a_load_found_no_ride_is_said_plainly():
    from services.freight.handlers.matching import NO_TRIP_OFFERED, NO_TRIP_YET, unmatched_reason
    assert unmatched_reason(10_000, None) == NO_TRIP_OFFERED
    assert unmatched_reason(10_000, 50_000) == NO_TRIP_YET
    assert "largest: 50 kg" in unmatched_reason(80_000, 50_000)


async def test_bundles_are_built_from_each_trips_cheapest_loads_only():
    async def round_with(settings: FreightSettings) -> tuple[list[MatchProposed], Any]:
        redis, producer = FakeRedis(), FakeProducer()
        await trips.handle_trip_event(trip, redis, producer)
        for load in (*posted_loads, far):
            await loads.handle_load_event(load, redis, producer, settings)
        done = await run_round(redis, producer, settings, int((DAY - timedelta(days=1)).timestamp() * 1000))
        return [e for e in producer.published if isinstance(e, MatchProposed)], done

    trip = offered("t1", "drv", 0, 30)
    posted_loads = [posted(f"l{i}", f"s{i}", 5 + i, 20 + i) for i in range(4)]
    far = posted("far", "sx", 200, 230)
    # Pairs from the 2 cheapest singles, no triple: the trip takes 2 loads.
    narrow, done = await round_with(FreightSettings(code_secret=SETTINGS.code_secret, bundle_breadth=2,
                                                    solver_seconds=5))
    assert len(narrow) == 2 and "far" in done.unmatched
    # The default breadth finds the triple.
    wide, done = await round_with(SETTINGS)
    assert len(wide) == 3 and "far" in done.unmatched
    for proposal in (*narrow, *wide):
        check(proposal, trip, posted_loads)


async def test_every_notice_the_exchange_sends_renders_in_notify():
    from services.notify.domain.templates import render

    redis, producer = FakeRedis(), FakeProducer()
    await trips.handle_trip_event(offered("t1", "drv", 0, 30), redis, producer)
    await loads.handle_load_event(posted("l1", "snd", 5, 20), redis, producer, SETTINGS)
    await loads.handle_load_event(posted("l2", "snd2", 6, 21), redis, producer, SETTINGS)
    proposals = [e for e in await a_round(redis, producer) if isinstance(e, MatchProposed)]
    first = proposals[0]
    for side in ("LOAD_PROVIDER", "TRIP_PROVIDER"):
        await matches.handle_match_event(new_event(
            MatchAccepted, producer="freight-api", match_id=first.match_id, trip_id="t1", load_id=first.load_id,
            price={"amount_cents": 0}, accepted_by=side), redis, producer, SETTINGS)
    if len(proposals) > 1:
        await matches.handle_match_event(new_event(
            MatchDeclined, producer="freight-api", match_id=proposals[1].match_id, trip_id="t1",
            load_id=proposals[1].load_id, declined_by="TRIP_PROVIDER"), redis, producer, SETTINGS)
    await trips.handle_trip_event(new_event(TripWithdrawn, producer="freight-api", trip_id="t1", participant_id="drv"),
                                  redis, producer)
    notices = [e for e in producer.published if isinstance(e, NotificationRequested)]
    assert {"freight_match_proposed_sender", "freight_match_proposed_driver", "freight_match_agreed_sender",
            "freight_match_agreed_driver", "freight_trip_cancelled"} <= {n.template for n in notices}
    for notice in notices:
        rendered = render(notice.template, str(notice.language), notice.params)
        assert rendered.text and "{" not in rendered.text, notice.template
        assert rendered.alternative_language == "en"


def test_a_trip_passes_its_via_points_and_its_detour_counts_from_them():
    from services.freight.domain.routes import VIA, best_route
    times = road([0, 10, 20, 30, 40, 50, 5])
    on_the_way = Trip("t", 0, 5, Window(8 * H, 9 * H), spare_weight_g=10 ** 6, spare_volume_ml=10 ** 9, via=(6,))
    route = best_route(on_the_way, [Load("x", 1, 3, Window(0, 20 * H), Window(0, 22 * H), 1000, 0)], times)
    assert [(s.kind, s.place) for s in route.stops] == [(VIA, 6), ("PICKUP", 1), ("DROP", 3)]
    assert route.extra_m == 0 and route.load_ids == ("x",)
    behind = Trip("t", 0, 2, Window(8 * H, 9 * H), spare_weight_g=10 ** 6, spare_volume_ml=10 ** 9, via=(4,),
                  max_detour_m=20_000)
    back = best_route(behind, [Load("y", 3, 1, Window(0, 20 * H), Window(0, 22 * H), 1000, 0)], times)
    assert back.extra_m == 20_000 and sum(s.kind == VIA for s in back.stops) == 1
    assert best_route(Trip("t", 0, 2, Window(8 * H, 9 * H), spare_weight_g=10 ** 6, spare_volume_ml=10 ** 9,
                           via=(4,), max_detour_m=19_000),
                      [Load("y", 3, 1, Window(0, 20 * H), Window(0, 22 * H), 1000, 0)], times) is None


def test_a_trip_counting_pieces_never_takes_more_at_once():
    from services.freight.domain.routes import best_route
    times = road([0, 10, 20, 30, 40])
    trip = Trip("t", 0, 4, Window(8 * H, 9 * H), spare_weight_g=10 ** 6, spare_volume_ml=10 ** 9, max_detour_m=0,
                spare_parcels=5)
    three, four = (Load("a", 1, 3, Window(0, 20 * H), Window(0, 22 * H), 1000, 0, parcels=3),
                   Load("b", 2, 4, Window(0, 20 * H), Window(0, 22 * H), 1000, 0, parcels=4))
    assert best_route(trip, [three], times) is not None and best_route(trip, [three, four], times) is None
    later = Load("c", 3, 4, Window(0, 20 * H), Window(0, 22 * H), 1000, 0, parcels=4)
    assert best_route(trip, [three, later], times) is not None        # the three are off before the four
    assert best_route(trip, [Load("d", 1, 2, Window(0, 20 * H), Window(0, 22 * H), 1000, 0, parcels=6)], times) is None


async def test_a_proposal_for_a_load_gone_meanwhile_is_void_at_once():
    redis, producer = FakeRedis(), FakeProducer()
    await trips.handle_trip_event(offered("t1", "drv", 0, 30), redis, producer)
    await loads.handle_load_event(posted("l1", "snd", 5, 20), redis, producer, SETTINGS)
    await loads.handle_load_event(new_event(LoadWithdrawn, producer="freight-api", load_id="l1", participant_id="snd"),
                                  redis, producer, SETTINGS)
    late = new_event(MatchProposed, producer="freight-worker", match_id="m-late", trip_id="t1", load_id="l1",
                     detour_km=0.0, price={"amount_cents": 0}, empty_km_avoided=1.0)
    out = await matches.handle_match_event(late, redis, producer, SETTINGS)
    assert [type(e) for e in out] == [MatchCancelled]
    assert (await read_doc(redis, keys.match("m-late")))["status"] == "CANCELLED"
    assert (await read_doc(redis, keys.load("l1")))["status"] == "WITHDRAWN"
    assert await redis.smembers(keys.holding("t1")) == set()


async def test_the_matcher_runs_a_round_at_start_and_when_poked_after_a_change():
    import asyncio

    from nahnetz.testing import eventually
    from services.freight.handlers.matching import Matcher

    redis, producer = FakeRedis(), FakeProducer()
    quick = FreightSettings(code_secret=SETTINGS.code_secret, match_interval_seconds=60, match_debounce_seconds=0)
    matcher = Matcher(redis, producer, quick, lambda: int((DAY - timedelta(days=1)).timestamp() * 1000))
    task = asyncio.create_task(matcher.run_forever())
    try:
        await eventually(lambda: matcher.rounds == 1, what="the first round at start")
        await trips.handle_trip_event(offered("t1", "drv", 0, 30), redis, producer)
        await loads.handle_load_event(posted("l1", "snd", 5, 20), redis, producer, quick)
        matcher.poke()
        await eventually(lambda: any(isinstance(e, MatchProposed) for e in producer.published),
                         what="the load proposed after the change")
        assert matcher.rounds == 2
    finally:
        task.cancel()


async def test_a_trip_taking_two_new_loads_gets_both_proposed_in_one_round():
    redis, producer = FakeRedis(), FakeProducer()
    trip = offered("t1", "drv", 0, 30, kg=100)
    await trips.handle_trip_event(trip, redis, producer)
    first, second = posted("a", "s1", 5, 25, kg=30), posted("b", "s2", 6, 24, kg=30)
    await loads.handle_load_event(first, redis, producer, SETTINGS)
    await loads.handle_load_event(second, redis, producer, SETTINGS)
    proposals = [e for e in await a_round(redis, producer) if isinstance(e, MatchProposed)]
    assert sorted(p.load_id for p in proposals) == ["a", "b"]  # the second is not taken for a stale one
    for proposal in proposals:
        check(proposal, trip, [first, second])
    assert len(await redis.smembers(keys.holding("t1"))) == 2
