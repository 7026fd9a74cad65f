"""The freight exchange's matching (services/freight/domain): which loads ride on
which trips, along which route, and what that saves. Places lie on one road, a
kilometre apart per unit, driven at 60 km/h, so every figure can be checked by hand."""

from __future__ import annotations

import pytest

from nahnetz.geo import TravelTimes
from services.freight.domain.footprint import CO2_KG_PER_KM
from services.freight.domain.matching import bundles, match
from services.freight.domain.offers import Load, Trip, Window
from services.freight.domain.routes import DROP, PICKUP, SERVICE_S, best_route, orders

H = 3600
DAY = 1_780_000_000 - 1_780_000_000 % 86400  # a midnight, UTC
KM = [0, 10, 20, 30, 40, 50, 5, 15]          # place index -> position on the road (km)


def road(positions=KM) -> TravelTimes:
    metres = [[abs(a - b) * 1000 for b in positions] for a in positions]
    return TravelTimes(metres, [[m * 60 // 1000 for m in row] for row in metres])  # 60 km/h


TIMES = road()


def trip(trip_id="t-1", origin=0, destination=5, leave=(8, 9), **more) -> Trip:
    return Trip(trip_id, origin, destination, Window(DAY + leave[0] * H, DAY + leave[1] * H),
                **({"spare_weight_g": 100_000, "spare_volume_ml": 200_000} | more))


def load(load_id, origin, destination, weight=10_000, volume=20_000, pickup=(6, 18), delivery=(6, 20),
         temperature="AMBIENT") -> Load:
    return Load(load_id, origin, destination, Window(DAY + pickup[0] * H, DAY + pickup[1] * H),
                Window(DAY + delivery[0] * H, DAY + delivery[1] * H), weight, volume, temperature)


def test_every_stop_order_picks_up_before_it_drops():
    loads = [load("a", 1, 2), load("b", 2, 3), load("c", 3, 4)]
    found = orders(loads)
    assert len(found) == 90  # 6! / 2^3
    for order in found:
        picked = [l.load_id for kind, l in order if kind == PICKUP]
        for i, (kind, l) in enumerate(order):
            if kind == DROP:
                assert l.load_id in [x.load_id for k, x in order[:i] if k == PICKUP]
        assert sorted(picked) == ["a", "b", "c"]


def test_a_load_on_the_way_costs_no_extra_kilometre_and_saves_its_dedicated_run():
    result = match([trip()], [load("crates", 1, 3)], TIMES)
    [m] = result.matches
    assert m.route.load_ids == ("crates",) and m.route.extra_m == 0
    assert m.route.extra_s == 2 * SERVICE_S                  # only loading and unloading
    assert m.saving.km_avoided == 40.0                        # 20 km there and 20 back, not driven
    assert m.saving.co2_kg_avoided == pytest.approx(40 * CO2_KG_PER_KM)
    assert result.unmatched == () and result.optimal


def test_the_detour_limit_and_the_arrival_are_kept():
    backwards = load("back", 2, 1)  # 20 km back to pick up... no: dropping at 10 after 20 means driving back 10 km
    assert best_route(trip(), [backwards], TIMES).extra_m == 20_000
    assert best_route(trip(max_detour_m=19_000), [backwards], TIMES) is None
    # 50 km take 50 min; leaving by 9:00 with two stops the trip cannot be there by 9:45.
    assert best_route(trip(arrive_by=DAY + 9 * H + 45 * 60), [load("x", 1, 3)], TIMES) is not None
    assert best_route(trip(leave=(9, 9), arrive_by=DAY + 9 * H + 55 * 60), [load("x", 1, 3)], TIMES) is None


def test_room_is_never_exceeded_along_the_way():
    first, second = load("first", 1, 2, weight=60_000), load("second", 3, 4, weight=60_000)
    one_after_the_other = best_route(trip(), [first, second], TIMES)
    assert one_after_the_other is not None and one_after_the_other.extra_m == 0
    overlapping = load("overlap", 1, 4, weight=60_000)
    # Both at once would be 120 kg: the only way is to drop the first before taking the second,
    # which means driving back (20 km), and a driver who takes no such detour cannot carry both.
    back_and_forth = best_route(trip(), [overlapping, second], TIMES)
    assert [(s.kind, s.load_id) for s in back_and_forth.stops] == [
        (PICKUP, "overlap"), (DROP, "overlap"), (PICKUP, "second"), (DROP, "second")]
    assert back_and_forth.extra_m == 20_000
    assert best_route(trip(max_detour_m=10_000), [overlapping, second], TIMES) is None
    assert best_route(trip(), [load("heavy", 1, 2, weight=100_001)], TIMES) is None


def test_windows_and_temperature_decide_who_may_ride():
    closed = load("too-early", 4, 5, pickup=(6, 8))           # the trip reaches place 4 after 8:00
    assert best_route(trip(), [closed], TIMES) is None
    chilled = load("quark", 1, 3, temperature="CHILLED")
    assert best_route(trip(), [chilled], TIMES) is None
    assert best_route(trip(temperature="CHILLED"), [chilled], TIMES) is not None
    assert best_route(trip(temperature="FROZEN"), [chilled], TIMES) is not None
    assert best_route(trip(temperature="CHILLED"), [load("ice", 1, 3, temperature="FROZEN")], TIMES) is None


def test_the_driver_leaves_as_late_as_the_farm_gate_allows():
    # Place 1 is 10 minutes out; the goods are ready from 10:00: leave at 9:50, not at 8:00.
    route = best_route(trip(leave=(8, 11)), [load("eggs", 1, 3, pickup=(10, 12))], TIMES)
    assert route.departure == DAY + 10 * H - 10 * 60
    assert route.stops[0].arrive_at == DAY + 10 * H and route.extra_s == 2 * SERVICE_S


def test_as_many_loads_as_possible_before_the_fewest_kilometres():
    # The cheap trip could take "a" at no detour, but only the long-way trip can take "b":
    # carrying both beats carrying one cheaply.
    near = trip("near", 0, 5)
    far = trip("far", 7, 5, max_detour_m=30_000)   # starts at km 15
    a, b = load("a", 1, 2), load("b", 6, 2, weight=5_000)  # b waits at km 5
    result = match([near, far], [a, b], TIMES, max_bundle=1)
    assert result.carried == 2 and result.unmatched == ()
    # One load, two trips: the one with fewer extra kilometres takes it (the short trip
    # would drive on to km 30 and back to its end at km 20).
    alone = match([trip("short", 0, 2), trip("long", 0, 5)], [load("x", 6, 3)], TIMES)
    [only] = alone.matches
    assert (only.route.trip_id, only.route.extra_m) == ("long", 0)
    assert best_route(trip("short", 0, 2), [load("x", 6, 3)], TIMES).extra_m == 20_000


def test_a_trip_takes_several_loads_and_no_load_rides_twice():
    loads = [load(f"l{i}", 1 + i % 3, 3 + i % 3, weight=20_000) for i in range(5)]
    result = match([trip("one"), trip("two")], loads, TIMES)
    carried = [i for m in result.matches for i in m.route.load_ids]
    assert len(carried) == len(set(carried)) == 5 - len(result.unmatched)
    assert result.carried == 5 and all(len(m.route.load_ids) <= 3 for m in result.matches)


def test_a_declined_pair_is_not_proposed_again():
    result = match([trip("t-1"), trip("t-2", leave=(8, 10))], [load("crates", 1, 3)], TIMES,
                   excluded=[("t-1", "crates")])
    [m] = result.matches
    assert m.route.trip_id == "t-2"
    assert bundles(trip("t-1"), [load("crates", 1, 3)], TIMES, excluded=[("t-1", "crates")]) == []


def test_nothing_to_match_is_an_honest_empty_answer():
    result = match([trip()], [load("far-away", 4, 5, pickup=(6, 7))], TIMES)
    assert result.matches == () and result.unmatched == ("far-away",) and result.optimal
