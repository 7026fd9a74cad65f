"""The routing benchmark's peer comparison (benchmarks/routing): instance sets, the
conversion to PyVRP and VROOM (skipped without the `routing-peers` extra), the plan
rebuilt from a peer's stop sequences, and the gap / ratio / at-BKS arithmetic."""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from benchmarks.routing import stats  # noqa: E402
from benchmarks.routing.busy import burners  # noqa: E402
from benchmarks.routing.instances import best_known, find_instances, read_instance, with_fixed_cost  # noqa: E402
from benchmarks.routing.plans import plan_from_sequences  # noqa: E402
from services.routing.domain.solver import StopKind, StopRef, TimeWindow, check_solution  # noqa: E402

# Depot at (0,0); c1 (0,3) 4 units, c2 (4,3) 5 units from t=10 to 20, c3 (4,0) 3 units; 2 vans of 10.
SOLOMON = """tiny

VEHICLE
NUMBER     CAPACITY
  2         10

CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME

    0      0          0          0          0        100          0
    1      0          3          4          0        100          1
    2      4          3          5         10         20          1
    3      4          0          3          0        100          0
"""
# One shipment: picked up at (0,3), delivered at (4,3).
LI_LIM = """2 10 1
0 0 0 0 0 100 0 0 0
1 0 3 4 0 100 1 0 2
2 4 3 -4 0 100 1 1 0
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for folder, name, text in (("vrptw/homberger_200", "c1_2_9", SOLOMON), ("vrptw/solomon", "C109", SOLOMON),
                               ("pdptw/li_lim_100", "lc109", LI_LIM)):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / f"{name}.txt").write_text(text)
    bks = {"c1_2_9": {"solved_with_vehicles": 2, "best_known_cost": 20.0},
           "C109": {"solved_with_vehicles": 2, "best_known_cost": 21.0},
           "C109_distance": {"solved_with_vehicles": 3, "best_known_cost": 19.0}}
    (tmp_path / "vrptw" / "BKS.json").write_text(json.dumps(bks))
    (tmp_path / "pdptw" / "BKS.json").write_text(json.dumps({"lc109": {"solved_with_vehicles": 1,
                                                                        "best_known_cost": 10.0}}))
    return tmp_path


def _read(root: Path, name: str):
    path = next(p for p in find_instances(root, ("solomon", "homberger", "lilim")) if p.stem == name)
    return read_instance(path, 1.0)


def _refs(*job_ids: str) -> list[StopRef]:
    return [StopRef(j, StopKind.DELIVERY) for j in job_ids]


# --- instance sets ------------------------------------------------------------------------


def test_sets_families_groups_and_which_bks(root: Path):
    assert [p.stem for p in find_instances(root)] == ["C109", "lc109"]  # the default sets, as before
    assert [p.stem for p in find_instances(root, ("homberger",))] == ["c1_2_9"]
    homberger, solomon = _read(root, "c1_2_9"), _read(root, "C109")
    assert (homberger.family, homberger.group) == ("homberger", "C1_2")
    assert (solomon.family, solomon.group) == ("solomon", "C1")
    assert best_known(root, solomon).distance == 19.0  # distance BKS for the fleet as given
    assert best_known(root, solomon, "vehicles-first").distance == 21.0
    assert best_known(root, homberger) == best_known(root, homberger, "vehicles-first")
    assert best_known(root, homberger).vehicles == 2
    assert best_known(root, _read(root, "lc109")).distance == 10.0


def test_vehicles_first_puts_a_fixed_cost_on_every_van(root: Path):
    instance = with_fixed_cost(_read(root, "C109"), 1000.0)
    assert [v.fixed_cost for v in instance.problem.vehicles] == [1000.0, 1000.0]


# --- a peer's sequences become a plan our checker judges ------------------------------------


def test_plan_rebuilds_schedule_loads_and_distance(root: Path):
    instance = _read(root, "C109")
    plan = plan_from_sequences(instance.problem, [_refs("c1", "c2"), _refs("c3")], [], "peer")
    assert check_solution(instance.problem, plan, travel=instance.exact) == []
    first = plan.tours[0]
    # x1000: c1 3000 away, served 1000; c2 4000 further, opens at 10000: the van leaves
    # 2000 later rather than wait there (as our own tours are timed).
    assert [(s.arrival_s, s.service_start_s, s.departure_s) for s in first.stops] == [
        (2000, 2000, 2000), (5000, 5000, 6000), (10000, 10000, 11000), (16000, 16000, 16000)]
    assert [s.load_kg for s in first.stops] == [9, 5, 0, 0]
    assert first.distance_m == 3000 + 4000 + 5000
    assert plan.distance_m == 12000 + 8000
    assert plan.vehicles_used == 2


def test_plan_with_an_overloaded_van_or_a_left_out_job_is_not_feasible(root: Path):
    instance = _read(root, "C109")
    overloaded = plan_from_sequences(instance.problem, [_refs("c1", "c2", "c3")], [], "peer")
    assert any(v.rule == "capacity" for v in check_solution(instance.problem, overloaded, travel=instance.exact))
    partial = plan_from_sequences(instance.problem, [_refs("c1", "c2")], ["c3"], "peer")
    assert check_solution(instance.problem, partial, travel=instance.exact) == []
    assert [d.job_id for d in partial.dropped] == ["c3"]  # the benchmark counts this as not feasible
    with pytest.raises(ValueError):
        plan_from_sequences(instance.problem, [_refs("c1"), _refs("c2"), _refs("c3")], [], "peer")


def test_plan_of_a_shipment_carries_it_between_its_stops(root: Path):
    instance = _read(root, "lc109")
    job = instance.problem.jobs[0].id
    plan = plan_from_sequences(
        instance.problem, [[StopRef(job, StopKind.PICKUP), StopRef(job, StopKind.DELIVERY)]], [], "peer")
    assert check_solution(instance.problem, plan, travel=instance.exact) == []
    assert [s.load_kg for s in plan.tours[0].stops] == [0, 4, 0, 0]
    backwards = plan_from_sequences(
        instance.problem, [[StopRef(job, StopKind.DELIVERY), StopRef(job, StopKind.PICKUP)]], [], "peer")
    assert any(v.rule == "precedence" for v in check_solution(instance.problem, backwards, travel=instance.exact))


# --- conversion to the peers ----------------------------------------------------------------


def test_pyvrp_model_mirrors_the_instance(root: Path):
    pytest.importorskip("pyvrp")
    from benchmarks.routing.peers import pyvrp_model

    problem = with_fixed_cost(_read(root, "C109"), 7.0).problem
    model, clients, shipments = pyvrp_model(problem)
    data = model.data()
    assert (clients, shipments) == (["c1", "c2", "c3"], [])
    assert data.num_clients == 3 and data.num_depots == 1
    vt = data.vehicle_type(0)
    assert (vt.num_available, list(vt.capacity), vt.fixed_cost) == (2, [10], 7000)
    assert (vt.tw_early, vt.tw_late) == (0, 100_000)
    c2 = data.clients()[1]
    assert (list(c2.delivery), c2.service_duration, c2.tw_early, c2.tw_late) == ([5], 1000, 10_000, 20_000)
    assert data.distance_matrix(0).tolist() == [list(r) for r in problem.matrix.distances_m]
    assert data.duration_matrix(0).tolist() == [list(r) for r in problem.matrix.durations_s]

    model, clients, shipments = pyvrp_model(_read(root, "lc109").problem)
    assert (model.data().num_clients, model.data().num_shipments, shipments) == (0, 1, ["s1"])


def test_pyvrp_plan_passes_our_checker(root: Path):
    pytest.importorskip("pyvrp")
    from benchmarks.routing.peers import solve_pyvrp

    for name in ("C109", "lc109"):
        instance = _read(root, name)
        with ThreadPoolExecutor(1) as pool:
            plan = solve_pyvrp(instance.problem, 0.3, 1, pool)
        assert check_solution(instance.problem, plan, travel=instance.exact) == []
        assert not plan.dropped


def test_vroom_input_mirrors_the_instance_and_its_plan_passes(root: Path):
    pytest.importorskip("vroom")
    from benchmarks.routing.peers import solve_vroom, vroom_input

    instance = _read(root, "C109")
    inp, refs = vroom_input(instance.problem)
    assert sorted(r.job_id for r in refs.values()) == ["c1", "c2", "c3"]
    assert len(inp.vehicles) == 2
    plan = solve_vroom(instance.problem, 0.5, 1)
    assert check_solution(instance.problem, plan, travel=instance.exact) == [] and not plan.dropped
    assert plan.vehicles_used == 2  # 12 units on vans of 10

    shipment = _read(root, "lc109")
    _, refs = vroom_input(shipment.problem)
    assert sorted((t, r.kind) for (t, _), r in refs.items()) == [
        ("delivery", StopKind.DELIVERY), ("pickup", StopKind.PICKUP)]
    plan = solve_vroom(shipment.problem, 0.5, 1)
    assert check_solution(shipment.problem, plan, travel=shipment.exact) == [] and not plan.dropped


def test_what_a_peer_cannot_model_is_refused_not_approximated(root: Path):
    pytest.importorskip("pyvrp")
    from benchmarks.routing.peers import NotModelled, pyvrp_model

    problem = _read(root, "C109").problem
    job = problem.jobs[0]
    two_windows = replace(job.delivery, time_windows=(TimeWindow(0, 10), TimeWindow(20, 30)))
    with pytest.raises(NotModelled):
        pyvrp_model(replace(problem, jobs=(replace(job, delivery=two_windows), *problem.jobs[1:])))


# --- arithmetic ---------------------------------------------------------------------------


def test_at_bks_is_vehicles_first_with_a_tenth_of_a_percent():
    assert stats.at_bks(10, 1000.9, 10, 1000.0)
    assert not stats.at_bks(10, 1001.1, 10, 1000.0)
    assert not stats.at_bks(11, 900.0, 10, 1000.0)
    assert stats.at_bks(9, 1500.0, 10, 1000.0)  # fewer vans beats the BKS whatever the distance
    assert not stats.at_bks(10, 900.0, None, None)


def test_gap_counts_only_where_the_bks_is_comparable():
    solomon = stats.entry(12, 1010.0, True, 0, 5.0, 10, 1000.0, distance_bks=True)
    assert (solomon["gap_percent"], solomon["comparable"]) == (1.0, True)
    other_fleet = stats.entry(12, 990.0, True, 0, 5.0, 10, 1000.0, distance_bks=False)
    assert (other_fleet["gap_percent"], other_fleet["comparable"], other_fleet["at_bks"]) == (-1.0, False, False)
    infeasible = stats.entry(10, 990.0, False, 1, 5.0, 10, 1000.0, distance_bks=False)
    assert not infeasible["comparable"] and not infeasible["at_bks"]
    assert stats.gap_percent(999.99999, 1000.0) == 0.0


def _row(group: str, family: str, ours: dict, peer: dict | None) -> dict:
    return {"instance": group, "family": family, "group": group, "bks_vehicles": 10, "bks_distance": 100.0,
            "ours": ours, "pyvrp": peer}


def test_means_per_class_use_per_instance_ratios_and_skip_n_a_and_infeasible():
    e = stats.entry
    rows = [
        _row("lc1", "li_lim", e(10, 110.0, True, 0, 1, 10, 100.0, False), e(10, 100.0, True, 0, 1, 10, 100.0, False)),
        _row("lc1", "li_lim", e(11, 100.0, True, 0, 1, 10, 100.0, False), e(10, 400.0, True, 0, 1, 10, 100.0, False)),
        _row("lc2", "li_lim", e(10, 100.05, True, 0, 1, 10, 100.0, False), None),  # peer n/a
        _row("lc2", "li_lim", e(10, 100.0, True, 0, 1, 10, 100.0, False), e(9, 90.0, False, 2, 1, 10, 100.0, False)),
    ]
    assert stats.ratio(rows[0]["ours"], rows[0]["pyvrp"]) == pytest.approx(1.1)
    assert stats.ratio(rows[3]["ours"], rows[3]["pyvrp"]) is None
    summary = stats.summarise(rows, ["ours", "pyvrp"])
    ours, peer = summary["all"]["ours"], summary["all"]["pyvrp"]
    assert (ours["run"], ours["feasible"], ours["at_bks"], ours["compared"]) == (4, 4, 2, 3)
    assert ours["mean_gap_percent"] == pytest.approx((10.0 + 0.05 + 0.0) / 3, abs=0.01)
    assert (peer["run"], peer["feasible"], peer["vehicles"], peer["ratio_n"]) == (3, 2, 20, 2)
    assert peer["mean_ratio"] == pytest.approx((1.1 + 0.25) / 2)  # mean of ratios, not ratio of sums
    assert summary["groups"]["lc2"]["pyvrp"]["mean_ratio"] is None
    assert list(summary["families"]) == ["li_lim"] and summary["all"]["bks_vehicles"] == 40


def test_busy_processes_are_killed_on_leaving():
    with burners(2) as procs:
        assert len(procs) == 2 and all(p.poll() is None for p in procs)
    assert all(p.poll() is not None for p in procs)
