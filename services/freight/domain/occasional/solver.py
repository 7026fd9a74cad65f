"""Cheapest plan for the hub's day within a wall-clock budget.

Two searches, measured against each other on 14 of the published 100-customer
VRPOD instances (benchmarks/freight/vrpod.py, two processes, best plan kept):

- `ruin` (the default): ruin and recreate with simulated annealing, pure Python
  (`ruin.RuinRecreate`), every second the exact hand-over move (`reassign`, CP-SAT)
  on the best plan. Mean gap to the best known values 0.7 % at 5 s with one
  process, 0.06 % at 10 s with two (README: all 96 instances).
- `routing`: one OR-Tools RoutingModel deciding both questions, guided local search
  (the plan below). Mean gap 3.9 % at 5 s with two processes, up to 8 % on single
  instances, and more time hardly helped (20 s: the same). Its local search moves
  one customer at a time and scans every driver vehicle for each move: a few
  hundred improving moves in seconds, and it rarely changes the number of tours
  (one fewer tour was worth 13 % on a 25-customer instance). Splitting the time
  into rounds with the exact move in between, a model with one node per (driver,
  customer) pair, and price-guided rounds (drivers priced by the duals of the
  assignment) were tried and were no better. Kept for comparison
  (`HubStrategy(search="routing")`).

The routing model: node 0 is the hub, node j the j-th customer. Vehicles are
- the hub's own tours: as many as a plan without two mergeable tours can use,
  arc cost = distance, load dimension = demand up to the capacity;
- one vehicle per occasional driver with at least one eligible customer: it may
  visit at most one customer (its load dimension counts visits, capacity 1) and
  only an eligible one (allowed vehicles per node); its arc from the hub to
  customer i costs the compensation for i, its way back costs nothing.
Distances and compensations are scaled to integers there; a plan's cost is always
recomputed in double precision by `plan.evaluate`.

Determinism: `ruin` is driven by `random.Random(seed)`; with a time limit, how many
steps fit (and so the result) depends on the machine and its load.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from .instance import HubInstance
from .plan import HubPlan, evaluate
from .reassign import reassign
from .ruin import RuinRecreate

SCALE = 100_000  # routing model: cost units per distance unit (1e-5, the files' precision)
# An arc no plan may use (a driver going on to a second customer); the load
# dimension forbids it already, the price keeps first-solution heuristics away.
_FORBIDDEN = 10**11
_BOOKKEEPING_S = 0.05  # kept back for reading the plan
_EXACT_MOVE_S = 0.3  # CP-SAT time per exact hand-over move (it usually proves optimality sooner)


@dataclass(frozen=True)
class HubStrategy:
    search: str = "ruin"  # "ruin" or "routing"
    seed: int = 0
    # ruin: SISR's average number of customers removed per step, the share of
    # steps that remove a whole small tour, and how often the exact move runs.
    removed: int = 10
    route_removal: float = 0.05
    exact_every_s: float = 1.0
    # routing: OR-Tools enum names as in routing_enums.proto
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"

    @property
    def name(self) -> str:
        if self.search == "ruin":
            return f"ruin-recreate(seed {self.seed})"
        return f"routing({self.first_solution}+{self.metaheuristic})"


# Two searches for two cores: different seeds, and the second removes whole tours
# more often (measured: helps where one tour fewer is better, e.g. C201).
PORTFOLIO = (HubStrategy(seed=0), HubStrategy(seed=1, route_removal=0.15))


def solve(instance: HubInstance, seconds: float, strategy: HubStrategy = PORTFOLIO[0]) -> HubPlan:
    """A feasible plan found within `seconds` (wall clock, model building included)."""
    deadline = time.monotonic() + seconds
    if not instance.customers:
        return HubPlan(routes=(), handovers={})
    regular_tours(instance)  # rejects a customer no vehicle can carry
    if strategy.search == "ruin":
        search = RuinRecreate(instance, seed=strategy.seed, route_removal=strategy.route_removal)
        return search.run(
            deadline - _BOOKKEEPING_S,
            strategy.removed,
            improve=lambda plan: _reassigned(instance, plan, deadline),
            improve_every=strategy.exact_every_s,
        )
    if strategy.search == "routing":
        return _solve_routing(instance, deadline, strategy)
    raise ValueError(f"unknown search {strategy.search!r}")


def _solve_routing(instance: HubInstance, deadline: float, strategy: HubStrategy) -> HubPlan:
    model = _RoutingModel(instance)
    params = _parameters(strategy, deadline - time.monotonic() - _BOOKKEEPING_S)
    model.routing.CloseModelWithParameters(params)
    assignment = model.routing.SolveWithParameters(params)
    if assignment is None:
        # Only when no time was left for a first plan: a tour per customer is always feasible.
        return _singletons(instance)
    plan = model.read(assignment)
    moved = _reassigned(instance, plan, deadline)
    if moved is not None and evaluate(instance, moved).value < evaluate(instance, plan).value:
        return moved
    return plan


def _reassigned(instance: HubInstance, plan: HubPlan, deadline: float) -> HubPlan | None:
    """The plan after the exact hand-over move, or None when the move finds nothing better."""
    moved = reassign(
        instance,
        [list(r) for r in plan.routes],
        {k: v[0] for k, v in plan.handovers.items()},
        seconds=min(_EXACT_MOVE_S, max(0.05, (deadline - time.monotonic()) / 4)),
    )
    if moved is None:
        return None
    return HubPlan(tuple(tuple(r) for r in moved[0] if r), {k: (i,) for k, i in sorted(moved[1].items())})


def regular_tours(instance: HubInstance) -> int:
    """Enough tours for an optimal plan: with distances obeying the triangle
    inequality two tours that fit into one vehicle can be merged at no extra cost,
    so in some optimal plan at most one tour is at most half full."""
    total = sum(c.demand for c in instance.customers)
    if any(c.demand > instance.capacity for c in instance.customers):
        raise ValueError("a customer's demand exceeds the vehicle capacity")
    bound = 2 * math.ceil(total / instance.capacity) + 1
    return max(1, min(len(instance.customers), bound))


class _RoutingModel:
    def __init__(self, instance: HubInstance) -> None:
        self.instance = instance
        customers = instance.customers
        n = len(customers)
        self.node_customer = [0] + [c.id for c in customers]
        node_of = {c.id: j for j, c in enumerate(customers, start=1)}
        self.drivers = [d for d in instance.drivers if d.compensation]
        self.tours = regular_tours(instance)
        vehicles = self.tours + len(self.drivers)
        self.manager = pywrapcp.RoutingIndexManager(n + 1, vehicles, 0)
        routing = self.routing = pywrapcp.RoutingModel(self.manager)

        ids = self.node_customer
        distance = [[round(instance.distance(a, b) * SCALE) for b in ids] for a in ids]
        road = routing.RegisterTransitMatrix(distance)
        for v in range(self.tours):
            routing.SetArcCostEvaluatorOfVehicle(road, v)

        # Scheme 1 (the compensation depends on the customer only): one evaluator
        # for all drivers, so they form one vehicle class; else one per driver.
        shared = _shared_prices(self.drivers)
        if shared is not None:
            callback = routing.RegisterTransitMatrix(_driver_matrix(shared, node_of, n))
            callbacks = [callback] * len(self.drivers)
        else:
            callbacks = [routing.RegisterTransitMatrix(_driver_matrix(d.compensation, node_of, n)) for d in self.drivers]
        for k, callback in enumerate(callbacks):
            routing.SetArcCostEvaluatorOfVehicle(callback, self.tours + k)

        demand = routing.RegisterUnaryTransitVector([0] + [c.demand for c in customers])
        one = routing.RegisterUnaryTransitVector([0] + [1] * n)
        routing.AddDimensionWithVehicleTransitAndCapacity(
            [demand] * self.tours + [one] * len(self.drivers),
            0,
            [instance.capacity] * self.tours + [1] * len(self.drivers),
            True,
            "load",
        )

        eligible: dict[int, list[int]] = {j: [] for j in range(1, n + 1)}
        for k, driver in enumerate(self.drivers):
            for i in driver.compensation:
                eligible[node_of[i]].append(self.tours + k)
        regular = list(range(self.tours))
        for j in range(1, n + 1):
            routing.VehicleVar(self.manager.NodeToIndex(j)).SetValues(regular + eligible[j])

    def read(self, assignment: pywrapcp.Assignment) -> HubPlan:
        routing, manager = self.routing, self.manager
        routes: list[tuple[int, ...]] = []
        handovers: dict[int, tuple[int, ...]] = {}
        for v in range(routing.vehicles()):
            visits = []
            index = assignment.Value(routing.NextVar(routing.Start(v)))
            while not routing.IsEnd(index):
                visits.append(self.node_customer[manager.IndexToNode(index)])
                index = assignment.Value(routing.NextVar(index))
            if not visits:
                continue
            if v < self.tours:
                routes.append(tuple(visits))
            else:
                handovers[self.drivers[v - self.tours].id] = tuple(visits)
        return HubPlan(routes=tuple(routes), handovers=handovers)


def _shared_prices(drivers) -> dict[int, float] | None:
    """The compensation per customer when every driver pays the same for it, else None."""
    seen: dict[int, float] = {}
    for driver in drivers:
        for i, c in driver.compensation.items():
            if seen.setdefault(i, c) != c:
                return None
    return seen


def _driver_matrix(prices, node_of: dict[int, int], n: int) -> list[list[int]]:
    matrix = [[_FORBIDDEN] * (n + 1) for _ in range(n + 1)]
    matrix[0][0] = 0
    for j in range(1, n + 1):
        matrix[j][0] = 0  # the driver goes on to their own destination: not our cost
    for i, price in prices.items():
        matrix[0][node_of[i]] = round(price * SCALE)
    return matrix


def _parameters(strategy: HubStrategy, seconds: float) -> pywrapcp.RoutingSearchParameters:
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, strategy.first_solution)
    params.local_search_metaheuristic = getattr(routing_enums_pb2.LocalSearchMetaheuristic, strategy.metaheuristic)
    params.use_full_propagation = False
    params.log_search = False
    params.time_limit.FromMilliseconds(max(10, int(seconds * 1000)))
    return params


def _singletons(instance: HubInstance) -> HubPlan:
    return HubPlan(routes=tuple((c.id,) for c in instance.customers), handovers={})
