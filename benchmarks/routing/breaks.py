"""What planned driver breaks cost on a Höxter day: the same generated days planned with
the region's four vans without breaks and with Regulation (EC) 561/2006 breaks on every
van, the way the service plans them (a reserve on each shift, breaks placed by the
driving time: break_reserve.py) and with the optimiser's break model alone; served
shipments, km and euros side by side.

    .venv/bin/python benchmarks/routing/breaks.py                 # 40 and 115 orders, 3 seeds each
    .venv/bin/python benchmarks/routing/breaks.py --orders 40 --seeds 3,7 --seconds 3

Each day goes through the routing service's own planning (`build_problem`,
`solve_in_rounds`, one search in this process, as in the unit test of the day) and
every plan through the independent checker. The break model bounds the elapsed time
between breaks (stricter than the regulation's driving time) and slows the search:
its column is why the service plans breaks by the reserve.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # run as a script from anywhere

from benchmarks.machine import machine_info  # noqa: E402
from benchmarks.routing.hoexter_day import DAY, REGION, demo_day  # noqa: E402
from nahnetz import records  # noqa: E402
from nahnetz.events import new_event  # noqa: E402
from services.routing.domain.fleet import EU_BREAK_S, EU_DRIVING_BEFORE_BREAK_S, region_fleet  # noqa: E402
from services.routing.domain.planning import build_problem, solve_in_rounds  # noqa: E402
from services.routing.domain.solver import DEFAULT_STRATEGY, check_solution, solve  # noqa: E402
from services.routing.handlers.travel import great_circle_source  # noqa: E402

SOURCE = great_circle_source()


MODES = ("none", "reserve", "model")  # no breaks; breaks as the service plans them; the break model alone


def plan(orders: int, seed: int, seconds: int, mode: str) -> dict:
    """Served share, km, euros and breaks of one generated day's plan."""
    shipments = demo_day(orders=orders, seed=seed)
    hub = REGION.hub
    depot = records.Depot(depot_id=hub.id, name=hub.name, location=records.GeoPoint(lat=hub.lat, lon=hub.lon))
    breaks = (None, None) if mode == "none" else (EU_DRIVING_BEFORE_BREAK_S, EU_BREAK_S)
    fleet = [replace(v, break_after_s=breaks[0], break_s=breaks[1]) for v in region_fleet(REGION, DAY)]
    strategy = replace(DEFAULT_STRATEGY, reserve_breaks=mode != "model")
    request = new_event(records.RoutePlanRequested, producer="benchmark", plan_id=f"plan-{seed}", day=DAY,
                        depot=depot, vehicles=fleet, jobs=[], time_budget_s=seconds)
    inp = build_problem(request, shipments, lambda locations: asyncio.run(SOURCE.matrix(locations)))

    async def here(problem):
        return solve(problem, strategy)

    final, solution = asyncio.run(solve_in_rounds(inp, here))
    if check_solution(final.problem, solution):
        raise SystemExit(f"the plan of seed {seed} (breaks: {mode}) fails the checker")
    return {"served": final.served_shipments(solution) / len(shipments), "km": solution.distance_m / 1000,
            "eur": solution.cost, "breaks": sum(len(t.breaks) for t in solution.tours)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", default="40,115", help="comma-separated day sizes in orders")
    parser.add_argument("--seeds", default="3,7,11", help="comma-separated seeds of the generated days")
    parser.add_argument("--seconds", type=int, default=0, help="budget per plan (default: 3 s for 40 orders, else 5)")
    args = parser.parse_args()
    print(machine_info())
    columns = " | ".join(f"{mode + ':':<8} {'served':>6} {'km':>7} {'euros':>8} {'breaks':>6}" for mode in MODES)
    print(f"{'orders':>6} {'seed':>4} {'s':>2} | {columns} | km ratio reserve, model")
    for orders in (int(n) for n in args.orders.split(",")):
        seconds = args.seconds or (3 if orders <= 40 else 5)
        days = []
        for seed in (int(s) for s in args.seeds.split(",")):
            day = {mode: plan(orders, seed, seconds, mode) for mode in MODES}
            days.append(day)
            cells = " | ".join(f"{'':<8} {day[m]['served']:>6.0%} {day[m]['km']:>7.1f} {day[m]['eur']:>8.2f} "
                               f"{day[m]['breaks']:>6}" for m in MODES)
            print(f"{orders:>6} {seed:>4} {seconds:>2} | {cells} | {day['reserve']['km'] / day['none']['km']:.2f}, "
                  f"{day['model']['km'] / day['none']['km']:.2f}")
        served = ", ".join(f"{m} {statistics.median(d[m]['served'] for d in days):.0%}" for m in MODES)
        ratios = ", ".join(f"{m} {statistics.median(d[m]['km'] / d['none']['km'] for d in days):.2f}"
                           for m in MODES[1:])
        print(f"{orders:>6} median: served {served}; km ratio to no breaks: {ratios}")


if __name__ == "__main__":
    main()
