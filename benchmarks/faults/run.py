"""The fault campaign, full size: orders flow in while, in turn, each worker type is
killed hard (SIGKILL) and started again and Redis is restarted; then the outcome is
read off the topics (never the services' counters) and printed: every order
decided, lost, decided twice, units oversold, compartments double-booked, dead
letters, and how long each part took.

    .venv/bin/python benchmarks/faults/run.py                        # 10,000 orders at 40/s
    .venv/bin/python benchmarks/faults/run.py --orders 2000 --rate 20
    .venv/bin/python benchmarks/faults/run.py --faults catalog,redis

It starts its own embedded stack (`nahnetz.testing.EmbeddedStack`: `nahnetz up
--no-seed --detach` on free ports in a temporary run dir) with the services'
default settings, seeds a shop, its goods and pick-up points through the APIs and
runs `nahnetz.testing.faults.FaultCampaign` (the same code as the small campaign
in ./run-tests, tests/e2e/test_fault_campaign.py). Exit code 1 when an invariant
broke. Figures depend on what else runs on the machine: the load average is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform as host
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from nahnetz.testing import EmbeddedStack
from nahnetz.testing.faults import ALL_FAULTS, CampaignPlan, FaultCampaign


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f} (1 / 5 / 15 min)"


def plan_for(orders: int, rate: float, faults: tuple[str, ...]) -> CampaignPlan:
    """Stock and compartments for about half the orders each, so both run out."""
    products = max(6, min(40, orders // 250))
    points = max(3, min(12, orders // 800))  # a point has at most 500 compartments (pickup API)
    return CampaignPlan(orders=orders, rate=rate, products=products, stock=max(20, int(orders * 1.4 / products)),
                        points=points, compartments=max(20, min(500, int(orders * 0.6 / points))), faults=faults,
                        decide_timeout=max(180.0, orders / 20), settle_timeout=120.0, max_in_flight=96)


async def campaign(args: argparse.Namespace) -> int:
    plan = plan_for(args.orders, args.rate, tuple(args.faults.split(",")))
    began = datetime.now(timezone.utc)
    print(f"Fault campaign of {began:%Y-%m-%d %H:%M} UTC: machine {host.machine()}, {os.cpu_count()} cores, "
          f"Python {host.python_version()}; {load()}")
    run_dir = Path(tempfile.mkdtemp(prefix="nahnetz-faults-")) / "run"
    stack = EmbeddedStack(run_dir, env={"NAHNETZ_LOG_LEVEL": "warning"})
    try:
        started = time.monotonic()
        await asyncio.to_thread(stack.up)
        print(f"stack up in {time.monotonic() - started:.1f} s ({run_dir})")
        report = await FaultCampaign(stack, plan, say=print).run()
    finally:
        await asyncio.to_thread(stack.ensure_down)
    print()
    print(report.summary())
    print(f"{load()} at the end")
    problems = report.problems()
    print("\nRESULT: " + ("all invariants held" if not problems else "BROKEN:\n  " + "\n  ".join(problems)))
    if args.json:
        # vars, not asdict: asdict turns a Counter's items into tuple keys.
        figures = {k: v for k, v in vars(report).items() if k not in ("plan", "faults")}
        figures["faults"] = [asdict(f) for f in report.faults]
        Path(args.json).write_text(json.dumps({"date": began.isoformat(), "plan": asdict(plan), **figures},
                                              indent=2, default=str))
    return 0 if not problems else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=40.0, help="orders per second (open loop)")
    parser.add_argument("--faults", default=",".join((*ALL_FAULTS, "redis:60")),
                        help="in turn: worker types to kill and restart, `redis` to restart, `redis:60` for a 60 s outage")
    parser.add_argument("--json", help="also write the figures to this file")
    sys.exit(asyncio.run(campaign(parser.parse_args())))


if __name__ == "__main__":
    main()
