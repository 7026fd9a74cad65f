"""Properties of the freight matching: whatever the trips and loads, every match
keeps the rules, checked here from the stops alone (not by the code that made them)."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from nahnetz.geo import TravelTimes
from services.freight.domain.matching import match
from services.freight.domain.offers import Load, Trip, Window
from services.freight.domain.routes import DROP, PICKUP

H = 3600
DAY = 1_780_000_000 - 1_780_000_000 % 86400
POSITIONS = [0, 7, 13, 22, 31, 38, 45, 52]


def road() -> TravelTimes:
    metres = [[abs(a - b) * 1000 for b in POSITIONS] for a in POSITIONS]
    return TravelTimes(metres, [[m * 60 // 1000 for m in row] for row in metres])


TIMES = road()
places = st.integers(0, len(POSITIONS) - 1)
hours = st.integers(6, 18)


@st.composite
def loads(draw, n):
    made = []
    for i in range(n):
        origin = draw(places)
        destination = draw(places.filter(lambda p, o=origin: p != o))
        start = draw(hours)
        made.append(Load(f"l{i}", origin, destination, Window(DAY + start * H, DAY + (start + draw(st.integers(1, 4))) * H),
                         Window(DAY + start * H, DAY + 22 * H), draw(st.integers(1, 60)) * 1000, 10_000,
                         draw(st.sampled_from(["AMBIENT", "CHILLED"]))))
    return made


@st.composite
def trips(draw, n):
    made = []
    for i in range(n):
        origin, destination = draw(places), draw(places)
        leave = draw(hours)
        made.append(Trip(f"t{i}", origin, destination, Window(DAY + leave * H, DAY + (leave + 2) * H),
                         spare_weight_g=draw(st.integers(10, 100)) * 1000, spare_volume_ml=100_000,
                         temperature=draw(st.sampled_from(["AMBIENT", "CHILLED"])),
                         max_detour_m=draw(st.sampled_from([None, 5_000, 20_000]))))
    return made


@settings(max_examples=60, deadline=None)
@given(trips(2), loads(5))
def test_every_match_keeps_room_order_windows_temperature_and_detour(trip_list, load_list):
    result = match(trip_list, load_list, TIMES, time_limit_s=5)
    by_trip = {t.trip_id: t for t in trip_list}
    by_load = {l.load_id: l for l in load_list}
    carried = [i for m in result.matches for i in m.route.load_ids]
    assert len(carried) == len(set(carried))
    assert set(carried) | set(result.unmatched) == set(by_load)
    for m in result.matches:
        trip, route = by_trip[m.route.trip_id], m.route
        on_board, weight, metres, here = set(), 0, 0, trip.origin
        assert trip.departure.start <= route.departure <= trip.departure.end
        for stop in route.stops:
            load = by_load[stop.load_id]
            metres += TIMES.distances_m[here][stop.place]
            here = stop.place
            window = load.pickup if stop.kind == PICKUP else load.delivery
            assert stop.arrive_at <= window.end and stop.leave_at >= window.start
            assert trip.keeps(load.temperature)
            if stop.kind == PICKUP:
                assert stop.place == load.origin
                on_board.add(load.load_id)
                weight += load.weight_g
                assert weight <= trip.spare_weight_g
            else:
                assert stop.kind == DROP and stop.place == load.destination and load.load_id in on_board
                on_board.discard(load.load_id)
                weight -= load.weight_g
        metres += TIMES.distances_m[here][trip.destination]
        assert not on_board
        assert route.extra_m == metres - TIMES.distances_m[trip.origin][trip.destination]
        assert trip.max_detour_m is None or route.extra_m <= trip.max_detour_m
        assert m.saving.km_avoided >= 0


@settings(max_examples=40, deadline=None)
@given(trips(2), loads(4), st.lists(places, min_size=1, max_size=2))
def test_a_trip_with_via_points_passes_them_in_order_and_keeps_its_detour(trip_list, load_list, via):
    from dataclasses import replace

    from services.freight.domain.routes import VIA

    trip_list = [replace(t, via=tuple(via)) for t in trip_list]
    result = match(trip_list, load_list, TIMES, time_limit_s=5)
    by_trip = {t.trip_id: t for t in trip_list}
    by_load = {l.load_id: l for l in load_list}
    for m in result.matches:
        trip, route = by_trip[m.route.trip_id], m.route
        assert [s.place for s in route.stops if s.kind == VIA] == list(via)
        path = [trip.origin, *[s.place for s in route.stops], trip.destination]
        metres = sum(TIMES.distances_m[a][b] for a, b in zip(path, path[1:]))
        base = [trip.origin, *via, trip.destination]
        assert route.extra_m == metres - sum(TIMES.distances_m[a][b] for a, b in zip(base, base[1:]))
        assert trip.max_detour_m is None or route.extra_m <= trip.max_detour_m
        on_board, weight = set(), 0
        for stop in route.stops:
            if stop.kind == VIA:
                continue
            load = by_load[stop.load_id]
            window = load.pickup if stop.kind == PICKUP else load.delivery
            assert stop.arrive_at <= window.end
            if stop.kind == PICKUP:
                on_board.add(load.load_id)
                weight += load.weight_g
                assert weight <= trip.spare_weight_g
            else:
                assert load.load_id in on_board
                on_board.discard(load.load_id)
                weight -= load.weight_g
        assert not on_board
