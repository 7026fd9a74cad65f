"""Hub mode of the freight exchange (VRPOD): the plan's evaluation, and the solver
on a published instance and on a tiny one whose optimum is found by enumeration.

The published instances live beside the repository in ../shared/benchmarks/vrpod
(present in CI); feasibility is checked here by a few independent lines, not by
the domain's own evaluator."""

from __future__ import annotations

import importlib.util
import itertools
import json
import math
import sys
from pathlib import Path

import pytest

from services.freight.domain.occasional import (
    Customer,
    HubInstance,
    HubPlan,
    HubStrategy,
    InfeasiblePlan,
    OccasionalDriver,
    evaluate,
    require_feasible,
    solve,
)

REPO = Path(__file__).resolve().parents[2]
VRPOD = REPO.parent / "shared" / "benchmarks" / "vrpod"
needs_shared = pytest.mark.skipif(
    not (VRPOD / "instances").is_dir(), reason=f"VRPOD benchmark data not found at {VRPOD}"
)


def _benchmark():
    """benchmarks/freight/vrpod.py holds the file reader (files are not the domain's business)."""
    spec = importlib.util.spec_from_file_location("vrpod_benchmark", REPO / "benchmarks" / "freight" / "vrpod.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("vrpod_benchmark", module)
    spec.loader.exec_module(module)
    return module


def independent_cost(instance: HubInstance, routes, handovers: dict[int, list[int]]) -> float:
    """Checks feasibility and costs the plan without the domain's evaluator."""
    points = {0: instance.depot, **{c.id: (c.x, c.y) for c in instance.customers}}
    demand = {c.id: c.demand for c in instance.customers}
    prices = {d.id: d.compensation for d in instance.drivers}
    served = [i for r in routes for i in r] + [i for v in handovers.values() for i in v]
    assert sorted(served) == sorted(demand), "every customer exactly once"
    assert all(sum(demand[i] for i in r) <= instance.capacity for r in routes), "capacity"
    assert all(len(v) <= 1 and all(i in prices[k] for i in v) for k, v in handovers.items()), "drivers"
    length = sum(math.dist(points[a], points[b]) for r in routes if r for a, b in zip([0, *r], [*r, 0]))
    return length + sum(prices[k][i] for k, v in handovers.items() for i in v)


# --- evaluation ------------------------------------------------------------------------


@needs_shared
def test_the_worked_example_costs_what_the_readme_says():
    bench = _benchmark()
    instance = bench.read_instance(VRPOD / "instances" / "od13rho0.2zeta1.1_C201.txt")
    data = json.loads((VRPOD / "example_solution.json").read_text())
    result = evaluate(instance, bench.plan_from_json(data))
    assert result.feasible, result.violations
    assert f"{result.value:.7f}" == "171.4120558"
    handovers = {int(k): v for k, v in data["occasional"].items()}
    assert independent_cost(instance, data["routes"], handovers) == pytest.approx(result.value, abs=1e-9)


def tiny() -> HubInstance:
    """Five customers around a hub, capacity 10, three drivers."""
    customers = (
        Customer(1, 10, 0, 4),
        Customer(2, 10, 3, 4),
        Customer(3, -8, 0, 5),
        Customer(4, 0, 12, 3),
        Customer(5, -6, -6, 4),
    )
    drivers = (
        OccasionalDriver(1, {4: 2.5, 1: 6.0}),
        OccasionalDriver(2, {3: 1.5, 5: 3.0}),
        OccasionalDriver(3, {5: 2.0}),
    )
    return HubInstance(depot=(0, 0), customers=customers, capacity=10, drivers=drivers, name="tiny")


def test_a_feasible_plan_is_costed_exactly():
    instance = tiny()
    plan = HubPlan.of([[1, 2], [3, 5]], {1: [4]})
    expected = (10 + 3 + math.hypot(10, 3)) + (8 + math.hypot(2, 6) + math.hypot(6, 6)) + 2.5
    assert require_feasible(instance, plan) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("routes", "handovers", "reason"),
    [
        ([[1, 2]], {1: [4], 2: [3, 5]}, "driver 2 is given 2 customers"),
        ([[1, 2], [3, 5]], {3: [4]}, "driver 3 is not eligible for customer 4"),
        ([[1, 2, 3], [5]], {1: [4]}, "route 1 carries 13, above the capacity 10"),
        ([[1, 2], [3, 5, 1]], {1: [4]}, "customer 1 is served 2 times"),
        ([[1, 2], [3]], {1: [4]}, "customer 5 is not served"),
        ([[1, 2], [3, 5]], {1: [4], 9: [1]}, "driver 9 does not exist"),
    ],
)
def test_broken_rules_are_named(routes, handovers, reason):
    instance = tiny()
    result = evaluate(instance, HubPlan.of(routes, handovers))
    assert not result.feasible
    assert any(reason in v for v in result.violations), result.violations
    with pytest.raises(InfeasiblePlan, match=reason):
        require_feasible(instance, HubPlan.of(routes, handovers))


# --- solving ---------------------------------------------------------------------------


def optimum_by_enumeration(instance: HubInstance) -> float:
    """Every hand-over choice, then every giant tour split into capacity-feasible tours."""
    d = instance.distance
    ids = [c.id for c in instance.customers]
    demand = {c.id: c.demand for c in instance.customers}
    options = [[None] + [k.id for k in instance.drivers if i in k.compensation] for i in ids]
    best = math.inf
    for choice in itertools.product(*options):
        used = [k for k in choice if k is not None]
        if len(used) != len(set(used)):
            continue
        pay = sum(instance.driver(k).compensation[i] for i, k in zip(ids, choice) if k is not None)
        rest = [i for i, k in zip(ids, choice) if k is None]
        route_best = 0.0 if not rest else math.inf
        for order in itertools.permutations(rest):
            for cuts in itertools.product([False, True], repeat=len(order) - 1):
                tours, tour = [], [order[0]]
                for i, cut in zip(order[1:], cuts):
                    if cut:
                        tours.append(tour)
                        tour = []
                    tour.append(i)
                tours.append(tour)
                if any(sum(demand[i] for i in t) > instance.capacity for t in tours):
                    continue
                length = sum(d(a, b) for t in tours for a, b in zip([0, *t], [*t, 0]))
                route_best = min(route_best, length)
        best = min(best, pay + route_best)
    return best


def test_the_tiny_instance_is_solved_to_its_optimum():
    instance = tiny()
    plan = solve(instance, seconds=1.0)
    handovers = {k: list(v) for k, v in plan.handovers.items()}
    value = independent_cost(instance, plan.routes, handovers)
    assert value == pytest.approx(optimum_by_enumeration(instance), abs=1e-6)
    assert evaluate(instance, plan).value == pytest.approx(value, abs=1e-9)


@needs_shared
def test_a_published_instance_is_solved_close_to_the_best_known():
    bench = _benchmark()
    name = "od25rho0.2zeta1.3_R101.txt"
    instance = bench.read_instance(VRPOD / "instances" / name)
    best_known = float(bench.read_bks(VRPOD / "BKS.tsv")[name]["bks_dominance"])
    plan = solve(instance, seconds=3.0)
    handovers = {k: list(v) for k, v in plan.handovers.items()}
    value = independent_cost(instance, plan.routes, handovers)
    assert value <= best_known * 1.03, (value, best_known)


def test_no_customers_no_plan():
    instance = HubInstance(depot=(0, 0), customers=(), capacity=5)
    assert solve(instance, seconds=0.5) == HubPlan(routes=(), handovers={})
    assert HubStrategy().name


def test_the_routing_model_also_finds_the_tiny_optimum():
    instance = tiny()
    plan = solve(instance, seconds=1.0, strategy=HubStrategy(search="routing"))
    handovers = {k: list(v) for k, v in plan.handovers.items()}
    assert independent_cost(instance, plan.routes, handovers) == pytest.approx(
        optimum_by_enumeration(instance), abs=1e-6
    )


def test_the_exact_move_hands_over_what_pays():
    from services.freight.domain.occasional.reassign import reassign

    instance = tiny()
    # Customer 4 on a tour of its own (24) although driver 1 takes it for 2.5;
    # customer 3 stays with driver 2.
    moved = reassign(instance, [[1, 2], [5], [4]], {2: 3})
    assert moved is not None
    routes, handovers = moved
    assert handovers[1] == 4
    plan = HubPlan.of(routes, handovers)
    before = evaluate(instance, HubPlan.of([[1, 2], [5], [4]], {2: [3]})).value
    assert require_feasible(instance, plan) < before
