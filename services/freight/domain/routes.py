"""Whether one trip can carry a bundle of loads, and the best way to do it.

The trip drives from its origin to its destination and, on the way, picks up
each load and later drops it. For a few loads every order of the stops is tried
(each pick-up before its drop): with three loads that is 90 orders, cheap and
exact. A way is feasible when the room is never exceeded at any point, every
stop is reached within its window (early means waiting), the trip arrives by
its `arrive_by`, its goods' temperatures are kept, and the detour stays within
the driver's limits in metres and seconds. Of the feasible ways the one with the
fewest extra metres wins (then the shortest time).

The departure is chosen within the trip's window: as early as the driver wants,
but not so early that they would only wait at a farm gate for the goods.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import permutations
from typing import Sequence

from .offers import Load, Matrix, Trip

SERVICE_S = 300  # loading or unloading at a stop
PICKUP, DROP = "PICKUP", "DROP"


@dataclass(frozen=True)
class Stop:
    kind: str       # PICKUP or DROP
    load_id: str
    place: int
    arrive_at: int  # seconds since the epoch
    leave_at: int


@dataclass(frozen=True)
class Route:
    trip_id: str
    departure: int
    stops: tuple[Stop, ...]
    arrival: int
    extra_m: int    # against the trip's direct drive
    extra_s: int

    @property
    def load_ids(self) -> tuple[str, ...]:
        return tuple(s.load_id for s in self.stops if s.kind == PICKUP)


def orders(loads: Sequence[Load]) -> list[list[tuple[str, Load]]]:
    """Every order of the stops in which each load is picked up before it is dropped."""
    stops = [(PICKUP, load) for load in loads] + [(DROP, load) for load in loads]
    found = []
    for order in permutations(stops):
        seen: set[str] = set()
        valid = True
        for kind, load in order:
            if kind == PICKUP:
                seen.add(load.load_id)
            elif load.load_id not in seen:
                valid = False
                break
        if valid:
            found.append(list(order))
    return found


def fits(trip: Trip, load: Load, times: Matrix) -> bool:
    """The quick tests one load must pass before any route is tried."""
    if not trip.keeps(load.temperature):
        return False
    if load.weight_g > trip.spare_weight_g or load.volume_ml > trip.spare_volume_ml:
        return False
    # Even driving straight there it must be possible to pick up before the window closes.
    earliest = trip.departure.start + times.durations_s[trip.origin][load.origin]
    return earliest <= load.pickup.end and load.pickup.start <= load.delivery.end


def best_route(trip: Trip, loads: Sequence[Load], times: Matrix) -> Route | None:
    """The feasible way of carrying all `loads` on `trip` with the fewest extra metres, or None."""
    if any(not fits(trip, load, times) for load in loads):
        return None
    best: Route | None = None
    for order in orders(loads):
        route = _drive(trip, order, times)
        if route is not None and (best is None or (route.extra_m, route.extra_s) < (best.extra_m, best.extra_s)):
            best = route
    return best


def _drive(trip: Trip, order: list[tuple[str, Load]], times: Matrix) -> Route | None:
    dur = times.durations_s
    places = [trip.origin] + [load.origin if kind == PICKUP else load.destination for kind, load in order]
    places.append(trip.destination)
    # Leave when no stop makes the driver wait, but never so late that a window closes.
    latest, wait_free = trip.departure.end, trip.departure.start
    reach = 0
    for i, (kind, load) in enumerate(order):
        reach += dur[places[i]][places[i + 1]]
        window = load.pickup if kind == PICKUP else load.delivery
        latest = min(latest, window.end - reach)
        wait_free = max(wait_free, window.start - reach)
        reach += SERVICE_S
    departure = max(trip.departure.start, min(wait_free, latest))
    route = _schedule(trip, order, places, departure, times)
    if route is None and departure > trip.departure.start:
        route = _schedule(trip, order, places, trip.departure.start, times)
    return route


def _schedule(trip: Trip, order: list[tuple[str, Load]], places: list[int], departure: int,
              times: Matrix) -> Route | None:
    dist, dur = times.distances_m, times.durations_s
    clock, weight, volume, metres = departure, 0, 0, 0
    stops = []
    for i, (kind, load) in enumerate(order):
        clock += dur[places[i]][places[i + 1]]
        metres += dist[places[i]][places[i + 1]]
        window = load.pickup if kind == PICKUP else load.delivery
        if clock > window.end:
            return None
        arrive = clock
        clock = max(clock, window.start) + SERVICE_S
        if kind == PICKUP:
            weight, volume = weight + load.weight_g, volume + load.volume_ml
            if weight > trip.spare_weight_g or volume > trip.spare_volume_ml:
                return None
        else:
            weight, volume = weight - load.weight_g, volume - load.volume_ml
        stops.append(Stop(kind, load.load_id, places[i + 1], arrive, clock))
    clock += dur[places[-2]][places[-1]]
    metres += dist[places[-2]][places[-1]]
    if trip.arrive_by is not None and clock > trip.arrive_by:
        return None
    extra_m = metres - dist[trip.origin][trip.destination]
    extra_s = (clock - departure) - dur[trip.origin][trip.destination]
    if trip.max_detour_m is not None and extra_m > trip.max_detour_m:
        return None
    if trip.max_detour_s is not None and extra_s > trip.max_detour_s:
        return None
    return Route(trip.trip_id, departure, tuple(stops), clock, extra_m, extra_s)
