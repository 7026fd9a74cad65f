"""An independent checker of the freight exchange's proposed plans.

Written apart from `services/freight/domain` and sharing nothing with it: it takes
the trip and the loads as the test offered them (API units: kg, litres, places with
coordinates, ISO times) and a proposal's route as the service published it
(MatchProposed's stops: action, load, place, ETA), and says what is wrong:

- the route starts at the trip's origin within its departure window, passes its via
  points in order and ends at its destination by the latest arrival;
- each load is picked up at its pick-up place before it is dropped at its drop place,
  exactly once each;
- the room (kg, litres) is never exceeded between any two stops;
- each stop is reached by its window's end (early is fine: the driver waits);
- the extra road distance (against origin, via points, destination) stays within the
  trip's detour limit in km, measured with
  its own great-circle distance times the same road circuity (1.3) the service is
  configured with;
- the extra time (arrival minus departure, against driving origin, via points,
  destination straight through) stays within the detour limit in minutes, driving
  timed by the documented speed brackets of a rural road network (2 km at 30 km/h,
  up to 15 km at 55 km/h, beyond at 75 km/h; loading and waiting count as detour);
- each load's temperature class is one the trip keeps.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Iterable, Mapping

CIRCUITY = 1.3
EARTH_M = 6_371_008.8
COLD = ("AMBIENT", "CHILLED", "FROZEN")
TOLERANCE_M = 5        # rounding of the service's whole metres
TOLERANCE_S = 2        # ETAs carry milliseconds of whole seconds
BRACKETS = ((2_000, 30.0), (15_000, 55.0), (math.inf, 75.0))  # (up to metres of a leg, km/h)


def road_m(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    p1, p2 = math.radians(a["lat"]), math.radians(b["lat"])
    dp, dl = p2 - p1, math.radians(b["lon"] - a["lon"])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_M * math.asin(math.sqrt(h)) * CIRCUITY


def drive_s(road: float) -> float:
    """Seconds to drive `road` metres in one leg, bracket by bracket."""
    seconds, done = 0.0, 0.0
    for upto, kmh in BRACKETS:
        stretch = min(road, upto) - done
        if stretch <= 0:
            break
        seconds += stretch / (kmh / 3.6)
        done += stretch
    return seconds


def _t(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    return datetime.fromisoformat(value).timestamp()


def _near(a: Mapping[str, float], b: Mapping[str, float]) -> bool:
    return abs(a["lat"] - b["lat"]) < 1e-5 and abs(a["lon"] - b["lon"]) < 1e-5


def check_plan(trip: Mapping[str, Any], loads: Mapping[str, Mapping[str, Any]],
               stops: Iterable[Mapping[str, Any]]) -> list[str]:
    """`trip`: origin/destination {lat, lon}, via [{lat, lon}], departure {start, end}, arrive_by, spare_weight_kg,
    spare_volume_litres (0: not counted), temperature, max_detour_km, max_detour_min. `loads`: by id, origin/
    destination {lat, lon}, pickup_window, delivery_window, weight_kg, volume_litres, temperature.
    `stops`: action, load_id, location {lat, lon}, eta. Returns the problems (none: a good plan)."""
    stops = list(stops)
    problems: list[str] = []
    if not stops or stops[0]["action"] != "DEPART" or stops[-1]["action"] != "ARRIVE":
        return ["the route does not run from a departure to an arrival"]
    if not _near(stops[0]["location"], trip["origin"]):
        problems.append("the route does not start at the trip's origin")
    if not _near(stops[-1]["location"], trip["destination"]):
        problems.append("the route does not end at the trip's destination")
    leave = _t(stops[0]["eta"])
    if not (_t(trip["departure"]["start"]) - TOLERANCE_S <= leave <= _t(trip["departure"]["end"]) + TOLERANCE_S):
        problems.append("the trip leaves outside its departure window")
    if trip.get("arrive_by") and _t(stops[-1]["eta"]) > _t(trip["arrive_by"]) + TOLERANCE_S:
        problems.append("the trip arrives after its latest arrival")
    on_board: set[str] = set()
    done: set[str] = set()
    weight = volume = 0.0
    vias = list(trip.get("via") or ())
    passed = [s for s in stops if s["action"] == "VIA"]
    if len(passed) != len(vias) or any(not _near(s["location"], v) for s, v in zip(passed, vias)):
        problems.append("the route does not pass the trip's via points in their order")
    for stop in stops[1:-1]:
        if stop["action"] == "VIA":
            continue
        load_id = stop["load_id"]
        load = loads.get(load_id)
        if load is None:
            problems.append(f"the route handles an unknown load {load_id}")
            continue
        eta = _t(stop["eta"])
        if stop["action"] == "PICKUP":
            if load_id in on_board or load_id in done:
                problems.append(f"{load_id} is picked up twice")
            if not _near(stop["location"], load["origin"]):
                problems.append(f"{load_id} is picked up away from its pick-up place")
            if eta > _t(load["pickup_window"]["end"]) + TOLERANCE_S:
                problems.append(f"{load_id} is picked up after its window closed")
            if COLD.index(load.get("temperature", "AMBIENT")) > COLD.index(trip.get("temperature", "AMBIENT")):
                problems.append(f"{load_id} needs colder than the trip keeps")
            on_board.add(load_id)
            weight += load["weight_kg"]
            volume += load.get("volume_litres", 0)
            if weight > trip["spare_weight_kg"] + 1e-9:
                problems.append(f"over the weight after picking up {load_id}: {weight} kg")
            if trip.get("spare_volume_litres") and volume > trip["spare_volume_litres"] + 1e-9:
                problems.append(f"over the volume after picking up {load_id}: {volume} l")
        elif stop["action"] == "DROP":
            if load_id not in on_board:
                problems.append(f"{load_id} is dropped before it was picked up")
                continue
            if not _near(stop["location"], load["destination"]):
                problems.append(f"{load_id} is dropped away from its drop place")
            if eta > _t(load["delivery_window"]["end"]) + TOLERANCE_S:
                problems.append(f"{load_id} is dropped after its window closed")
            on_board.discard(load_id)
            done.add(load_id)
            weight -= load["weight_kg"]
            volume -= load.get("volume_litres", 0)
        else:
            problems.append(f"a stop of an unknown kind {stop['action']}")
    if on_board:
        problems.append(f"never dropped: {sorted(on_board)}")
    previous = None
    for stop in stops:
        if previous is not None and _t(stop["eta"]) + TOLERANCE_S < _t(previous["eta"]):
            problems.append("the route goes back in time")
        previous = stop
    driven = sum(road_m(a["location"], b["location"]) for a, b in zip(stops, stops[1:]))
    path = [trip["origin"], *vias, trip["destination"]]
    extra = driven - sum(road_m(a, b) for a, b in zip(path, path[1:]))
    if trip.get("max_detour_km") is not None and extra > trip["max_detour_km"] * 1000 + TOLERANCE_M:
        problems.append(f"a detour of {extra / 1000:.2f} km over the limit of {trip['max_detour_km']} km")
    direct_s = sum(drive_s(road_m(a, b)) for a, b in zip(path, path[1:]))
    extra_s = _t(stops[-1]["eta"]) - _t(stops[0]["eta"]) - direct_s
    if trip.get("max_detour_min") is not None and extra_s > trip["max_detour_min"] * 60 + len(stops) * TOLERANCE_S:
        problems.append(f"a detour of {extra_s / 60:.1f} min over the limit of {trip['max_detour_min']} min")
    return problems
