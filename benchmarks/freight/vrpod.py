"""Freight exchange, hub mode: the vehicle routing problem with occasional drivers
(VRPOD) solved by `services.freight.domain.occasional`, against best-known values.

    .venv/bin/python benchmarks/freight/vrpod.py                        # all 96, 10 s each
    .venv/bin/python benchmarks/freight/vrpod.py --only 'od13*' --seconds 3
    .venv/bin/python benchmarks/freight/vrpod.py --solutions /tmp/vrpod  # one JSON per instance
    .venv/bin/python benchmarks/freight/vrpod.py --check ../shared/benchmarks/vrpod/example_solution.json

Instances and BKS.tsv are read from ../shared/benchmarks/vrpod/ (beside the repo),
see its README for the format and the objective. Each instance is solved by
`--workers` processes (one strategy of the solver's PORTFOLIO each, the better
plan kept) within `--seconds` wall clock, every plan is re-evaluated in double
precision and checked, and compared with `bks_dominance`. Results also go to
benchmarks/results/ (git-ignored).
"""

from __future__ import annotations

import argparse
import csv
import fnmatch
import json
import re
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # run as a script from anywhere

from benchmarks.machine import machine_info  # noqa: E402

from services.freight.domain.occasional import (  # noqa: E402
    PORTFOLIO,
    Customer,
    HubInstance,
    HubPlan,
    OccasionalDriver,
    evaluate,
    solve,
)

VRPOD = REPO.parent / "shared" / "benchmarks" / "vrpod"
RESULTS = REPO / "benchmarks" / "results"
TARGETS = {25: 0.1, 100: 1.5}  # mean gap % to bks_dominance the solver is meant to reach


# --- files ------------------------------------------------------------------------


def read_instance(path: Path) -> HubInstance:
    """One `odKrhoRzetaZ_BASE.txt` file. Fields are separated by ' \\t ' and lines
    may end in whitespace, so every line is split on any whitespace. Scheme 1 has
    a VERTEX_PROFIT column (the compensation per customer, any driver) and one line
    of eligible ids per driver; scheme 2 has 'Customer i profit c' lines."""
    lines = [line.strip() for line in path.read_text().splitlines()]
    header: dict[str, str] = {}
    at = 0
    while not lines[at].startswith("VERTEX_ID"):
        if ":" in lines[at]:
            key, value = lines[at].split(":", 1)
            header[key.strip()] = value.strip()
        at += 1
    columns = lines[at].split()
    scheme1 = "VERTEX_PROFIT" in columns
    dimension = int(header["DIMENSION"])
    depot = (0.0, 0.0)
    customers: list[Customer] = []
    profit: dict[int, float] = {}
    for line in lines[at + 1 : at + 1 + dimension]:
        fields = line.split()
        node, x, y, demand = int(fields[0]), float(fields[1]), float(fields[2]), int(fields[3])
        if node == 0:
            depot = (x, y)
        else:
            customers.append(Customer(node, x, y, demand))
        if scheme1:
            profit[node] = float(fields[4])
    at += 1 + dimension
    while lines[at] != "OCCASIONAL DRIVERS DATA":
        at += 1
    drivers: list[OccasionalDriver] = []
    driver_id = None
    destination = [0.0, 0.0]
    compensation: dict[int, float] = {}
    expected = 0

    def close() -> None:
        if driver_id is not None:
            if len(compensation) != expected:
                raise ValueError(f"{path.name}: driver {driver_id} lists {len(compensation)} customers, "
                                 f"says {expected}")
            drivers.append(OccasionalDriver(driver_id, dict(compensation), (destination[0], destination[1])))

    for line in lines[at + 1 :]:
        if not line:
            continue
        if line.startswith("OCCASIONAL DRIVER "):
            close()
            driver_id = int(line.split()[-1])
            compensation = {}
        elif line.startswith("x coordinate:"):
            destination[0] = float(line.split(":", 1)[1])
        elif line.startswith("y coordinate:"):
            destination[1] = float(line.split(":", 1)[1])
        elif line.startswith("Number of customers:"):
            expected = int(line.split(":", 1)[1])
        elif line.startswith("Subset of customers:"):
            continue
        elif line.startswith("Customer "):
            match = re.fullmatch(r"Customer\s+(\d+)\s+profit\s+(\S+)", line)
            if not match:
                raise ValueError(f"{path.name}: cannot read {line!r}")
            compensation[int(match.group(1))] = float(match.group(2))
        else:  # scheme 1: the eligible ids on one line
            for token in line.split():
                compensation[int(token)] = profit[int(token)]
    close()
    if int(header["NUMBER OF OCCASIONAL DRIVERS"]) != len(drivers):
        raise ValueError(f"{path.name}: {len(drivers)} driver blocks, header says {header['NUMBER OF OCCASIONAL DRIVERS']}")
    return HubInstance(
        depot=depot,
        customers=tuple(customers),
        capacity=int(header["VEHICLE CAPACITY"]),
        drivers=tuple(drivers),
        name=path.name,
    )


def read_bks(path: Path) -> dict[str, dict]:
    with open(path, newline="") as f:
        return {row["instance"]: row for row in csv.DictReader(f, delimiter="\t")}


def plan_to_json(plan: HubPlan) -> dict:
    return {
        "routes": [list(route) for route in plan.routes],
        "occasional": {str(k): list(v) for k, v in sorted(plan.handovers.items())},
    }


def plan_from_json(data: dict) -> HubPlan:
    return HubPlan.of(data["routes"], {int(k): list(v) for k, v in data.get("occasional", {}).items()})


# --- solving ----------------------------------------------------------------------


def solve_one(path: str, seconds: float, strategy_index: int) -> dict:
    """In a worker process: solve one instance with one strategy of the portfolio."""
    instance = read_instance(Path(path))
    plan = solve(instance, seconds, PORTFOLIO[strategy_index])
    return plan_to_json(plan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=Path, default=VRPOD / "instances", help="folder of instance files")
    parser.add_argument("--bks", type=Path, default=None, help="BKS.tsv (default: beside the instances folder)")
    parser.add_argument("--seconds", type=float, default=10.0, help="wall-clock budget per instance")
    parser.add_argument("--only", default="*", help="globs on the file name, comma-separated, e.g. 'od13*' or '*_C201.txt,*_R101.txt'")
    parser.add_argument("--workers", type=int, default=2, help=f"processes per instance, at most {len(PORTFOLIO)}")
    parser.add_argument("--solutions", type=Path, default=None, help="write each plan as JSON into this folder")
    parser.add_argument("--check", type=Path, default=None, help="evaluate this solution JSON and exit")
    parser.add_argument("--instance", type=Path, default=None,
                        help="with --check: the instance file (default: the example's, od13rho0.2zeta1.1_C201.txt)")
    parser.add_argument("--no-save", action="store_true", help="do not write benchmarks/results/")
    args = parser.parse_args()
    if args.check:
        raise SystemExit(check(args))
    rows = run(args)
    summary = summarise(rows)
    print_summary(summary, args)
    if not args.no_save:
        save(rows, summary, args)


def check(args: argparse.Namespace) -> int:
    instance_path = args.instance or args.instances / "od13rho0.2zeta1.1_C201.txt"
    instance = read_instance(instance_path)
    result = evaluate(instance, plan_from_json(json.loads(args.check.read_text())))
    print(f"{result.value:.7f}")
    print(f"{instance.name}: routes {result.route_length:.7f} + compensations {result.compensation:.7f}, "
          f"{'feasible' if result.feasible else 'INFEASIBLE'}", file=sys.stderr)
    for violation in result.violations:
        print(f"  {violation}", file=sys.stderr)
    return 0 if result.feasible else 1


def run(args: argparse.Namespace) -> list[dict]:
    bks = read_bks(args.bks or args.instances.parent / "BKS.tsv")
    patterns = [p.strip() for p in args.only.split(",") if p.strip()]
    paths = sorted(p for p in args.instances.glob("*.txt") if any(fnmatch.fnmatch(p.name, g) for g in patterns))
    if not paths:
        raise SystemExit(f"no instances matching {args.only!r} under {args.instances}")
    workers = max(1, min(args.workers, len(PORTFOLIO)))
    if args.solutions:
        args.solutions.mkdir(parents=True, exist_ok=True)
    print(f"{len(paths)} instances, {args.seconds:g} s each, {workers} process(es): "
          f"{', '.join(s.name for s in PORTFOLIO[:workers])}")
    print(f"{'instance':30} {'n':>3} {'value':>11} {'bks_dom':>11} {'gap %':>7} {'wall s':>6}  feasible")
    rows = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for path in paths:
            instance = read_instance(path)
            started = time.monotonic()
            futures = [pool.submit(solve_one, str(path), args.seconds, s) for s in range(workers)]
            candidates = [plan_from_json(f.result()) for f in futures]
            wall = time.monotonic() - started
            evaluated = sorted(((evaluate(instance, plan), i, plan) for i, plan in enumerate(candidates)),
                               key=lambda e: (not e[0].feasible, e[0].value))
            result, strategy, plan = evaluated[0]
            reference = bks.get(path.name)
            best = float(reference["bks_dominance"]) if reference else None
            row = {
                "instance": path.name,
                "customers": len(instance.customers),
                "drivers": len(instance.drivers),
                "value": round(result.value, 7),
                "bks": float(reference["bks"]) if reference else None,
                "bks_dominance": best,
                "gap_percent": round((result.value / best - 1) * 100, 3) if best else None,
                "feasible": result.feasible,
                "routes": sum(1 for r in plan.routes if r),
                "handovers": sum(len(v) for v in plan.handovers.values()),
                "strategy": PORTFOLIO[strategy].name,
                "wall_seconds": round(wall, 2),
                "violations": list(result.violations[:5]),
            }
            rows.append(row)
            print_row(row)
            if args.solutions:
                (args.solutions / f"{path.stem}.json").write_text(json.dumps(plan_to_json(plan)) + "\n")
    return rows


def print_row(row: dict) -> None:
    gap = "-" if row["gap_percent"] is None else f"{row['gap_percent']:.3f}"
    best = "-" if row["bks_dominance"] is None else f"{row['bks_dominance']:.4f}"
    print(f"{row['instance']:30} {row['customers']:>3} {row['value']:>11.4f} {best:>11} {gap:>7} "
          f"{row['wall_seconds']:>6.2f}  {'yes' if row['feasible'] else 'NO'}", flush=True)
    for violation in row["violations"]:
        print(f"    {violation}")


def summarise(rows: list[dict]) -> dict:
    def block(selected: list[dict], target: float | None) -> dict:
        gaps = [r["gap_percent"] for r in selected if r["gap_percent"] is not None]
        worst = max(selected, key=lambda r: r["gap_percent"] if r["gap_percent"] is not None else -1e9)
        return {
            "instances": len(selected),
            "feasible": sum(r["feasible"] for r in selected),
            "mean_gap_percent": round(statistics.fmean(gaps), 3) if gaps else None,
            "worst": worst["instance"],
            "worst_gap_percent": worst["gap_percent"],
            "at_or_below_bks": sum(1 for g in gaps if g <= 1e-6),
            "target_percent": target,
        }

    sizes = sorted({r["customers"] for r in rows})
    return {
        "sizes": {str(n): block([r for r in rows if r["customers"] == n], TARGETS.get(n)) for n in sizes},
        "all": block(rows, None),
    }


def print_summary(summary: dict, args: argparse.Namespace) -> None:
    print()
    print(f"{'customers':9} {'n':>3} {'feasible':>8} {'mean gap %':>10} {'target %':>8} {'<= BKS':>6}  worst")
    for label, block in list(summary["sizes"].items()) + [("all", summary["all"])]:
        gap = "-" if block["mean_gap_percent"] is None else f"{block['mean_gap_percent']:.3f}"
        target = "-" if block["target_percent"] is None else f"<= {block['target_percent']:g}"
        print(f"{label:9} {block['instances']:>3} {block['feasible']:>8} {gap:>10} {target:>8} "
              f"{block['at_or_below_bks']:>6}  {block['worst']} ({block['worst_gap_percent']} %)")
    m = machine_info()
    print(f"\n{m['date']}  {m['cores']} cores, {m['cpu']}, load average {m['load_average']} (machine shared), "
          f"{args.seconds:g} s per instance, {args.workers} worker process(es)")
    print("gap = value / bks_dominance - 1 (bks_dominance: best known over dominated instances, see the README)")


def save(rows: list[dict], summary: dict, args: argparse.Namespace) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    with open(RESULTS / f"vrpod-{stamp}.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=[k for k in rows[0] if k != "violations"], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    meta = {"seconds": args.seconds, "workers": args.workers, "only": args.only, "machine": machine_info()}
    (RESULTS / f"vrpod-{stamp}.json").write_text(json.dumps({**meta, "summary": summary, "rows": rows}, indent=1))
    print(f"written: {RESULTS / f'vrpod-{stamp}.csv'} and .json")


if __name__ == "__main__":
    main()
