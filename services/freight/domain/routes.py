"""Whether one trip can carry a bundle of loads, and the best way to do it.

The trip drives from its origin to its destination and, on the way, picks up
each load and later drops it. For a few loads every order of the stops is tried
(each pick-up before its drop): with three loads that is 90 orders, cheap and
exact. A way is feasible when the room (weight, volume and, where the trip counts
them, pieces) is never exceeded at any point, every
stop is reached within its window (early means waiting), the trip arrives by
its `arrive_by`, its goods' temperatures are kept, and the detour stays within
the driver's limits in metres and seconds. Of the feasible ways the one with the
fewest extra metres wins (then the shortest time).

The orders are tried cheapest first (their metres without via points are a lower
bound: merging a via point in never shortens a drive) and the search stops once no
order left can beat the best feasible one, so the answer stays exact while most
orders are never scheduled. `fits` rejects a load before any order is built when
even driving straight to it and on to its drop breaks the room, the temperature,
the pick-up window or the detour limit (a bound, as a bundle's detour is never
below any of its loads' own).

The departure is chosen within the trip's window: as early as the driver wants,
but not so early that they would only wait at a farm gate for the goods.

A trip with via points (places it passes anyway, in order) drives through them:
for each order of the loads' stops the via points are merged in where they cost
the fewest metres (keeping both orders; a small dynamic programme), and the extra
distance is measured against origin, via points, destination. The merge looks at
metres only, so a route whose only feasible merge is a longer one is missed: the
answer is always a feasible route, but with via points not always the best.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import permutations
from typing import Sequence

from .offers import Load, Matrix, Trip

SERVICE_S = 300  # loading or unloading at a stop
PICKUP, DROP, VIA = "PICKUP", "DROP", "VIA"


@dataclass(frozen=True)
class Stop:
    kind: str       # PICKUP, DROP, or VIA (a place the trip passes anyway; load_id "")
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

    @cached_property
    def load_ids(self) -> tuple[str, ...]:
        return tuple(s.load_id for s in self.stops if s.kind == PICKUP)


@lru_cache(maxsize=None)
def _patterns(n: int) -> tuple[tuple[tuple[bool, int], ...], ...]:
    """Every order of n loads' stops, each pick-up (True) before its drop, as (pick-up?, load index)."""
    stops = [(True, i) for i in range(n)] + [(False, i) for i in range(n)]
    found = []
    for order in permutations(stops):
        seen: set[int] = set()
        if all(seen.add(i) is None if up else i in seen for up, i in order):
            found.append(order)
    return tuple(found)


def orders(loads: Sequence[Load]) -> list[list[tuple[str, Load]]]:
    """Every order of the stops in which each load is picked up before it is dropped."""
    return [[(PICKUP if up else DROP, loads[i]) for up, i in pattern] for pattern in _patterns(len(loads))]


def _detour_bound(trip: Trip, load: Load, matrix: Sequence[Sequence[int]]) -> int:
    """The least any route carrying `load` on `trip` adds in `matrix`'s unit (metres or
    seconds): straight from its path to the pick-up, to the drop, and back onto it."""
    path = [trip.origin, *trip.via, trip.destination]
    legs = list(zip(path, path[1:]))
    if len(legs) == 1:
        a, b = legs[0]
        return matrix[a][load.origin] + matrix[load.origin][load.destination] + matrix[load.destination][b] - matrix[a][b]
    # With via points pick-up and drop may lie on different legs: each costs at least its own cheapest insertion.
    return max(min(matrix[a][place] + matrix[place][b] - matrix[a][b] for a, b in legs)
               for place in (load.origin, load.destination))


def fits(trip: Trip, load: Load, times: Matrix) -> bool:
    """The quick tests one load must pass before any route is tried."""
    if not trip.keeps(load.temperature):
        return False
    if load.weight_g > trip.spare_weight_g or load.volume_ml > trip.spare_volume_ml:
        return False
    if trip.spare_parcels is not None and load.parcels > trip.spare_parcels:
        return False
    # Even driving straight there it must be possible to pick up before the window closes.
    earliest = trip.departure.start + times.durations_s[trip.origin][load.origin]
    if earliest > load.pickup.end or load.pickup.start > load.delivery.end:
        return False
    if trip.max_detour_m is not None and _detour_bound(trip, load, times.distances_m) > trip.max_detour_m:
        return False
    # Stopping twice takes its service time on top of the driving.
    return trip.max_detour_s is None or _detour_bound(trip, load, times.durations_s) + 2 * SERVICE_S <= trip.max_detour_s


def best_route(trip: Trip, loads: Sequence[Load], times: Matrix) -> Route | None:
    """The feasible way of carrying all `loads` on `trip` with the fewest extra metres, or None."""
    if any(not fits(trip, load, times) for load in loads):
        return None
    dist = times.distances_m
    direct_m = _direct(trip, times)[0] if trip.via else dist[trip.origin][trip.destination]
    ranked = []
    for pattern in _patterns(len(loads)):
        path = [trip.origin]
        for up, i in pattern:
            path.append(loads[i].origin if up else loads[i].destination)
        path.append(trip.destination)
        if trip.via:  # the exact metres with the via points merged in
            bound = _merged_metres(path, trip.via, dist) - direct_m
        else:
            bound = sum(dist[a][b] for a, b in zip(path, path[1:])) - direct_m
        if trip.max_detour_m is None or bound <= trip.max_detour_m:
            ranked.append((bound, pattern))
    ranked.sort(key=lambda entry: entry[0])
    best: Route | None = None
    for bound, pattern in ranked:
        if best is not None and bound > best.extra_m:
            break  # every order left drives further than the best found
        order = [(PICKUP if up else DROP, loads[i]) for up, i in pattern]
        route = _drive(trip, _with_vias(trip, order, times) if trip.via else order, times)
        if route is not None and (best is None or (route.extra_m, route.extra_s) < (best.extra_m, best.extra_s)):
            best = route
    return best


def _place(kind: str, load) -> int:
    if kind == VIA:
        return load  # a via entry carries its place index
    return load.origin if kind == PICKUP else load.destination


def _merged_metres(path: list[int], vias: Sequence[int], dist: Sequence[Sequence[int]]) -> int:
    """The metres of `path` (origin, stops, destination) with `vias` merged in, in their
    order, where they cost least: `_with_vias`'s programme without the way back."""
    stops, k = path[1:-1], len(vias)
    inf = float("inf")
    # row[j] = (metres ending at the last stop placed, metres ending at via j-1), i stops placed
    row = [(inf, inf)] * (k + 1)
    row[0] = (0, inf)
    at_stop = [path[0]]  # where "ending at a stop" stands for each i (the origin before any)
    for j in range(1, k + 1):
        before = min(row[j - 1][0] + dist[path[0]][vias[j - 1]], row[j - 1][1] + dist[vias[j - 2]][vias[j - 1]]
                     if j > 1 else inf)
        row[j] = (inf, before)
    for i, place in enumerate(stops):
        here = at_stop[-1]
        new = []
        for j in range(k + 1):
            came = min(row[j][0] + dist[here][place], row[j][1] + dist[vias[j - 1]][place] if j else inf)
            via = inf
            if j:
                via = min(new[j - 1][0] + dist[place][vias[j - 1]],
                          new[j - 1][1] + dist[vias[j - 2]][vias[j - 1]] if j > 1 else inf)
            new.append((came, via))
        row = new
        at_stop.append(place)
    end = path[-1]
    last_stop, last_via = row[k]
    return int(min(last_stop + dist[at_stop[-1]][end], last_via + dist[vias[k - 1]][end] if k else inf))


def _with_vias(trip: Trip, order: list[tuple[str, Load]], times: Matrix) -> list[tuple[str, object]]:
    """`order` with the trip's via points merged in where they cost the fewest metres."""
    dist = times.distances_m
    stops = [_place(kind, load) for kind, load in order]
    vias = list(trip.via)
    m, k = len(stops), len(vias)
    inf = float("inf")
    # best[i][j][last]: metres with i load stops and j vias placed, ending at a load stop (0) or a via (1)
    best = [[[inf, inf] for _ in range(k + 1)] for _ in range(m + 1)]
    back: dict[tuple[int, int, int], tuple[int, int, int] | None] = {}

    def at(i: int, j: int, last: int) -> int:
        if i == 0 and j == 0:
            return trip.origin
        return stops[i - 1] if last == 0 else vias[j - 1]

    best[0][0][0] = 0
    back[(0, 0, 0)] = None
    for i in range(m + 1):
        for j in range(k + 1):
            for last in (0, 1):
                here = best[i][j][last]
                if here == inf:
                    continue
                place = at(i, j, last)
                if i < m and here + dist[place][stops[i]] < best[i + 1][j][0]:
                    best[i + 1][j][0] = here + dist[place][stops[i]]
                    back[(i + 1, j, 0)] = (i, j, last)
                if j < k and here + dist[place][vias[j]] < best[i][j + 1][1]:
                    best[i][j + 1][1] = here + dist[place][vias[j]]
                    back[(i, j + 1, 1)] = (i, j, last)
    ends = [(best[m][k][last] + dist[at(m, k, last)][trip.destination], last) for last in (0, 1)
            if best[m][k][last] < inf]
    state: tuple[int, int, int] | None = (m, k, min(ends)[1])
    merged: list[tuple[str, object]] = []
    while state is not None and state != (0, 0, 0):
        i, j, last = state
        merged.append(order[i - 1] if last == 0 else (VIA, vias[j - 1]))
        state = back[state]
    return merged[::-1]


def _direct(trip: Trip, times: Matrix) -> tuple[int, int]:
    """Metres and seconds of the trip alone: origin, via points, destination."""
    path = [trip.origin, *trip.via, trip.destination]
    return (sum(times.distances_m[a][b] for a, b in zip(path, path[1:])),
            sum(times.durations_s[a][b] for a, b in zip(path, path[1:])))


def _drive(trip: Trip, order: list[tuple[str, Load]], times: Matrix) -> Route | None:
    dur = times.durations_s
    places = [trip.origin] + [_place(kind, load) for kind, load in order]
    places.append(trip.destination)
    # Leave when no stop makes the driver wait, but never so late that a window closes.
    latest, wait_free = trip.departure.end, trip.departure.start
    reach = 0
    for i, (kind, load) in enumerate(order):
        reach += dur[places[i]][places[i + 1]]
        if kind == VIA:
            continue
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
    clock, weight, volume, metres, pieces = departure, 0, 0, 0, 0
    stops = []
    for i, (kind, load) in enumerate(order):
        clock += dur[places[i]][places[i + 1]]
        metres += dist[places[i]][places[i + 1]]
        if kind == VIA:  # passed on the way: no window, no work
            stops.append(Stop(VIA, "", places[i + 1], clock, clock))
            continue
        window = load.pickup if kind == PICKUP else load.delivery
        if clock > window.end:
            return None
        arrive = clock
        clock = max(clock, window.start) + SERVICE_S
        if kind == PICKUP:
            weight, volume, pieces = weight + load.weight_g, volume + load.volume_ml, pieces + load.parcels
            if weight > trip.spare_weight_g or volume > trip.spare_volume_ml:
                return None
            if trip.spare_parcels is not None and pieces > trip.spare_parcels:
                return None
        else:
            weight, volume, pieces = weight - load.weight_g, volume - load.volume_ml, pieces - load.parcels
        stops.append(Stop(kind, load.load_id, places[i + 1], arrive, clock))
    clock += dur[places[-2]][places[-1]]
    metres += dist[places[-2]][places[-1]]
    if trip.arrive_by is not None and clock > trip.arrive_by:
        return None
    direct_m, direct_s = _direct(trip, times) if trip.via else (dist[trip.origin][trip.destination],
                                                                dur[trip.origin][trip.destination])
    extra_m = metres - direct_m
    extra_s = (clock - departure) - direct_s
    if trip.max_detour_m is not None and extra_m > trip.max_detour_m:
        return None
    if trip.max_detour_s is not None and extra_s > trip.max_detour_s:
        return None
    return Route(trip.trip_id, departure, tuple(stops), clock, extra_m, extra_s)
