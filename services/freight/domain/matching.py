"""Which loads ride on which trips: as many loads as possible, then the fewest
extra kilometres.

For each trip the bundles it could carry are found first (`routes.best_route`):
every single load that fits, then pairs of those, then triples (a bundle is only
tried when all its smaller bundles work: adding a stop never makes a route
easier). Then one exact model chooses: at most one bundle per trip, each load at
most once (OR-Tools CP-SAT, a set packing). The bundle size bounds the work: with
`max_bundle` 3 and n compatible loads a trip has at most n + n²/2 + n³/6 bundles;
`max_bundles_per_trip` keeps the cheapest when there are more.

Pairs someone declined (`excluded`) are never proposed again.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Iterable, Sequence

from ortools.sat.python import cp_model

from .footprint import Saving, saving
from .offers import Load, Matrix, Trip
from .routes import Route, best_route

# A carried load is worth more than any detour: loads first, then kilometres.
LOAD_VALUE = 10_000_000


@dataclass(frozen=True)
class Match:
    route: Route
    saving: Saving


@dataclass(frozen=True)
class Matching:
    matches: tuple[Match, ...]
    unmatched: tuple[str, ...]           # load ids no trip takes
    optimal: bool                        # the solver proved it
    bundles_considered: int = 0

    @property
    def carried(self) -> int:
        return sum(len(m.route.load_ids) for m in self.matches)


def bundles(trip: Trip, loads: Sequence[Load], times: Matrix, *, max_bundle: int = 3,
            max_bundles: int = 300, excluded: Iterable[tuple[str, str]] = ()) -> list[Route]:
    """The feasible bundles of `loads` the trip could carry, each with its best route."""
    banned = {load_id for trip_id, load_id in excluded if trip_id == trip.trip_id}
    by_id = {load.load_id: load for load in loads if load.load_id not in banned}
    feasible: dict[frozenset[str], Route] = {}
    level = []
    for load in by_id.values():
        route = best_route(trip, [load], times)
        if route is not None:
            feasible[frozenset([load.load_id])] = route
            level.append(frozenset([load.load_id]))
    singles = sorted(i for key in level for i in key)
    for size in range(2, max_bundle + 1):
        grown = []
        for combo in combinations(singles, size):
            key = frozenset(combo)
            if any(key - {i} not in feasible for i in combo):
                continue
            route = best_route(trip, [by_id[i] for i in combo], times)
            if route is not None:
                feasible[key] = route
                grown.append(key)
        if not grown:
            break
    ranked = sorted(feasible.values(), key=lambda r: (-len(r.load_ids), r.extra_m, r.load_ids))
    return ranked[:max_bundles]


def match(trips: Sequence[Trip], loads: Sequence[Load], times: Matrix, *, max_bundle: int = 3,
          max_bundles_per_trip: int = 300, excluded: Iterable[tuple[str, str]] = (),
          time_limit_s: float = 10.0) -> Matching:
    excluded = list(excluded)
    by_id = {load.load_id: load for load in loads}
    candidates = [(trip, route) for trip in trips
                  for route in bundles(trip, loads, times, max_bundle=max_bundle,
                                       max_bundles=max_bundles_per_trip, excluded=excluded)]
    if not candidates:
        return Matching((), tuple(sorted(by_id)), True, 0)

    model = cp_model.CpModel()
    chosen = [model.new_bool_var(f"b{i}") for i in range(len(candidates))]
    for trip in trips:
        model.add_at_most_one(c for c, (t, _) in zip(chosen, candidates) if t.trip_id == trip.trip_id)
    for load_id in by_id:
        model.add_at_most_one(c for c, (_, r) in zip(chosen, candidates) if load_id in r.load_ids)
    model.maximize(sum(c * (LOAD_VALUE * len(r.load_ids) - r.extra_m) for c, (_, r) in zip(chosen, candidates)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = 1  # the same answer for the same input
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Matching((), tuple(sorted(by_id)), False, len(candidates))

    matches = []
    for c, (_, route) in zip(chosen, candidates):
        if solver.value(c):
            matches.append(Match(route, saving([by_id[i] for i in route.load_ids], route.extra_m, times)))
    carried = {i for m in matches for i in m.route.load_ids}
    matches.sort(key=lambda m: m.route.trip_id)
    return Matching(tuple(matches), tuple(sorted(set(by_id) - carried)), status == cp_model.OPTIMAL,
                    len(candidates))
