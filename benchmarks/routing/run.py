"""Routing benchmark: Solomon VRPTW and Li & Lim PDPTW with the service's solver.

    .venv/bin/python benchmarks/routing/run.py [--seconds 5] [--only C101,lc101] [--workers 2]

Each instance is converted into the solver's input model, solved by the same
entry point the routing worker uses (`solve_in_pool`, one search strategy per
worker process, best plan kept), re-checked by the independent checker on the
exact double-precision distances, and compared with the best known solution.
Results go to stdout and to benchmarks/results/ (git-ignored).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # run as a script from anywhere

from benchmarks.machine import machine_info  # noqa: E402

from benchmarks.routing.instances import SCALE, find_instances, read_instance, best_known  # noqa: E402
from services.routing.domain.solver import (  # noqa: E402
    PORTFOLIO,
    check_solution,
    recompute_distance,
    solve_in_pool,
)

DEFAULT_INSTANCES = REPO.parent / "shared" / "benchmarks"
RESULTS = REPO / "benchmarks" / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="time budget per instance (wall clock)")
    parser.add_argument("--only", default="", help="comma-separated instance names, e.g. C101,lc101")
    parser.add_argument("--workers", type=int, default=2, help=f"processes per instance, at most {len(PORTFOLIO)}")
    parser.add_argument("--instances", type=Path, default=DEFAULT_INSTANCES, help="folder with vrptw/ and pdptw/")
    parser.add_argument("--no-save", action="store_true", help="do not write benchmarks/results/")
    args = parser.parse_args()
    rows = asyncio.run(run(args))
    summary = summarise(rows)
    print_summary(summary, args)
    if not args.no_save:
        save(rows, summary, args)


async def run(args: argparse.Namespace) -> list[dict]:
    wanted = {name.strip().lower() for name in args.only.split(",") if name.strip()}
    paths = [p for p in find_instances(args.instances) if not wanted or p.stem.lower() in wanted]
    if not paths:
        raise SystemExit(f"no instances found under {args.instances}")
    strategies = PORTFOLIO[: max(1, min(args.workers, len(PORTFOLIO)))]
    print(f"{len(paths)} instances, {args.seconds:g} s each, {len(strategies)} process(es): "
          f"{', '.join(s.name for s in strategies)}")
    print(f"{'instance':9} {'veh':>4} {'distance':>10} {'BKS veh':>7} {'BKS dist':>10} {'gap %':>7} "
          f"{'feasible':>8} {'dropped':>7} {'wall s':>6}")
    rows = []
    with ProcessPoolExecutor(max_workers=len(strategies)) as pool:
        for path in paths:
            instance = read_instance(path, args.seconds)
            started = time.monotonic()
            solution = await solve_in_pool(pool, instance.problem, strategies)
            wall = time.monotonic() - started
            violations = check_solution(instance.problem, solution, travel=instance.exact)
            distance = recompute_distance(instance.problem, solution, travel=instance.exact) / SCALE
            bks = best_known(args.instances, instance)
            row = {
                "instance": instance.name,
                "family": instance.family,
                "group": instance.group,
                "vehicles": solution.vehicles_used,
                "distance": round(distance, 2),
                "bks_vehicles": bks.vehicles if bks else None,
                "bks_distance": bks.distance if bks else None,
                "gap_percent": round((distance / bks.distance - 1) * 100, 2) if bks else None,
                "same_vehicles": bks is not None and solution.vehicles_used == bks.vehicles,
                "feasible": not violations and not solution.dropped,
                "dropped": len(solution.dropped),
                "violations": [str(v) for v in violations[:5]],
                "strategy": solution.strategy,
                "wall_seconds": round(wall, 2),
            }
            rows.append(row)
            print_row(row)
            for v in violations[:5]:
                print(f"    {v}")
    return rows


def print_row(row: dict) -> None:
    gap = "-" if row["gap_percent"] is None else f"{row['gap_percent']:.2f}"
    if row["family"] == "li_lim" and not row["same_vehicles"]:
        gap += "*"  # vehicles differ from the vehicles-first BKS: distance gap not comparable
    print(f"{row['instance']:9} {row['vehicles']:>4} {row['distance']:>10.2f} {row['bks_vehicles'] or '-':>7} "
          f"{row['bks_distance'] or 0:>10.2f} {gap:>7} {'yes' if row['feasible'] else 'NO':>8} "
          f"{row['dropped']:>7} {row['wall_seconds']:>6.2f}", flush=True)


def _comparable(row: dict) -> bool:
    """Solomon: distance BKS for the given fleet. Li & Lim: only with the BKS's vehicle count."""
    if row["gap_percent"] is None:
        return False
    return row["family"] == "solomon" or row["same_vehicles"]


def summarise(rows: list[dict]) -> dict:
    def block(selected: list[dict]) -> dict:
        comparable = [r["gap_percent"] for r in selected if _comparable(r)]
        return {
            "instances": len(selected),
            "feasible": sum(r["feasible"] for r in selected),
            "comparable": len(comparable),
            "mean_gap_percent": round(statistics.fmean(comparable), 2) if comparable else None,
            "vehicles": sum(r["vehicles"] for r in selected),
            "bks_vehicles": sum(r["bks_vehicles"] or 0 for r in selected),
        }

    groups = sorted({(r["family"], r["group"]) for r in rows}, key=lambda fg: (fg[0] != "solomon", fg[1].lower()))
    return {
        "groups": {g: block([r for r in rows if r["group"] == g]) for _, g in groups},
        "families": {f: block([r for r in rows if r["family"] == f]) for f in sorted({r["family"] for r in rows})},
        "all": block(rows),
    }


def print_summary(summary: dict, args: argparse.Namespace) -> None:
    print()
    print(f"{'class':8} {'n':>3} {'feasible':>8} {'mean gap %':>10} {'compared':>8} {'vehicles':>8} {'BKS veh':>7}")
    for label, block in list(summary["groups"].items()) + list(summary["families"].items()) + [("all", summary["all"])]:
        gap = "-" if block["mean_gap_percent"] is None else f"{block['mean_gap_percent']:.2f}"
        print(f"{label:8} {block['instances']:>3} {block['feasible']:>8} {gap:>10} {block['comparable']:>8} "
              f"{block['vehicles']:>8} {block['bks_vehicles']:>7}")
    m = machine_info()
    print(f"\n{m['date']}  {m['cores']} cores, {m['cpu']}, load average {m['load_average']} (machine shared), "
          f"{args.seconds:g} s per instance, {args.workers} worker process(es)")
    print("Li & Lim gaps only where the vehicle count equals the vehicles-first BKS (others marked *).")


def save(rows: list[dict], summary: dict, args: argparse.Namespace) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    with open(RESULTS / f"routing-{stamp}.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=[k for k in rows[0] if k != "violations"], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    meta = {"seconds": args.seconds, "workers": args.workers, "machine": machine_info()}
    (RESULTS / f"routing-{stamp}.json").write_text(json.dumps({**meta, "summary": summary, "rows": rows}, indent=1))
    print(f"written: {RESULTS / f'routing-{stamp}.csv'} and .json")


if __name__ == "__main__":
    main()
