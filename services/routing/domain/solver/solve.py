"""The OR-Tools model: one RoutingModel for the whole problem.

Nodes are the depots (every distinct start or end location) followed by one
node per job stop, then, for a vehicle that may make several trips, its
optional reload visits at its start depot. Dimensions: time (travel plus
service, windows, shifts, maximum duration, driver breaks), driving (the
driver's daily limit) and one load dimension per measure (kg, litres). Costs
are integers in COST_UNITS_PER_EURO: cost per km on the arcs, cost per hour as
span cost (so breaks and reloads are paid time), a fixed cost per vehicle used,
and per job the penalty of leaving it out (huge for required jobs, so they are
only left out if no plan has them).
"""

from __future__ import annotations

import asyncio
import math
import time
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from typing import Iterable, Sequence

from ortools.constraint_solver import pywrapcp, routing_enums_pb2, routing_ils_pb2
from ortools.util.optional_boolean_pb2 import BOOL_FALSE

from .model import (
    DroppedJob,
    DropReason,
    Job,
    JobKind,
    Problem,
    Solution,
    SolveStatus,
    StopKind,
    StopRef,
    Tour,
)
from . import break_reserve, fewer_vans
from .precheck import check_eligibility
from .schedule import SolverTimes, Visit, build_tour

COST_UNITS_PER_EURO = 100_000  # a thousandth of a cent: cost per metre stays integral
REQUIRED_PENALTY_EUR = 1_000_000.0  # above any tour cost: a required job is only left out if it cannot fit
QUANTITY_UNITS = 1000  # grams and millilitres on the integer dimensions
_BOOKKEEPING_S = 0.05  # budget kept back for extracting the tours


@dataclass(frozen=True)
class SearchStrategy:
    """How OR-Tools searches. Enum names as in routing_enums.proto.

    With iterated_local_search, every step removes strings of nearby stops
    (SISR ruin), reinserts them cheapest-first and improves the result with the
    local search named by `metaheuristic` (normally GREEDY_DESCENT)."""

    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    metaheuristic: str = "GREEDY_DESCENT"
    iterated_local_search: bool = True
    guided_local_search_lambda: float = 0.1
    # SISR's ruin: this many visits removed on average, in strings of at most as
    # many; None: by the problem (`ruin_size`).
    ruin_removed_visits: int | None = None
    ruin_max_sequence: int | None = None
    improve_after_ruin: bool = True
    # Where vans cost per day: iterated local search without the local search
    # after each ruin. About four times the steps in the same time, which empty
    # vans more often than fewer, more thorough ones do; the kilometres of a
    # given fleet come out a little longer (Li & Lim and Solomon with a cost per
    # van, see benchmarks/routing/).
    fleet_first: bool = False
    # Driver breaks: plan on shifts that keep time for them and place them by the
    # driving time (break_reserve.py), the break model only where they do not fit;
    # False: the optimiser's break model from the start.
    reserve_breaks: bool = True
    # Where vans cost per day: plan a share of the budget with the whole fleet,
    # then the rest with one van less (fewer_vans.py), and keep the better plan.
    fewer_vans: bool = False

    @property
    def name(self) -> str:
        if not self.iterated_local_search:
            name = f"{self.first_solution}+{self.metaheuristic}"
        else:
            sizes = (f"{self.ruin_removed_visits or 'by size'}/{self.ruin_max_sequence or 'by size'}"
                     if self.ruin_removed_visits or self.ruin_max_sequence else "by size")
            name = f"{self.first_solution}+ILS(sisr {sizes})"
        if self.fleet_first:
            name += "+fleet first"
        return name + "+fewer vans" if self.fewer_vans else name


# Cheapest insertion never fails to give a first plan: it only makes insertions
# the constraints accept. Path cheapest arc is a depth-first search and can run
# out of time on tight problems, leaving everything out.
DEFAULT_STRATEGY = SearchStrategy(first_solution="PARALLEL_CHEAPEST_INSERTION")
# Iterated local search is sensitive to where it starts: two runs from
# different first solutions side by side in two processes, keeping the better
# plan, beat either one alone for the same wall-clock time (measured on the
# Solomon instances, see benchmarks/routing/). The safe strategy comes first.
# Where vans cost per day, the second searches fleet first and tries to plan
# with one van less; the first keeps the thorough search, which served more of
# a busy Höxter day more reliably (measured on Li & Lim with a cost per van and
# on generated Höxter days, see benchmarks/routing/).
PORTFOLIO = (
    DEFAULT_STRATEGY,
    SearchStrategy(first_solution="PATH_CHEAPEST_ARC", fleet_first=True, fewer_vans=True),
)

_GLOBAL_INSERTIONS = ("PARALLEL_CHEAPEST_INSERTION", "SEQUENTIAL_CHEAPEST_INSERTION")


def with_breaks(strategy: SearchStrategy) -> SearchStrategy:
    """A search that keeps its plans under break constraints. With OR-Tools 9.15,
    iterated local search returned no plan at all on generated instances with
    breaks (plain local search found one), and the global cheapest insertions
    found no first plan; local cheapest insertion and guided local search do."""
    first = "LOCAL_CHEAPEST_INSERTION" if strategy.first_solution in _GLOBAL_INSERTIONS else strategy.first_solution
    return replace(strategy, first_solution=first, metaheuristic="GUIDED_LOCAL_SEARCH", iterated_local_search=False)


# Operators that cost more time than they return within a budget of seconds
# (measured: with them, each ILS step's local search is about three times slower).
_SLOW_OPERATORS = (
    "use_global_cheapest_insertion_path_lns",
    "use_local_cheapest_insertion_path_lns",
    "use_relocate_path_global_cheapest_insertion_insert_unperformed",
    "use_global_cheapest_insertion_visit_types_lns",
    "use_local_cheapest_insertion_visit_types_lns",
    "use_shortest_path_swap_active",
    "use_shortest_path_two_opt",
    "use_swap_active_chain",
    "use_relocate_expensive_chain",
    "use_lin_kernighan",
    "use_make_chain_inactive",
)


def solve(problem: Problem, strategy: SearchStrategy = DEFAULT_STRATEGY) -> Solution:
    """Plan tours within problem.time_budget_s (wall clock, model building included)."""
    started = time.monotonic()
    if any(v.breaks is not None for v in problem.vehicles):
        if strategy.reserve_breaks:
            return _solve_with_breaks(problem, strategy, started)
        return _solve(problem, with_breaks(strategy), started)
    if strategy.fewer_vans and fewer_vans.applies(problem):
        return _solve_with_fewer_vans(problem, strategy, started)
    return _solve(problem, strategy, started)


# The share of the budget for planning on reserved shifts; the rest stays for the
# break model when a tour's breaks do not fit (rare: see break_reserve.py).
_RESERVE_SHARE = 0.85
_MIN_BREAK_MODEL_S = 1.0


def _solve_with_breaks(problem: Problem, strategy: SearchStrategy, started: float) -> Solution:
    """Plan on shifts that keep time for the breaks and place the breaks by the
    driving time (break_reserve.py); if a tour's breaks do not fit, plan again with
    the optimiser's break model in the time left, and keep the better of that plan and
    the first without the tours that do not fit. (Planning with the break model
    whenever the reserve left a job out, and keeping the better plan, served fewer
    on busy days: benchmarks/routing/breaks.py.)"""
    first = _solve(break_reserve.reserved(problem, problem.time_budget_s * _RESERVE_SHARE), strategy, started)
    timed = break_reserve.rested_each(problem, first) if first.status is SolveStatus.SOLVED else None
    if timed is not None and None not in timed:
        return _solution(problem, SolveStatus.SOLVED, _fitting(timed), first.dropped, started, strategy,
                         note="+breaks by schedule")
    left = max(_MIN_BREAK_MODEL_S, problem.time_budget_s - (time.monotonic() - started))
    modelled = _solve(replace(problem, time_budget_s=left), with_breaks(strategy), time.monotonic())
    without = None if timed is None else _without_unrested_tours(problem, first, timed, started, strategy)
    return modelled if without is None else best_of(problem, (modelled, without))


def _fitting(timed: list[Tour | None]) -> tuple[Tour, ...]:
    return tuple(t for t in timed if t is not None)


def _without_unrested_tours(problem: Problem, first: Solution, timed: list[Tour | None], started: float,
                            strategy: SearchStrategy) -> Solution | None:
    """The reserved plan with the tours whose breaks fit; the others' jobs left out. The
    break model has only the rest of the budget and, on a busy machine, found no first
    plan in it (a whole Höxter day unplanned): this keeps what the reserve planned well.
    None where a tour that does not fit carries fixed stops (goods already on a van)."""
    unfit = [tour for tour, rested in zip(first.tours, timed) if rested is None]
    left_out = {s.job_id for tour in unfit for s in tour.stops if s.job_id}
    if left_out & problem.fixed_job_ids:
        return None
    dropped = first.dropped + tuple(
        DroppedJob(job_id, DropReason.LEFT_OUT_BY_OPTIMISER, "left out: no time for the driver's breaks on its tour")
        for job_id in sorted(left_out))
    return _solution(problem, SolveStatus.SOLVED, _fitting(timed), dropped, started, strategy,
                     note="+breaks by schedule, tours without room for breaks left out")


# The share of the budget for the plan with the whole fleet; the rest is for the
# search with one van less, which starts afresh (OR-Tools' iterated local search
# cannot start from a given plan) and needs the longer part.
_WHOLE_FLEET_SHARE = 0.3
_MIN_SECOND_SEARCH_S = 0.5


def _solve_with_fewer_vans(problem: Problem, strategy: SearchStrategy, started: float) -> Solution:
    """Plan with the whole fleet, then search the rest of the budget with the
    plan's vans but one (fewer_vans.py); the better plan is kept, so a day that
    needs every van loses only the time. Where no van can go, the rest of the
    budget is a second search with the whole fleet."""
    first = _solve(replace(problem, time_budget_s=problem.time_budget_s * _WHOLE_FLEET_SHARE), strategy, started)
    left = problem.time_budget_s - (time.monotonic() - started)
    if left < _MIN_SECOND_SEARCH_S:
        return first
    smaller = fewer_vans.with_one_van_less(problem, first, left) if fewer_vans.worth_trying(problem, first) else None
    # Cheapest insertion: a first plan that may leave jobs out (with a van less it
    # will at first), never none at all, also where the first search found none.
    safe = replace(strategy, first_solution=DEFAULT_STRATEGY.first_solution)
    second = _solve(smaller or replace(problem, time_budget_s=left), safe, time.monotonic())
    best = best_of(problem, (first, second))
    return replace(best, solve_seconds=time.monotonic() - started, strategy=strategy.name)


def _solve(problem: Problem, strategy: SearchStrategy, started: float) -> Solution:
    deadline = started + problem.time_budget_s
    fixed_jobs = problem.fixed_job_ids
    eligibility = check_eligibility(problem, exempt=fixed_jobs)
    jobs = [j for j in problem.jobs if j.id in eligibility.allowed]
    if not jobs:
        return _solution(problem, SolveStatus.SOLVED, (), eligibility.dropped, started, strategy)
    model = _RoutingModel(problem, jobs, eligibility.allowed, fixed_jobs)
    params = model.search_parameters(strategy, deadline - time.monotonic() - _BOOKKEEPING_S)
    assignment = model.solve(params)
    if assignment is None:
        dropped = eligibility.dropped + tuple(
            DroppedJob(j.id, DropReason.LEFT_OUT_BY_OPTIMISER, "no feasible plan found within the time budget")
            for j in jobs
        )
        return _solution(problem, SolveStatus.NO_SOLUTION, (), dropped, started, strategy)
    tours, left_out = model.read(assignment)
    dropped = eligibility.dropped + tuple(
        DroppedJob(
            job.id,
            DropReason.LEFT_OUT_BY_OPTIMISER,
            "left out by optimiser: no feasible insertion found"
            if job.required
            else "left out by optimiser: penalty cheaper than serving",
        )
        for job in left_out
    )
    return _solution(problem, SolveStatus.SOLVED, tours, dropped, started, strategy)


async def solve_in_pool(
    executor: Executor, problem: Problem, strategies: Sequence[SearchStrategy] = (DEFAULT_STRATEGY,)
) -> Solution:
    """Solve off the event loop in a process pool; with several strategies they
    run side by side (one process each) and the best plan wins."""
    loop = asyncio.get_running_loop()
    solutions = await asyncio.gather(*(loop.run_in_executor(executor, solve, problem, s) for s in strategies))
    return best_of(problem, solutions)


def best_of(problem: Problem, solutions: Iterable[Solution]) -> Solution:
    """Fewest required jobs left out first, then the lowest objective."""

    def rank(s: Solution) -> tuple[int, int, float]:
        required_dropped = sum(1 for d in s.dropped if problem.job_by_id[d.job_id].required)
        return (s.status is not SolveStatus.SOLVED, required_dropped, s.objective)

    return min(solutions, key=rank)


def _solution(
    problem: Problem,
    status: SolveStatus,
    tours: tuple[Tour, ...],
    dropped: tuple[DroppedJob, ...],
    started: float,
    strategy: SearchStrategy,
    note: str = "",
) -> Solution:
    distance = sum(t.distance_m for t in tours)
    cost = sum(t.cost for t in tours)
    penalties = sum(problem.job_by_id[d.job_id].penalty or 0.0 for d in dropped)
    return Solution(
        status=status,
        tours=tours,
        dropped=dropped,
        distance_m=distance,
        empty_distance_m=sum(t.empty_distance_m for t in tours),
        load_factor=sum(t.load_factor * t.distance_m for t in tours) / distance if distance else 0.0,
        cost=cost,
        objective=cost + penalties,
        solve_seconds=time.monotonic() - started,
        strategy=strategy.name + note,
    )


def _cost_units(euros: float) -> int:
    return int(round(euros * COST_UNITS_PER_EURO))


def _quantity_units(amount: float) -> int:
    # Round demands up and capacities down: integer-feasible stays feasible in kg and litres.
    return int(math.ceil(amount * QUANTITY_UNITS - 1e-6))


def _capacity_units(amount: float, ceiling: int) -> int:
    if math.isinf(amount):
        return ceiling
    return min(ceiling, int(math.floor(amount * QUANTITY_UNITS + 1e-6)))


def ruin_size(jobs: Sequence[Job]) -> int:
    """SISR's average number of visits removed per ruin, and its longest string: 10
    (as its authors use) up to 50 stops, 15 from 100 stops, in proportion between,
    where every job is a delivery or a pickup at the depot. Measured against 10 at
    100 stops (all Solomon instances: 0.13 % shorter, shorter on 22, longer on 10)
    and at 200 (all 36 Homberger 200 instances: 0.56 % shorter, shorter on 26);
    benchmarks/routing/README.md. Between 50 and 100 it is not measured.
    Pickup-and-delivery keeps 10: larger ruins were not measured there."""
    if any(job.kind is JobKind.SHIPMENT for job in jobs):
        return 10
    return round(10 + 5 * min(1.0, max(0.0, (len(jobs) - 50) / 50)))


def _ruin_and_recreate(params: pywrapcp.RoutingSearchParameters, strategy: SearchStrategy, vans_cost: bool,
                       jobs: Sequence[Job]) -> None:
    """Iterated local search: remove strings of nearby stops (SISR, Christiaens &
    Vanden Berghe 2020), reinsert them cheapest first, accept by simulated annealing."""
    ils = params.iterated_local_search_parameters
    ruin = ils.ruin_recreate_parameters
    del ruin.ruin_strategies[:]
    sisr = ruin.ruin_strategies.add().sisr
    sized = ruin_size(jobs)
    sisr.max_removed_sequence_size = strategy.ruin_max_sequence or sized
    sisr.avg_num_removed_visits = strategy.ruin_removed_visits or sized
    sisr.bypass_factor = 0.01
    ils.improve_perturbed_solution = strategy.improve_after_ruin and not (strategy.fleet_first and vans_cost)
    annealing = ils.reference_solution_acceptance_strategy.simulated_annealing
    annealing.cooling_schedule_strategy = routing_ils_pb2.CoolingScheduleStrategy.EXPONENTIAL
    annealing.automatic_temperatures = True


class _RoutingModel:
    def __init__(
        self,
        problem: Problem,
        jobs: Sequence[Job],
        allowed: dict[str, tuple[int, ...]],
        fixed_jobs: frozenset[str],
    ) -> None:
        self.problem = problem
        self.jobs = jobs
        vehicles = problem.vehicles
        depots = sorted({loc for v in vehicles for loc in (v.start_location_id, v.end_location_id)})
        depot_node = {loc: i for i, loc in enumerate(depots)}
        self.node_location = [problem.location_index[loc] for loc in depots]
        self.node_service = [0] * len(depots)
        self.node_visit: list[tuple[Job, StopKind] | None] = [None] * len(depots)
        self.stop_node: dict[StopRef, int] = {}
        for job in jobs:
            for kind, stop in job.stops():
                self.stop_node[StopRef(job.id, kind)] = len(self.node_location)
                self.node_location.append(problem.location_index[stop.location_id])
                self.node_service.append(stop.service_s)
                self.node_visit.append((job, kind))
        self.reload_vehicle: dict[int, int] = {}  # reload node -> its vehicle
        for v, vehicle in enumerate(vehicles):
            for _ in range(vehicle.max_trips - 1):
                self.reload_vehicle[len(self.node_location)] = v
                self.node_location.append(problem.location_index[vehicle.start_location_id])
                self.node_service.append(vehicle.reload_s)
                self.node_visit.append(None)
        starts = [depot_node[v.start_location_id] for v in vehicles]
        ends = [depot_node[v.end_location_id] for v in vehicles]
        self.manager = pywrapcp.RoutingIndexManager(len(self.node_location), len(vehicles), starts, ends)
        self.routing = pywrapcp.RoutingModel(self.manager)
        self._add_costs()
        self._add_time()
        self._add_driving()
        for measure in ("weight_kg", "volume_l"):
            self._add_load(measure)
        self._add_jobs(allowed, fixed_jobs)
        self._add_reloads()

    def index(self, ref: StopRef) -> int:
        return self.manager.NodeToIndex(self.stop_node[ref])

    # --- costs ---------------------------------------------------------------

    def _add_costs(self) -> None:
        dm = self.problem.matrix.distances_m
        loc = self.node_location
        self.distance = [[dm[a][b] for b in loc] for a in loc]
        callbacks: dict[int, int] = {}
        for v, vehicle in enumerate(self.problem.vehicles):
            # At least one unit per metre: a tie-breaker that keeps guided local
            # search working (it penalises arcs) when only time is priced.
            per_metre = max(1, _cost_units(vehicle.cost_per_km) // 1000)
            if per_metre not in callbacks:
                scaled = [[d * per_metre for d in row] for row in self.distance]
                callbacks[per_metre] = self.routing.RegisterTransitMatrix(scaled)
            self.routing.SetArcCostEvaluatorOfVehicle(callbacks[per_metre], v)
            if vehicle.fixed_cost:
                self.routing.SetFixedCostOfVehicle(_cost_units(vehicle.fixed_cost), v)

    # --- time ----------------------------------------------------------------

    def _add_time(self) -> None:
        problem = self.problem
        tm = problem.matrix.durations_s
        loc, service = self.node_location, self.node_service
        # Leaving a node takes its service time plus the drive to the next one.
        transit = [[service[i] + tm[a][b] for b in loc] for i, a in enumerate(loc)]
        horizon = max(
            [v.shift.end_s for v in problem.vehicles]
            + [w.end_s for j in self.jobs for _, s in j.stops() for w in s.time_windows]
        )
        callback = self.routing.RegisterTransitMatrix(transit)
        self.routing.AddDimension(callback, horizon, horizon, False, "time")
        self.time = self.routing.GetDimensionOrDie("time")
        for v, vehicle in enumerate(problem.vehicles):
            for idx in (self.routing.Start(v), self.routing.End(v)):
                self.time.CumulVar(idx).SetRange(vehicle.shift.start_s, vehicle.shift.end_s)
            if vehicle.max_duration_s is not None:
                self.time.SetSpanUpperBoundForVehicle(vehicle.max_duration_s, v)
            per_second = _cost_units(vehicle.cost_per_hour) // 3600
            if per_second:
                self.time.SetSpanCostCoefficientForVehicle(per_second, v)
        self._add_breaks()
        for node, visit in enumerate(self.node_visit):
            if visit is None:
                continue
            job, kind = visit
            stop = job.pickup if kind is StopKind.PICKUP else job.delivery
            assert stop is not None
            if not stop.time_windows:
                continue  # any time: the shift bounds it
            cumul = self.time.CumulVar(self.manager.NodeToIndex(node))
            cumul.SetRange(stop.time_windows[0].start_s, stop.time_windows[-1].end_s)
            for earlier, later in zip(stop.time_windows, stop.time_windows[1:]):
                if later.start_s > earlier.end_s + 1:
                    cumul.RemoveInterval(earlier.end_s + 1, later.start_s - 1)

    def _add_driving(self) -> None:
        """The driver's daily driving limit (Regulation (EC) 561/2006, art. 6(1)): the
        drives of a tour, without its stops, waits and breaks, add up to at most it."""
        limits = [v.driving_limit_s for v in self.problem.vehicles]
        if not any(limits):
            return
        tm, loc = self.problem.matrix.durations_s, self.node_location
        callback = self.routing.RegisterTransitMatrix([[tm[a][b] for b in loc] for a in loc])
        unlimited = sum(max(row) for row in tm) + 1  # more than any tour can drive
        self.routing.AddDimensionWithVehicleCapacity(callback, 0, [limit or unlimited for limit in limits], True,
                                                     "driving")

    def _add_breaks(self) -> None:
        """Optional breaks (45 min by default) on the time dimension, as many as
        the shift could need; OR-Tools then keeps at most the rule's driving time
        (4.5 h) between two breaks, and from leaving and up to returning. That
        counts elapsed working time (driving, service, waiting), not only driving:
        stricter than the regulation, still legal. The driver's schedule is made
        in `schedule`, which counts driving time only and so needs no more breaks
        than this model has room for."""
        routing, solver = self.routing, self.routing.solver()
        self.breaks: dict[int, list[pywrapcp.IntervalVar]] = {}
        size = routing.Size() + routing.vehicles()
        visit = [self.node_service[self.manager.IndexToNode(i)] for i in range(size)]  # a break never splits a service
        for v, vehicle in enumerate(self.problem.vehicles):
            rule = vehicle.breaks
            span = vehicle.shift.end_s - vehicle.shift.start_s
            if vehicle.max_duration_s is not None:
                span = min(span, vehicle.max_duration_s)
            if rule is None or span <= rule.max_driving_s:
                continue
            count = math.ceil((span - rule.max_driving_s) / (rule.max_driving_s + rule.break_s))
            breaks = [
                solver.FixedDurationIntervalVar(vehicle.shift.start_s, vehicle.shift.end_s - rule.break_s,
                                                rule.break_s, True, f"break {vehicle.id} {k}")
                for k in range(count)
            ]
            for earlier, later in zip(breaks, breaks[1:]):
                solver.Add(later.StartsAfterEnd(earlier))  # no two orders of the same breaks
            self.breaks[v] = breaks
            self.time.SetBreakIntervalsOfVehicle(breaks, v, visit)
            self.time.SetBreakDistanceDurationOfVehicle(rule.max_driving_s, rule.break_s, v)

    # --- loads ---------------------------------------------------------------

    def _add_load(self, measure: str) -> None:
        """Single deliveries are loaded at the start depot, single pickups unloaded
        at the end depot, shipments ride between their two stops. With only one
        of these kinds the load is monotone and a plain running sum suffices;
        mixed, the start load must equal the deliveries still to come."""
        jobs = [j for j in self.jobs if getattr(j, measure) > 0]
        if not jobs:
            return
        if self.reload_vehicle:
            self._add_load_with_reloads(measure, jobs)
            return
        kinds = {j.kind for j in jobs}
        amount = {j.id: _quantity_units(getattr(j, measure)) for j in jobs}
        ceiling = sum(amount.values()) * 2
        capacities = [
            _capacity_units(getattr(v, "capacity_kg" if measure == "weight_kg" else "capacity_l"), ceiling)
            for v in self.problem.vehicles
        ]
        monotone = kinds in ({JobKind.DELIVERY}, {JobKind.PICKUP})
        demand = [0] * len(self.node_location)
        for node, visit in enumerate(self.node_visit):
            if visit is None or visit[0].id not in amount:
                continue
            job, kind = visit
            sign = 1 if monotone or kind is StopKind.PICKUP else -1
            demand[node] = sign * amount[job.id]
        name = f"load_{measure}"
        callback = self.routing.RegisterUnaryTransitVector(demand)
        starts_empty = monotone or JobKind.DELIVERY not in kinds
        self.routing.AddDimensionWithVehicleCapacity(callback, 0, capacities, starts_empty, name)
        if starts_empty:
            return
        load = self.routing.GetDimensionOrDie(name)
        # What single deliveries still have to drop: ends at zero, so it starts at their sum.
        to_deliver = [
            -amount[v[0].id] if v is not None and v[0].id in amount and v[0].kind is JobKind.DELIVERY else 0
            for v in self.node_visit
        ]
        callback = self.routing.RegisterUnaryTransitVector(to_deliver)
        self.routing.AddDimensionWithVehicleCapacity(callback, 0, capacities, False, f"{name}_to_deliver")
        remaining = self.routing.GetDimensionOrDie(f"{name}_to_deliver")
        solver = self.routing.solver()
        for v in range(len(self.problem.vehicles)):
            remaining.CumulVar(self.routing.End(v)).SetValue(0)
            start = self.routing.Start(v)
            solver.Add(load.CumulVar(start) == remaining.CumulVar(start))

    def _add_load_with_reloads(self, measure: str, jobs: Sequence[Job]) -> None:
        """On board = shipments riding (S) + single deliveries still to drop on
        this trip (R) + single pickups collected on this trip. The load dimension
        counts all of it and may jump at a reload (its slack, free only there) to
        anything from S plus the next trip's deliveries up to the capacity: a
        reload unloads the trip's pickups and loads the next trip's deliveries,
        while shipments stay on board. R counts down to zero at every reload and
        at the end, so its value after a reload is that trip's deliveries."""
        routing, solver = self.routing, self.routing.solver()
        amount = {j.id: _quantity_units(getattr(j, measure)) for j in jobs}
        ceiling = sum(amount.values()) * 2
        capacities = [
            _capacity_units(getattr(v, "capacity_kg" if measure == "weight_kg" else "capacity_l"), ceiling)
            for v in self.problem.vehicles
        ]
        n = len(self.node_location)
        on_board, to_drop, riding = [0] * n, [0] * n, [0] * n
        for node, visit in enumerate(self.node_visit):
            if visit is None or visit[0].id not in amount:
                continue
            job, kind = visit
            change = amount[job.id] if kind is StopKind.PICKUP else -amount[job.id]
            on_board[node] = change
            if job.kind is JobKind.DELIVERY:
                to_drop[node] = change
            elif job.kind is JobKind.SHIPMENT:
                riding[node] = change
        for node in self.reload_vehicle:
            on_board[node] = -ceiling  # the slack brings it back up to the new load

        def dimension(name: str, transits: list[int], slack: int, fix_start: bool) -> pywrapcp.RoutingDimension:
            callback = routing.RegisterUnaryTransitVector(transits)
            routing.AddDimensionWithVehicleCapacity(callback, slack, capacities, fix_start, name)
            found = routing.GetDimensionOrDie(name)
            if slack:
                for index in range(routing.Size()):
                    if self.manager.IndexToNode(index) not in self.reload_vehicle:
                        found.SlackVar(index).SetValue(0)
            return found

        delivers = any(to_drop)
        load = dimension(f"load_{measure}", on_board, 2 * ceiling, not delivers)
        drop = dimension(f"load_{measure}_to_deliver", to_drop, ceiling, False) if delivers else None
        ride = dimension(f"load_{measure}_riding", riding, 0, True) if any(riding) else None
        if drop is not None:
            for v in range(len(self.problem.vehicles)):
                drop.CumulVar(routing.End(v)).SetValue(0)
                start = routing.Start(v)
                solver.Add(load.CumulVar(start) == drop.CumulVar(start))
        for node in self.reload_vehicle:
            index = self.manager.NodeToIndex(node)
            if drop is not None:
                drop.CumulVar(index).SetValue(0)  # the trip's deliveries are done
            if drop is None and ride is None:
                continue  # only pickups: empty after a reload, any load above is merely cautious
            after = load.CumulVar(index) + load.SlackVar(index) - ceiling
            needed = (ride.CumulVar(index) if ride is not None else 0) + (
                drop.SlackVar(index) if drop is not None else 0)
            solver.Add(after >= needed)

    # --- jobs ----------------------------------------------------------------

    def _add_jobs(self, allowed: dict[str, tuple[int, ...]], fixed_jobs: frozenset[str]) -> None:
        routing, solver = self.routing, self.routing.solver()
        everyone = len(self.problem.vehicles)
        for job in self.jobs:
            indexes = [self.index(StopRef(job.id, kind)) for kind, _ in job.stops()]
            vehicles = list(allowed[job.id])
            if len(vehicles) < everyone:
                # -1 stands for "left out" (SetAllowedVehiclesForIndex has no usable Python binding).
                for idx in indexes:
                    routing.VehicleVar(idx).SetValues([-1] + vehicles)
            if job.kind is JobKind.SHIPMENT:
                pickup, delivery = indexes
                routing.AddPickupAndDelivery(pickup, delivery)
                solver.Add(routing.VehicleVar(pickup) == routing.VehicleVar(delivery))
                solver.Add(routing.ActiveVar(pickup) == routing.ActiveVar(delivery))
                solver.Add(self.time.CumulVar(pickup) <= self.time.CumulVar(delivery))
            if job.id in fixed_jobs:
                continue  # already on a vehicle: it may not be left out
            penalty = _cost_units(REQUIRED_PENALTY_EUR if job.required else job.penalty or 0.0)
            # A shipment's two stops are dropped together: split the penalty between them.
            share = max(1, penalty // len(indexes)) if penalty else 0
            for idx in indexes:
                routing.AddDisjunction([idx], share)

    def _add_reloads(self) -> None:
        """A reload is optional and free to leave out; only its vehicle may make it."""
        for node, v in self.reload_vehicle.items():
            index = self.manager.NodeToIndex(node)
            self.routing.VehicleVar(index).SetValues([-1, v])
            self.routing.AddDisjunction([index], 0)

    # --- solving -------------------------------------------------------------

    def search_parameters(self, strategy: SearchStrategy, seconds: float) -> pywrapcp.RoutingSearchParameters:
        params = pywrapcp.DefaultRoutingSearchParameters()
        params.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, strategy.first_solution)
        params.local_search_metaheuristic = getattr(routing_enums_pb2.LocalSearchMetaheuristic, strategy.metaheuristic)
        params.guided_local_search_lambda_coefficient = strategy.guided_local_search_lambda
        if strategy.iterated_local_search:
            params.use_iterated_local_search = True
            _ruin_and_recreate(params, strategy, fewer_vans.vans_cost_per_day(self.problem), self.jobs)
        params.use_full_propagation = False
        for operator in _SLOW_OPERATORS:
            setattr(params.local_search_operators, operator, BOOL_FALSE)
        params.log_search = False
        params.time_limit.FromMilliseconds(max(10, int(seconds * 1000)))
        return params

    def solve(self, params: pywrapcp.RoutingSearchParameters) -> pywrapcp.Assignment | None:
        routing = self.routing
        routing.CloseModelWithParameters(params)
        locks = []
        for v, vehicle in enumerate(self.problem.vehicles):
            chain = [self.index(ref) for ref in self.problem.fixed_prefix_of(vehicle.id)]
            locks.append(chain)
            # The fixed stops follow the start in order, on this vehicle: hard
            # constraints on the variables, whichever of ILS's searches runs.
            for before, after in zip([routing.Start(v)] + chain, chain):
                routing.NextVar(before).SetValue(after)
                routing.VehicleVar(after).SetValue(v)
        if any(locks):
            # Locks also make the first-solution heuristic build on the prefixes.
            routing.ApplyLocksToAllVehicles(locks, False)
        if params.use_iterated_local_search:
            return routing.SolveWithIteratedLocalSearch(params)
        return routing.SolveWithParameters(params)

    def read(self, assignment: pywrapcp.Assignment) -> tuple[tuple[Tour, ...], list[Job]]:
        routing, manager = self.routing, self.manager
        tours = []
        served: set[str] = set()
        for v, vehicle in enumerate(self.problem.vehicles):
            visits: list[tuple[Visit, int]] = []   # with its service start as timed here
            idx = assignment.Value(routing.NextVar(routing.Start(v)))
            while not routing.IsEnd(idx):
                node = manager.IndexToNode(idx)
                visit = self.node_visit[node]
                if node in self.reload_vehicle:
                    visit = (None, StopKind.RELOAD)
                else:
                    assert visit is not None
                    served.add(visit[0].id)
                visits.append((visit, assignment.Value(self.time.CumulVar(idx))))
                idx = assignment.Value(routing.NextVar(idx))
            visits = _without_idle_reloads(visits)
            if not visits:
                continue
            departure = assignment.Value(self.time.CumulVar(routing.Start(v)))
            times = SolverTimes(tuple(start for _, start in visits), assignment.Value(self.time.CumulVar(idx)),
                                tuple(assignment.StartValue(b) for b in self.breaks.get(v, ())
                                      if assignment.PerformedValue(b)))
            tours.append(build_tour(self.problem, vehicle, [visit for visit, _ in visits], departure, times))
        left_out = [j for j in self.jobs if j.id not in served]
        return tuple(tours), left_out


def _without_idle_reloads(visits: Sequence[tuple[Visit, int]]) -> list[tuple[Visit, int]]:
    """Reloads that begin or end no trip (first, last, twice in a row) do nothing but cost time."""
    kept: list[tuple[Visit, int]] = []
    for visit in visits:
        if visit[0][0] is None and (not kept or kept[-1][0][0] is None):
            continue
        kept.append(visit)
    while kept and kept[-1][0][0] is None:
        kept.pop()
    return kept
