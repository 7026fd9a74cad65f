"""The independent checker of freight plans (tests/freight_checker.py) passes a sound
plan and names what is wrong with a tampered one: a checker that passes everything
would make every test that uses it worthless."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from freight_checker import check_plan, drive_s, road_m

T0 = datetime(2026, 12, 8, 8, tzinfo=timezone.utc)
KM_LON = 1 / 73.1  # degrees of longitude per km near 48.7° N


def at(km: float) -> dict:
    return {"lat": 48.7, "lon": 13.4 + km * KM_LON}


def iso(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


TRIP = {"origin": at(0), "destination": at(30), "via": [],
        "departure": {"start": iso(0), "end": iso(3600)}, "arrive_by": iso(4 * 3600),
        "spare_weight_kg": 50, "spare_volume_litres": 0, "temperature": "AMBIENT",
        "max_detour_km": 3, "max_detour_min": 25}
LOADS = {"a": {"origin": at(10), "destination": at(20), "weight_kg": 20,
               "pickup_window": {"end": iso(3 * 3600)}, "delivery_window": {"end": iso(4 * 3600)}}}


def plan(*, pickup_km: float = 10, drop_km: float = 20, dwell_s: float = 300, kg_load: float | None = None) -> list[dict]:
    """A plan along the line, timed with the checker's own speeds: leave, pick up, drop, arrive."""
    places = [at(0), at(pickup_km), at(drop_km), at(30)]
    clock, etas = 0.0, [0.0]
    for a, b in zip(places, places[1:]):
        clock += drive_s(road_m(a, b))
        etas.append(clock)
        clock += dwell_s
    stops = [{"action": "DEPART", "load_id": None, "location": places[0], "eta": iso(etas[0])},
             {"action": "PICKUP", "load_id": "a", "location": places[1], "eta": iso(etas[1])},
             {"action": "DROP", "load_id": "a", "location": places[2], "eta": iso(etas[2])},
             {"action": "ARRIVE", "load_id": None, "location": places[3], "eta": iso(etas[3])}]
    return stops


def test_a_plan_on_the_way_passes():
    assert check_plan(TRIP, LOADS, plan()) == []


def test_a_load_off_the_way_breaks_the_detour_in_km():
    loads = {"a": LOADS["a"] | {"origin": at(10) | {"lat": 48.7 + 6 / 111.2}}}
    stops = plan()
    stops[1]["location"] = loads["a"]["origin"]
    assert any("km over the limit" in p for p in check_plan(TRIP, loads, stops))


def test_long_stops_break_the_detour_in_minutes():
    problems = check_plan(TRIP, LOADS, plan(dwell_s=10 * 60))
    assert any("min over the limit" in p for p in problems), problems
    assert check_plan(TRIP | {"max_detour_min": None}, LOADS, plan(dwell_s=10 * 60)) == []


def test_a_drop_before_its_pick_up_and_a_heavy_load_are_named():
    stops = plan()
    stops[1], stops[2] = stops[2] | {"eta": stops[1]["eta"]}, stops[1] | {"eta": stops[2]["eta"]}
    assert any("dropped before it was picked up" in p for p in check_plan(TRIP, LOADS, stops))
    heavy = {"a": LOADS["a"] | {"weight_kg": 80}}
    assert any("over the weight" in p for p in check_plan(TRIP, heavy, plan()))
