"""Read Solomon / Homberger VRPTW and Li & Lim PDPTW instances into the solver's input model.

Distances are Euclidean in double precision. The solver gets them scaled by
SCALE: distance rounded, travel time rounded *up*, so a plan on time with
integer times is on time with the exact ones too. The exact (scaled, not
rounded) matrix comes along for the independent check.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path

from services.routing.domain.solver import Job, Location, Problem, Stop, TimeWindow, TravelMatrix, Vehicle

SCALE = 1000

# Where each set lives under the benchmarks folder, and its family name.
SETS = {
    "solomon": ("vrptw/solomon", "solomon"),
    "homberger": ("vrptw/homberger_200", "homberger"),
    "lilim": ("pdptw/li_lim_100", "li_lim"),
}
FAMILY_OF_FOLDER = {folder.rsplit("/", 1)[1]: family for folder, family in SETS.values()}


@dataclass(frozen=True)
class Instance:
    name: str
    family: str  # "solomon", "homberger" or "li_lim"
    group: str  # C1, RC2, C1_2, lc1, lrc2, ...
    problem: Problem
    exact: TravelMatrix  # float distances and times, times SCALE


@dataclass(frozen=True)
class BestKnown:
    vehicles: int
    distance: float


def find_instances(root: Path, sets: tuple[str, ...] = ("solomon", "lilim")) -> list[Path]:
    return [p for name in sets for p in sorted((root / SETS[name][0]).glob("*.txt"))]


def read_instance(path: Path, seconds: float) -> Instance:
    family = FAMILY_OF_FOLDER.get(path.parent.name, "solomon")
    if family == "li_lim":
        return _read_li_lim(path, seconds)
    return _read_solomon(path, seconds, family)


def with_fixed_cost(instance: Instance, fixed_cost: float) -> Instance:
    """The same instance where each van used costs `fixed_cost` (in distance units) on top."""
    vehicles = tuple(replace(v, fixed_cost=fixed_cost) for v in instance.problem.vehicles)
    return replace(instance, problem=replace(instance.problem, vehicles=vehicles))


def best_known(root: Path, instance: Instance, objective: str = "distance") -> BestKnown | None:
    """Solomon has distance BKS for the fleet as given; everything else is vehicles-first."""
    if instance.family == "li_lim":
        table = json.loads((root / "pdptw" / "BKS.json").read_text())
    else:
        table = json.loads((root / "vrptw" / "BKS.json").read_text())
    key = instance.name
    if instance.family == "solomon" and objective == "distance":
        key = f"{instance.name}_distance"  # distance-first, with the fleet as given
    entry = table.get(key)
    if entry is None:
        return None
    return BestKnown(entry["solved_with_vehicles"], entry["best_known_cost"])


def _group(name: str) -> str:
    if name.count("_") == 2:
        return name.rsplit("_", 1)[0].upper()  # Homberger c1_2_4 -> C1_2
    return re.sub(r"\d\d$", "", name)


def _problem(
    name: str,
    coords: list[tuple[float, float]],
    vehicles: int,
    capacity: float,
    depot_window: tuple[float, float],
    jobs: list[Job],
    seconds: float,
) -> tuple[Problem, TravelMatrix]:
    exact = [[math.dist(a, b) * SCALE for b in coords] for a in coords]
    matrix = TravelMatrix.from_rows(
        [[round(d) for d in row] for row in exact],
        [[math.ceil(d - 1e-6) for d in row] for row in exact],
    )
    fleet = tuple(
        Vehicle(
            f"v{k}",
            "n0",
            "n0",
            TimeWindow(int(depot_window[0] * SCALE), int(depot_window[1] * SCALE)),
            capacity_kg=capacity,
            cost_per_km=1.0,  # distance only: the distance BKS have no fixed or time cost
        )
        for k in range(vehicles)
    )
    locations = tuple(Location(f"n{i}", x=x, y=y) for i, (x, y) in enumerate(coords))
    problem = Problem(locations, matrix, fleet, tuple(jobs), time_budget_s=seconds)
    return problem, TravelMatrix.from_rows(exact, exact)


def _stop(node: int, ready: float, due: float, service: float) -> Stop:
    return Stop(f"n{node}", (TimeWindow(int(ready * SCALE), int(due * SCALE)),), int(service * SCALE))


def _read_solomon(path: Path, seconds: float, family: str = "solomon") -> Instance:
    lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
    fleet_row = next(i for i, parts in enumerate(lines) if parts[0] == "NUMBER") + 1
    vehicles, capacity = int(lines[fleet_row][0]), float(lines[fleet_row][1])
    rows = [list(map(float, parts)) for parts in lines if len(parts) == 7 and parts[0].isdigit()]
    coords = [(r[1], r[2]) for r in rows]
    depot = rows[0]
    jobs = [
        Job.single_delivery(f"c{int(r[0])}", _stop(int(r[0]), r[4], r[5], r[6]), weight_kg=r[3])
        for r in rows[1:]
    ]
    problem, exact = _problem(path.stem, coords, vehicles, capacity, (depot[4], depot[5]), jobs, seconds)
    return Instance(path.stem, family, _group(path.stem), problem, exact)


def _read_li_lim(path: Path, seconds: float) -> Instance:
    lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
    vehicles, capacity = int(lines[0][0]), float(lines[0][1])
    rows = [list(map(float, parts)) for parts in lines[1:]]
    coords = [(r[1], r[2]) for r in rows]
    by_id = {int(r[0]): r for r in rows}
    jobs = []
    for r in rows[1:]:
        if r[3] <= 0:
            continue  # a delivery: created with its pickup
        p, d = int(r[0]), int(r[8])
        dr = by_id[d]
        jobs.append(
            Job.shipment(
                f"s{p}",
                _stop(p, r[4], r[5], r[6]),
                _stop(d, dr[4], dr[5], dr[6]),
                weight_kg=r[3],
            )
        )
    depot = rows[0]
    problem, exact = _problem(path.stem, coords, vehicles, capacity, (depot[4], depot[5]), jobs, seconds)
    return Instance(path.stem, "li_lim", _group(path.stem), problem, exact)
