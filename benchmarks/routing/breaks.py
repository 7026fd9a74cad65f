"""What planned driver breaks cost on a Höxter day: the same generated days planned with
the region's four vans without breaks and with Regulation (EC) 561/2006 breaks on every
van, served shipments, km and euros side by side.

    .venv/bin/python benchmarks/routing/breaks.py                 # 40 and 115 orders, 3 seeds each
    .venv/bin/python benchmarks/routing/breaks.py --orders 40 --seeds 3,7 --seconds 3

Each day goes through the routing service's own planning (`build_problem`,
`solve_in_rounds`, one search in this process, as in the unit test of the day) and
every plan through the independent checker. The optimiser bounds the elapsed time
between breaks (stricter than the regulation's driving time): these figures are the
price of that model, which is why the region packs leave breaks off.
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
from services.routing.domain.solver import check_solution, solve  # noqa: E402
from services.routing.handlers.travel import great_circle_source  # noqa: E402

SOURCE = great_circle_source()


def plan(orders: int, seed: int, seconds: int, breaks: bool) -> dict:
    """Served share, km, euros and breaks of one generated day's plan."""
    shipments = demo_day(orders=orders, seed=seed)
    hub = REGION.hub
    depot = records.Depot(depot_id=hub.id, name=hub.name, location=records.GeoPoint(lat=hub.lat, lon=hub.lon))
    fleet = region_fleet(REGION, DAY)
    if breaks:
        fleet = [replace(v, break_after_s=EU_DRIVING_BEFORE_BREAK_S, break_s=EU_BREAK_S) for v in fleet]
    request = new_event(records.RoutePlanRequested, producer="benchmark", plan_id=f"plan-{seed}", day=DAY,
                        depot=depot, vehicles=fleet, jobs=[], time_budget_s=seconds)
    inp = build_problem(request, shipments, lambda locations: asyncio.run(SOURCE.matrix(locations)))

    async def here(problem):
        return solve(problem)

    final, solution = asyncio.run(solve_in_rounds(inp, here))
    if check_solution(final.problem, solution):
        raise SystemExit(f"the plan of seed {seed} ({'with' if breaks else 'without'} breaks) fails the checker")
    return {"served": final.served_shipments(solution) / len(shipments), "km": solution.distance_m / 1000,
            "eur": solution.cost, "breaks": sum(len(t.breaks) for t in solution.tours)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", default="40,115", help="comma-separated day sizes in orders")
    parser.add_argument("--seeds", default="3,7,11", help="comma-separated seeds of the generated days")
    parser.add_argument("--seconds", type=int, default=0, help="budget per plan (default: 3 s for 40 orders, else 5)")
    args = parser.parse_args()
    print(machine_info())
    print(f"{'orders':>6} {'seed':>4} {'s':>2} | {'served':>7} {'km':>7} {'euros':>8} | with breaks: "
          f"{'served':>7} {'km':>7} {'euros':>8} {'breaks':>6} | km ratio")
    for orders in (int(n) for n in args.orders.split(",")):
        seconds = args.seconds or (3 if orders <= 40 else 5)
        ratios, served = [], []
        for seed in (int(s) for s in args.seeds.split(",")):
            free, rested = plan(orders, seed, seconds, False), plan(orders, seed, seconds, True)
            ratios.append(rested["km"] / free["km"])
            served.append((free["served"], rested["served"]))
            print(f"{orders:>6} {seed:>4} {seconds:>2} | {free['served']:>7.0%} {free['km']:>7.1f} {free['eur']:>8.2f} "
                  f"|              {rested['served']:>7.0%} {rested['km']:>7.1f} {rested['eur']:>8.2f} "
                  f"{rested['breaks']:>6} | {ratios[-1]:.2f}")
        print(f"{orders:>6} median: served {statistics.median(a for a, _ in served):.0%} without, "
              f"{statistics.median(b for _, b in served):.0%} with breaks; km ratio {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
