"""Peer solvers on the same instances: PyVRP (HGS) and VROOM (pyvroom).

Both get exactly what our solver gets: the integer matrix of the instance
(Euclidean x 1000, distance rounded, travel time rounded up), the same time
windows, service times, demands, capacities and fleet size, the same
wall-clock budget and the same number of cores (`workers`): VROOM as threads,
PyVRP (single-threaded) as that many independent seeds in parallel processes,
the best kept, which is what our solver does with its portfolio. Their answer
is reduced to stop sequences; `plans.plan_from_sequences` rebuilds the plan so
our independent checker judges it like ours.

Optional packages (`pip install -e '.[routing-peers]'`), imported only when used.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import Executor
from datetime import timedelta

from benchmarks.routing.plans import plan_from_sequences
from services.routing.domain.solver import Job, JobKind, Problem, Solution, StopKind, StopRef

PEERS = ("pyvrp", "vroom")


class NotModelled(Exception):
    """The peer cannot express this instance: reported as n/a, never approximated."""


def solve_peer(name: str, problem: Problem, seconds: float, workers: int, pool: Executor) -> Solution:
    if name == "pyvrp":
        return solve_pyvrp(problem, seconds, workers, pool)
    if name == "vroom":
        return solve_vroom(problem, seconds, workers)
    raise ValueError(f"unknown peer {name!r}; known: {', '.join(PEERS)}")


def demand(job: Job) -> int:
    return int(math.ceil(job.weight_kg - 1e-6))  # up, like our solver: integer-feasible stays feasible


def capacity(problem: Problem) -> int:
    return int(math.floor(problem.vehicles[0].capacity_kg + 1e-6))


def _window(stop) -> tuple[int, int]:
    if len(stop.time_windows) > 1:
        raise NotModelled("more than one time window on a stop")
    if not stop.time_windows:
        return 0, 2**31 - 1
    return stop.time_windows[0].start_s, stop.time_windows[0].end_s


def _check_homogeneous(problem: Problem) -> None:
    first = problem.vehicles[0]
    for v in problem.vehicles:
        if (v.start_location_id, v.end_location_id, v.shift, v.capacity_kg, v.fixed_cost) != (
            first.start_location_id, first.end_location_id, first.shift, first.capacity_kg, first.fixed_cost
        ):
            raise NotModelled("a mixed fleet (the benchmark sets have one vehicle type)")


def _fixed_units(problem: Problem) -> int:
    """Our fixed cost is in distance units (cost_per_km 1); the peers' matrix is in metres."""
    return int(round(problem.vehicles[0].fixed_cost * 1000))


# --- PyVRP -----------------------------------------------------------------------------


def pyvrp_model(problem: Problem):
    """The PyVRP Model and, per client / shipment index, the job it stands for."""
    from pyvrp import Model

    _check_homogeneous(problem)
    model = Model()
    locs = [model.add_location(x=loc.x or 0.0, y=loc.y or 0.0, name=loc.id) for loc in problem.locations]
    idx = problem.location_index
    vehicle = problem.vehicles[0]
    depot = model.add_depot(
        locs[idx[vehicle.start_location_id]], tw_early=vehicle.shift.start_s, tw_late=vehicle.shift.end_s
    )
    if vehicle.end_location_id != vehicle.start_location_id:
        raise NotModelled("start and end depot differ")
    model.add_vehicle_type(
        num_available=len(problem.vehicles),
        capacity=capacity(problem),
        start_depot=depot,
        end_depot=depot,
        fixed_cost=_fixed_units(problem),
        tw_early=vehicle.shift.start_s,
        tw_late=vehicle.shift.end_s,
    )
    clients: list[str] = []
    shipments: list[str] = []
    for job in problem.jobs:
        if job.kind is JobKind.DELIVERY:
            early, late = _window(job.delivery)
            model.add_client(locs[idx[job.delivery.location_id]], delivery=demand(job),
                             service_duration=job.delivery.service_s, tw_early=early, tw_late=late, name=job.id)
            clients.append(job.id)
        elif job.kind is JobKind.SHIPMENT:
            (pe, pl), (de, dl) = _window(job.pickup), _window(job.delivery)
            model.add_shipment(
                locs[idx[job.pickup.location_id]], locs[idx[job.delivery.location_id]],
                pickup_tw_early=pe, pickup_tw_late=pl, pickup_service_duration=job.pickup.service_s,
                delivery_tw_early=de, delivery_tw_late=dl, delivery_service_duration=job.delivery.service_s,
                amount=demand(job), name=job.id,
            )
            shipments.append(job.id)
        else:
            raise NotModelled(f"{job.kind.value} jobs")
    dist, dur = problem.matrix.distances_m, problem.matrix.durations_s
    for i, a in enumerate(locs):
        for j, b in enumerate(locs):
            if i != j:
                model.add_edge(a, b, distance=dist[i][j], duration=dur[i][j])
    return model, clients, shipments


def _pyvrp_run(problem: Problem, seconds: float, seed: int) -> tuple[bool, int, list[list[StopRef]], list[str]]:
    """One search in a worker process: (feasible, cost, routes, unassigned)."""
    from pyvrp.stop import MaxRuntime

    started = time.monotonic()
    model, clients, shipments = pyvrp_model(problem)
    left = max(0.1, seconds - (time.monotonic() - started) - 0.1)  # model building counts, as for ours
    result = model.solve(MaxRuntime(left), seed=seed, collect_stats=False, display=False)
    routes = []
    served: set[str] = set()
    for route in result.best.routes():
        refs = []
        for act in route.schedule():
            if act.is_depot():
                continue
            if act.is_client():
                job_id = clients[act.idx]  # clients and shipments are numbered apart, from 0
                refs.append(StopRef(job_id, StopKind.DELIVERY))
            else:
                job_id = shipments[act.idx]
                refs.append(StopRef(job_id, StopKind.PICKUP if act.is_pickup() else StopKind.DELIVERY))
            served.add(job_id)
        routes.append(refs)
    unassigned = [j for j in clients + shipments if j not in served]
    return result.best.is_feasible(), int(result.cost()) if result.is_feasible() else 2**62, routes, unassigned


def solve_pyvrp(problem: Problem, seconds: float, workers: int, pool: Executor) -> Solution:
    pyvrp_model(problem)  # NotModelled here, not in a worker
    futures = [pool.submit(_pyvrp_run, problem, seconds, seed) for seed in range(max(1, workers))]
    runs = [f.result() for f in futures]
    feasible, cost, routes, unassigned = min(runs, key=lambda r: (not r[0], len(r[3]), r[1]))
    return plan_from_sequences(problem, routes, unassigned, "pyvrp")


# --- VROOM -----------------------------------------------------------------------------


def vroom_input(problem: Problem):
    """The pyvroom Input and, per (step type, id), the stop it stands for."""
    import vroom

    _check_homogeneous(problem)
    idx = problem.location_index
    # Explicit integer matrices: durations for the windows, costs = distances for the objective.
    inp = vroom.Input()
    inp.set_durations_matrix("car", [list(r) for r in problem.matrix.durations_s])
    inp.set_costs_matrix("car", [list(r) for r in problem.matrix.distances_m])
    for k, v in enumerate(problem.vehicles):
        inp.add_vehicle(vroom.Vehicle(
            k, start=idx[v.start_location_id], end=idx[v.end_location_id], capacity=[capacity(problem)],
            time_window=vroom.TimeWindow(v.shift.start_s, v.shift.end_s),
            costs=vroom.VehicleCosts(fixed=_fixed_units(problem)),
        ))
    refs: dict[tuple[str, int], StopRef] = {}
    for n, job in enumerate(problem.jobs, start=1):
        if job.kind is JobKind.DELIVERY:
            inp.add_job(vroom.Job(
                n, location=idx[job.delivery.location_id], default_service=job.delivery.service_s,
                delivery=[demand(job)], time_windows=[vroom.TimeWindow(*_window(job.delivery))],
            ))
            refs[("job", n)] = StopRef(job.id, StopKind.DELIVERY)
        elif job.kind is JobKind.SHIPMENT:
            inp.add_shipment(
                vroom.ShipmentStep(n, location=idx[job.pickup.location_id], default_service=job.pickup.service_s,
                                   time_windows=[vroom.TimeWindow(*_window(job.pickup))]),
                vroom.ShipmentStep(n, location=idx[job.delivery.location_id],
                                   default_service=job.delivery.service_s,
                                   time_windows=[vroom.TimeWindow(*_window(job.delivery))]),
                amount=vroom.Amount([demand(job)]),
            )
            refs[("pickup", n)] = StopRef(job.id, StopKind.PICKUP)
            refs[("delivery", n)] = StopRef(job.id, StopKind.DELIVERY)
        else:
            raise NotModelled(f"{job.kind.value} jobs")
    return inp, refs


def solve_vroom(problem: Problem, seconds: float, workers: int) -> Solution:
    started = time.monotonic()
    inp, refs = vroom_input(problem)
    left = max(0.1, seconds - (time.monotonic() - started) - 0.1)
    # Exploration level 5 is VROOM's most thorough search; it often ends before the budget.
    answer = inp.solve(exploration_level=5, nb_threads=max(1, workers), timeout=timedelta(seconds=left)).to_dict()
    routes: list[list[StopRef]] = [[] for _ in problem.vehicles]
    for route in answer.get("routes", []):
        steps = [(s["type"], s.get("id")) for s in route["steps"]]
        routes[route["vehicle"]] = [refs[step] for step in steps if step in refs]  # depots are not in refs
    unassigned = sorted({refs[(u["type"], u["id"])].job_id for u in answer.get("unassigned", [])})
    return plan_from_sequences(problem, routes, unassigned, "vroom")
