"""Which loads ride on which trips: as many loads as possible, then the fewest
extra kilometres.

For each trip the bundles it could carry are found first (`routes.best_route`):
every single load that fits, then pairs of those, then triples (a bundle is only
tried when all its smaller bundles work: adding a stop never makes a route
easier). Then one exact model chooses: at most one bundle per trip, each load at
most once (OR-Tools CP-SAT, a set packing). Every feasible single is a column;
pairs and triples are built from the trip's `breadth` cheapest singles only (the
heuristic part: with n compatible loads a trip would have up to n³/6 triples),
and `max_bundles_per_trip` keeps the cheapest bundles when there are more.

Pairs someone declined (`excluded`) are never proposed again.

A trip that already carries loads (agreed or proposed: `carrying`) is matched
with them on board: every bundle it is offered is routed together with those
loads, so its room, windows and detour limit hold for all of them; its cost is
the extra distance over the route with its loads alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Iterable, Mapping, Sequence

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
    added: tuple[str, ...] = ()   # the loads this match adds (the route may carry others already)

    @property
    def new_load_ids(self) -> tuple[str, ...]:
        return self.added or self.route.load_ids


@dataclass(frozen=True)
class Matching:
    matches: tuple[Match, ...]
    unmatched: tuple[str, ...]           # load ids no trip takes
    optimal: bool                        # the solver proved it
    bundles_considered: int = 0

    @property
    def carried(self) -> int:
        return sum(len(m.new_load_ids) for m in self.matches)


def bundles(trip: Trip, loads: Sequence[Load], times: Matrix, *, max_bundle: int = 3,
            max_bundles: int = 300, excluded: Iterable[tuple[str, str]] = (),
            carrying: Sequence[Load] = (), breadth: int = 12) -> list[Route]:
    """The feasible bundles of `loads` the trip could carry, each with its best route
    (together with the loads it `carrying` already)."""
    banned = {load_id for trip_id, load_id in excluded if trip_id == trip.trip_id}
    on_board = {load.load_id for load in carrying}
    by_id = {load.load_id: load for load in loads if load.load_id not in banned and load.load_id not in on_board}
    carrying = list(carrying)
    feasible: dict[frozenset[str], Route] = {}
    level = []
    for load in by_id.values():
        route = best_route(trip, [*carrying, load], times)
        if route is not None:
            feasible[frozenset([load.load_id])] = route
            level.append(frozenset([load.load_id]))
    ranked_singles = [next(iter(key)) for key in sorted(level, key=lambda key: (feasible[key].extra_m, sorted(key)))]
    for size in range(2, max_bundle + 1):
        grown = []
        # Each size larger draws on fewer of the cheapest singles: a triple costs 90 orders.
        singles = sorted(ranked_singles[:max(2, breadth // (size - 1))])
        for combo in combinations(singles, size):
            key = frozenset(combo)
            if any(key - {i} not in feasible for i in combo):
                continue
            route = best_route(trip, [*carrying, *(by_id[i] for i in combo)], times)
            if route is not None:
                feasible[key] = route
                grown.append(key)
        if not grown:
            break
    ranked = sorted(feasible.values(), key=lambda r: (-len(r.load_ids), r.extra_m, r.load_ids))
    return ranked[:max_bundles]


def match(trips: Sequence[Trip], loads: Sequence[Load], times: Matrix, *, max_bundle: int = 3,
          max_bundles_per_trip: int = 300, excluded: Iterable[tuple[str, str]] = (),
          time_limit_s: float = 10.0, carrying: Mapping[str, Sequence[Load]] | None = None,
          breadth: int = 12) -> Matching:
    excluded = list(excluded)
    carrying = carrying or {}
    by_id = {load.load_id: load for load in loads}
    base_m: dict[str, int] = {}
    candidates = []
    for trip in trips:
        aboard = list(carrying.get(trip.trip_id, ()))
        if len(aboard) >= max_bundle:  # stops grow factorially: a trip takes at most `max_bundle` loads
            continue
        if aboard:
            alone = best_route(trip, aboard, times)
            if alone is None:  # what it carries no longer works out: offer it nothing more
                continue
            base_m[trip.trip_id] = alone.extra_m
        for route in bundles(trip, loads, times, max_bundle=max_bundle - len(aboard), max_bundles=max_bundles_per_trip,
                             excluded=excluded, carrying=aboard, breadth=breadth):
            candidates.append((trip, route))
    if not candidates:
        return Matching((), tuple(sorted(by_id)), True, 0)

    def added(route: Route) -> list[str]:
        return [i for i in route.load_ids if i in by_id]

    def cost(route: Route) -> int:
        return route.extra_m - base_m.get(route.trip_id, 0)

    model = cp_model.CpModel()
    chosen = [model.new_bool_var(f"b{i}") for i in range(len(candidates))]
    per_trip: dict[str, list] = {}
    per_load: dict[str, list] = {}
    for c, (trip, route) in zip(chosen, candidates):
        per_trip.setdefault(trip.trip_id, []).append(c)
        for load_id in added(route):
            per_load.setdefault(load_id, []).append(c)
    for group in (*per_trip.values(), *per_load.values()):
        if len(group) > 1:
            model.add_at_most_one(group)
    model.maximize(cp_model.LinearExpr.weighted_sum(
        chosen, [LOAD_VALUE * len(added(r)) - cost(r) for _, r in candidates]))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = 1  # the same answer for the same input
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Matching((), tuple(sorted(by_id)), False, len(candidates))

    matches = []
    for c, (_, route) in zip(chosen, candidates):
        if solver.value(c):
            new = added(route)
            matches.append(Match(route, saving([by_id[i] for i in new], cost(route), times), tuple(new)))
    carried = {i for m in matches for i in m.new_load_ids}
    matches.sort(key=lambda m: m.route.trip_id)
    return Matching(tuple(matches), tuple(sorted(set(by_id) - carried)), status == cp_model.OPTIMAL,
                    len(candidates))
