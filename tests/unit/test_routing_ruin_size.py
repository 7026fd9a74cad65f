"""How much of a plan each step of the iterated local search ruins (SISR): more on
larger delivery days, as measured on the Solomon and Homberger 200 instances (benchmarks/routing/)."""

from __future__ import annotations

import importlib

from ortools.constraint_solver import pywrapcp

from services.routing.domain.solver import Job, SearchStrategy, Stop
from services.routing.domain.solver.solve import ruin_size

solve_module = importlib.import_module("services.routing.domain.solver.solve")


def deliveries(n: int) -> list[Job]:
    return [Job.single_delivery(f"d{i}", Stop(f"p{i}", ())) for i in range(n)]


def shipments(n: int) -> list[Job]:
    return [Job.shipment(f"s{i}", Stop(f"a{i}", ()), Stop(f"b{i}", ())) for i in range(n)]


def test_deliveries_are_ruined_more_on_larger_days():
    assert [ruin_size(deliveries(n)) for n in (10, 50, 75, 100, 200, 400)] == [10, 10, 12, 15, 15, 15]


def test_pickup_and_delivery_keeps_the_measured_size():
    assert ruin_size(shipments(150)) == 10
    assert ruin_size(deliveries(200) + shipments(1)) == 10


def test_the_search_asks_for_the_size_unless_the_strategy_names_one():
    params = pywrapcp.DefaultRoutingSearchParameters()
    solve_module._ruin_and_recreate(params, SearchStrategy(), False, deliveries(200))
    sisr = params.iterated_local_search_parameters.ruin_recreate_parameters.ruin_strategies[0].sisr
    assert (sisr.avg_num_removed_visits, sisr.max_removed_sequence_size) == (15, 15)
    params = pywrapcp.DefaultRoutingSearchParameters()
    solve_module._ruin_and_recreate(params, SearchStrategy(ruin_removed_visits=7, ruin_max_sequence=5), False,
                                    deliveries(200))
    sisr = params.iterated_local_search_parameters.ruin_recreate_parameters.ruin_strategies[0].sisr
    assert (sisr.avg_num_removed_visits, sisr.max_removed_sequence_size) == (7, 5)
