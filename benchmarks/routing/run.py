"""Routing benchmark: Solomon / Homberger VRPTW and Li & Lim PDPTW, ours beside peers.

    .venv/bin/python benchmarks/routing/run.py [--seconds 5] [--sets solomon,lilim] [--only C101,lc101]
        [--workers 2] [--peers pyvrp,vroom] [--objective distance|vehicles-first]
        [--curve 2,5,10,30] [--busy N]

Each instance is converted into the solver's input model, solved by the same
entry point the routing worker uses (`solve_in_pool`, one search strategy per
worker process, best plan kept), re-checked by the independent checker on the
exact double-precision distances, and compared with the best known solution.
With --peers, PyVRP and VROOM solve the same instance one after the other (never
beside ours) with the same budget and cores; their plans go through the same
checker and distance recomputation. Results go to stdout and to
benchmarks/results/ (git-ignored).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import sys
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # run as a script from anywhere

from benchmarks.machine import machine_info  # noqa: E402

from benchmarks.routing import stats  # noqa: E402
from benchmarks.routing.busy import burners  # noqa: E402
from benchmarks.routing.instances import (  # noqa: E402
    SCALE, SETS, Instance, best_known, find_instances, read_instance, with_fixed_cost,
)
from services.routing.domain.solver import (  # noqa: E402
    PORTFOLIO,
    Solution,
    check_solution,
    recompute_distance,
    solve_in_pool,
)

DEFAULT_INSTANCES = REPO.parent / "shared" / "benchmarks"
RESULTS = REPO / "benchmarks" / "results"
# Vehicles-first: a van costs more than any plan's whole distance (< 10,000 in these sets),
# so one van fewer always wins, then distance decides.
VEHICLE_FIXED_COST = 100_000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="time budget per instance and solver (wall clock)")
    parser.add_argument("--sets", default="solomon,lilim", help=f"comma-separated, of: {', '.join(SETS)}")
    parser.add_argument("--only", default="", help="comma-separated instance names, e.g. C101,lc101")
    parser.add_argument("--workers", type=int, default=2,
                        help=f"processes (cores) per solver, at most {len(PORTFOLIO)}")
    parser.add_argument("--instances", type=Path, default=DEFAULT_INSTANCES,
                        help="folder laid out like shared/benchmarks")
    parser.add_argument("--peers", default="", help="comma-separated: pyvrp,vroom (needs the routing-peers extra)")
    parser.add_argument("--objective", choices=("distance", "vehicles-first"), default="distance",
                        help="vehicles-first: each van has a fixed cost that dominates distance")
    parser.add_argument("--curve", default="", help="comma-separated budgets in s: distance per budget instead")
    parser.add_argument("--busy", type=int, default=0, help="start N CPU-burning processes for the run")
    parser.add_argument("--no-save", action="store_true", help="do not write benchmarks/results/")
    args = parser.parse_args()
    args.workers = max(1, min(args.workers, len(PORTFOLIO)))
    args.peer_list = [p.strip() for p in args.peers.split(",") if p.strip()]
    args.solvers = ["ours", *args.peer_list]
    print(f"load average before: {_load()}  ({os.cpu_count()} cores; busy processes: {args.busy})")
    with burners(args.busy):
        if args.curve:
            rows = asyncio.run(curve(args))
        else:
            rows = asyncio.run(run(args))
        load_after = _load()
    print(f"load average after: {load_after}")
    if args.curve:
        summary = {}
    else:
        summary = stats.summarise(rows, args.solvers)
        print_summary(summary, args)
    if not args.no_save and rows:
        save(rows, summary, args)


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _instances(args: argparse.Namespace) -> list[Path]:
    sets = tuple(s.strip() for s in args.sets.split(",") if s.strip())
    unknown = [s for s in sets if s not in SETS]
    if unknown:
        raise SystemExit(f"unknown set(s) {unknown}; known: {', '.join(SETS)}")
    wanted = {name.strip().lower() for name in args.only.split(",") if name.strip()}
    if wanted:
        sets = tuple(SETS)  # --only finds its instances in any set
    paths = [p for p in find_instances(args.instances, sets) if not wanted or p.stem.lower() in wanted]
    if not paths:
        raise SystemExit(f"no instances found under {args.instances}")
    return paths


def _load_instance(path: Path, seconds: float, args: argparse.Namespace) -> Instance:
    instance = read_instance(path, seconds)
    if args.objective == "vehicles-first":
        instance = with_fixed_cost(instance, VEHICLE_FIXED_COST)
    return instance


async def _solve(name: str, instance: Instance, seconds: float, pool: Executor, args: argparse.Namespace):
    """(solution, wall seconds), or (None, reason) where a peer cannot model the instance."""
    started = time.monotonic()
    if name == "ours":
        solution = await solve_in_pool(pool, instance.problem, PORTFOLIO[: args.workers])
    else:
        from benchmarks.routing.peers import NotModelled, solve_peer

        try:
            solution = solve_peer(name, instance.problem, seconds, args.workers, pool)
        except NotModelled as e:
            return None, str(e)
    return solution, time.monotonic() - started


def _entry(instance: Instance, solution: Solution, wall: float, bks, args: argparse.Namespace) -> dict:
    violations = check_solution(instance.problem, solution, travel=instance.exact)
    distance = recompute_distance(instance.problem, solution, travel=instance.exact) / SCALE
    distance_bks = instance.family == "solomon" and args.objective == "distance"
    e = stats.entry(solution.vehicles_used, distance, not violations and not solution.dropped,
                    len(solution.dropped), wall, bks.vehicles if bks else None, bks.distance if bks else None,
                    distance_bks)
    e["violations"] = [str(v) for v in violations[:5]]
    return e


async def run(args: argparse.Namespace) -> list[dict]:
    paths = _instances(args)
    print(f"{len(paths)} instances, {args.seconds:g} s each per solver, {args.workers} core(s) each; "
          f"solvers: {', '.join(args.solvers)}; objective: {args.objective}")
    print_header(args)
    rows = []
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        for path in paths:
            instance = _load_instance(path, args.seconds, args)
            bks = best_known(args.instances, instance, args.objective)
            row = {"instance": instance.name, "family": instance.family, "group": instance.group,
                   "bks_vehicles": bks.vehicles if bks else None, "bks_distance": bks.distance if bks else None,
                   "load1": round(os.getloadavg()[0], 2)}
            for name in args.solvers:  # one after the other: each gets the whole machine
                solution, wall = await _solve(name, instance, args.seconds, pool, args)
                row[name] = None if solution is None else _entry(instance, solution, wall, bks, args)
                if solution is None:
                    row[f"{name}_note"] = wall
            rows.append(row)
            print_row(row, args)
    return rows


async def curve(args: argparse.Namespace) -> list[dict]:
    budgets = [float(b) for b in args.curve.split(",") if b.strip()]
    paths = _instances(args)
    print(f"convergence: {len(paths)} instance(s) x budgets {budgets} s, solvers {', '.join(args.solvers)}")
    print(f"{'instance':10} {'budget':>6} " + " ".join(f"{s:>16}" for s in args.solvers) + f" {'BKS':>14}")
    rows = []
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        for path in paths:
            for seconds in budgets:
                instance = _load_instance(path, seconds, args)
                bks = best_known(args.instances, instance, args.objective)
                row = {"instance": instance.name, "family": instance.family, "group": instance.group,
                       "budget": seconds, "bks_vehicles": bks.vehicles if bks else None,
                       "bks_distance": bks.distance if bks else None, "load1": round(os.getloadavg()[0], 2)}
                cells = []
                for name in args.solvers:
                    solution, wall = await _solve(name, instance, seconds, pool, args)
                    row[name] = None if solution is None else _entry(instance, solution, wall, bks, args)
                    cells.append(_cell(row[name]))
                rows.append(row)
                bks_cell = f"{bks.vehicles} {bks.distance:.2f}" if bks else "-"
                print(f"{instance.name:10} {seconds:>6g} " + " ".join(f"{c:>16}" for c in cells) + f" {bks_cell:>14}",
                      flush=True)
    return rows


def _cell(e: dict | None) -> str:
    if e is None:
        return "n/a"
    return f"{e['vehicles']} {e['distance']:.2f}{'' if e['feasible'] else ' NO'}"


def print_header(args: argparse.Namespace) -> None:
    head = f"{'instance':10} {'BKS':>13} | {'ours':>14} {'gap %':>7}"
    for p in args.peer_list:
        head += f" | {p:>14} {'gap %':>7} {'ours/' + p:>10}"
    print(head + f" | {'load':>5}")


def print_row(row: dict, args: argparse.Namespace) -> None:
    bks = f"{row['bks_vehicles'] or '-'} {row['bks_distance'] or 0:.2f}"
    line = f"{row['instance']:10} {bks:>13} | {_cell(row['ours']):>14} {_gap(row['ours']):>7}"
    for p in args.peer_list:
        r = stats.ratio(row["ours"], row[p])
        line += f" | {_cell(row[p]):>14} {_gap(row[p]):>7} {'-' if r is None else f'{r:.4f}':>10}"
    print(line + f" | {row['load1']:>5.2f}", flush=True)
    for name in args.solvers:
        for v in (row[name] or {}).get("violations", []):
            print(f"    {name}: {v}")


def _gap(e: dict | None) -> str:
    if e is None or e["gap_percent"] is None:
        return "-"
    # * = vehicles differ from a vehicles-first BKS: the distance gap is not comparable
    return f"{e['gap_percent']:.2f}" + ("" if e["comparable"] else "*")


def print_summary(summary: dict, args: argparse.Namespace) -> None:
    print()
    head = f"{'class':9} {'n':>3} {'BKS veh':>7} | {'ours: ok':>8} {'veh':>5} {'gap %':>6} {'cmp':>4} {'atBKS':>5}"
    for p in args.peer_list:
        head += f" | {p + ': ok':>11} {'veh':>5} {'gap %':>6} {'cmp':>4} {'ours/' + p:>10} {'n':>3}"
    print(head)
    blocks = list(summary["groups"].items()) + list(summary["families"].items()) + [("all", summary["all"])]
    for label, b in blocks:
        o = b["ours"]
        # At the BKS only means something against a vehicles-first BKS.
        at_bks = o["at_bks"] if args.objective == "vehicles-first" else "-"
        line = (f"{label:9} {b['instances']:>3} {b['bks_vehicles']:>7} | {o['feasible']:>8} {o['vehicles']:>5} "
                f"{_num(o['mean_gap_percent'], 2):>6} {o['compared']:>4} {at_bks:>5}")
        for p in args.peer_list:
            e = b[p]
            ok = f"{e['feasible']}/{e['run']}" if e["run"] else "n/a"
            line += (f" | {ok:>11} {e['vehicles']:>5} {_num(e['mean_gap_percent'], 2):>6} {e['compared']:>4} "
                     f"{_num(e['mean_ratio'], 4):>10} {e['ratio_n']:>3}")
        print(line)
    m = machine_info()
    print(f"\n{m['date']}  {m['cores']} cores, {m['cpu']}, load average {m['load_average']} (machine shared), "
          f"{args.seconds:g} s per instance and solver, {args.workers} core(s) each, objective {args.objective}, "
          f"{args.busy} busy process(es)")
    print("gap % is averaged over 'cmp' instances: all for Solomon's distance BKS, otherwise only where the "
          "vehicle count equals the vehicles-first BKS (others marked *). atBKS: vehicles equal (or fewer) "
          "and distance within 0.1 %. ours/peer: mean of per-instance distance ratios where both are feasible.")


def _num(x: float | None, digits: int) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _flat(row: dict, solvers: list[str]) -> dict:
    flat = {k: v for k, v in row.items() if not isinstance(v, dict) and k not in solvers}
    for s in solvers:
        for k, v in (row.get(s) or {}).items():
            if k != "violations":
                flat[f"{s}_{k}"] = v
    return flat


def save(rows: list[dict], summary: dict, args: argparse.Namespace) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    flat = [_flat(r, args.solvers) for r in rows]
    fields = list(dict.fromkeys(k for r in flat for k in r))
    with open(RESULTS / f"routing-{stamp}.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(flat)
    meta = {k: getattr(args, k) for k in ("seconds", "workers", "sets", "only", "peers", "objective", "curve", "busy")}
    meta["machine"] = machine_info()
    (RESULTS / f"routing-{stamp}.json").write_text(json.dumps({**meta, "summary": summary, "rows": rows}, indent=1))
    print(f"written: {RESULTS / f'routing-{stamp}.csv'} and .json")


if __name__ == "__main__":
    main()
