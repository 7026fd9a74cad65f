"""Supply insights, reads: how long the insights API takes to answer the questions
the municipality's pages and the open data ask, over HTTP, on a stack with folded days.

    .venv/bin/python benchmarks/insights/reads.py                    # simulate 14 days, then ask
    .venv/bin/python benchmarks/insights/reads.py --no-simulate      # the running stack's days as they are
    .venv/bin/python benchmarks/insights/reads.py --asks 10

On a stack of its own on private ports (run dir /tmp/bench-insights-reads-run; the
NAHNETZ_* variables of the environment change them): one running there is used and
left running, else `nahnetz up --no-seed --detach` starts one and `nahnetz down`
stops it at the end. `nahnetz simulate --days N` folds N market days first (seeding
the region); an answer by day covers the whole weeks and months around its range, and
every pick-up point's day counts (its compartments were there even when nothing was
ordered), so the cost follows points x days asked more than orders.

Each question is asked `--asks` times one after the other (nothing else asks): the
first answer (nothing kept from an earlier one) and the median, p95 and max of the
rest, in milliseconds, with the load average. Quote figures with the machine line.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # run as a script from anywhere

from benchmarks.insights.common import (  # noqa: E402
    Stack, percentile, simulate, start_stack, stop_stack, use_private_stack,
)
from benchmarks.machine import machine_line  # noqa: E402

PRIVATE = {"NAHNETZ_RUN_DIR": "/tmp/bench-insights-reads-run", "NAHNETZ_BROKER_PORT": "39292",
           "NAHNETZ_REDIS_PORT": "36579", "NAHNETZ_API_PORT_BASE": "31300", "NAHNETZ_WORKER_PORT_BASE": "31400"}


@dataclass(frozen=True)
class Question:
    name: str
    path: str
    headers: dict[str, str]
    params: dict[str, str]


def questions(platform, municipality: str, shop_id: str | None, today: date) -> list[Question]:
    """What the pages ask: the municipality's own page (the last 30 days by day, and by
    week), the operator's district by municipality, the open data, a shop's own figures."""
    month = {"from": (today - timedelta(days=29)).isoformat(), "to": today.isoformat()}
    quarter = {"from": (today - timedelta(days=89)).isoformat(), "to": today.isoformat()}
    town_hall = platform.token("bench-town-hall", "municipality", municipality=municipality)
    asked = [
        Question(f"municipality {municipality}, 30 days by day", f"/v1/insights/municipalities/{municipality}",
                 town_hall, {"period": "day", **month}),
        Question(f"municipality {municipality}, 90 days by week", f"/v1/insights/municipalities/{municipality}",
                 town_hall, {"period": "week", **quarter}),
        Question("operator: district by municipality, 30 days by day", "/v1/insights/district",
                 platform.operator, {"period": "day", **month}),
        Question("operator: district by municipality, 90 days by month", "/v1/insights/district",
                 platform.operator, {"period": "month", **quarter}),
        Question("public: open data, 90 days by week", "/v1/insights/open-data", {}, {"period": "week", **quarter}),
    ]
    if shop_id is not None:
        asked.append(Question("shop: its own figures, 90 days by week", f"/v1/insights/shops/{shop_id}",
                              platform.operator, {"period": "week", **quarter}))
    return asked


async def ask(client, question: Question, times: int) -> list[float]:
    took = []
    for _ in range(times):
        sent = time.perf_counter()
        answer = await client.get(question.path, headers=question.headers, params=question.params)
        took.append(time.perf_counter() - sent)
        if answer.status_code != 200:
            raise SystemExit(f"{question.name}: {answer.status_code} {answer.text[:300]}")
    return took


async def run(args) -> None:
    import httpx

    from nahnetz.clock import today_in_berlin
    from nahnetz.demo.client import Platform
    from nahnetz.demo.settle import settled

    stack: Stack | None = None
    try:
        stack = start_stack()
        if args.simulate:
            simulate(args.days, args.orders_per_day, args.seed)
        waited = await settled(stack.bootstrap, stack.workers, timeout=args.settle_timeout)
        print(f"workers settled ({waited:.1f} s)")
        platform = Platform(stack.apis)
        today = today_in_berlin(datetime.now(timezone.utc))
        async with httpx.AsyncClient(base_url=stack.apis["insights"], timeout=60.0) as client:
            kpis = await client.get("/v1/insights/kpis")
            kpis.raise_for_status()
            district = await client.get("/v1/insights/district", headers=platform.operator,
                                        params={"period": "month", "from": today.isoformat(),
                                                "to": today.isoformat()})
            district.raise_for_status()
            towns = [a["name"] for a in district.json()["periods"][0]["areas"] if a["level"] == "municipality"]
            if not towns:
                raise SystemExit("the district has no municipality yet: simulate first")
            goods = (await platform.call("catalog", "GET", "/v1/products/search", params={"limit": 1})).json()
            shop_id = goods["results"][0]["shop_id"] if goods["results"] else None
            print(f"\n{'question':56} {'first':>8} {'p50':>8} {'p95':>8} {'max':>8}   (ms, {args.asks} asks)")
            for question in questions(platform, towns[0], shop_id, today):
                took = await ask(client, question, args.asks + 1)
                first, rest = took[0], took[1:]
                print(f"{question.name:56} {1000 * first:8.1f} {1000 * statistics.median(rest):8.1f} "
                      f"{1000 * percentile(rest, 95):8.1f} {1000 * max(rest):8.1f}", flush=True)
        print(f"\nload average {os.getloadavg()[0]:.1f} (1 min); {machine_line()}")
    finally:
        stop_stack(stack)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=14, help="market days simulated first")
    parser.add_argument("--orders-per-day", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-simulate", dest="simulate", action="store_false",
                        help="ask the running stack as it is (say so when quoting figures)")
    parser.add_argument("--asks", type=int, default=20, help="times each question is asked after the first")
    parser.add_argument("--settle-timeout", type=float, default=300.0)
    args = parser.parse_args()
    use_private_stack(PRIVATE)
    print(machine_line())
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
