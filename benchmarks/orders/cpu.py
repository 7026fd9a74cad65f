"""What an order costs the stack in CPU: each process's CPU time per order at a
rate the stack keeps up with, less what the same process uses idle over the same
time (consumers poll while nothing happens).

    .venv/bin/python benchmarks/orders/cpu.py               # 15 orders/s for 20 s
    .venv/bin/python benchmarks/orders/cpu.py --rate 10 --seconds 30

Starts its own embedded stack and seeds Kreis Höxter (as run.py does), places a
few orders through the API to have the API's OrderPlaced events, waits until the
stack is idle, measures its idle CPU for `--idle` seconds, then puts OrderPlaced
events on orders.orders by the clock (run.py's part b) and waits until all are
decided. CPU times come from /proc; run it on two checkouts to compare them (the
figure is steadier than a throughput limit on a shared machine).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench  # noqa: E402


def cpu_seconds(stack) -> dict[str, float]:
    ticks = os.sysconf("SC_CLK_TCK")
    out = {}
    for process in stack.state().processes:
        try:
            fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, TypeError):
            continue
        out[process.name] = (int(fields[11]) + int(fields[12])) / ticks
    return out


async def measure(rate: float, seconds: float, idle_s: float) -> None:
    async def work(stack, platform, reader, seeded, region):
        await bench.settled(stack)
        templates = await bench.api_templates(stack, platform, reader, seeded, region)
        await bench.settled(stack)
        before = cpu_seconds(stack)
        started = time.monotonic()
        await asyncio.sleep(idle_s)
        after_idle = cpu_seconds(stack)
        idle = {name: (after_idle[name] - before[name]) / (time.monotonic() - started) for name in after_idle}
        began = time.monotonic()
        [result] = await bench.throughput_runs(stack, reader, templates, [rate], seconds)
        used = cpu_seconds(stack)
        elapsed = time.monotonic() - began
        per_order = {name: ((used[name] - after_idle[name]) - idle[name] * elapsed) * 1000 / result.orders
                     for name in used}
        print()
        print(f"{result.orders} orders at {rate:.0f}/s for {seconds:.0f} s: {result.decided} decided, "
              f"placed -> decided p50 / p99 {result.p50_s * 1000:.0f} / {result.p99_s * 1000:.0f} ms; {result.load}")
        print(f"idle stack: {sum(idle.values()):.2f} cores")
        print(f"CPU per order beyond idle: {sum(per_order.values()):.1f} ms")
        for name, ms in sorted(per_order.items(), key=lambda kv: -kv[1]):
            if ms >= 0.1:
                print(f"    {name:<18} {ms:6.1f} ms")

    await bench.with_stack(1, work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=15.0, help="orders per second, one the stack keeps up with")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idle CPU measured first")
    args = parser.parse_args()
    asyncio.run(measure(args.rate, args.seconds, args.idle))


if __name__ == "__main__":
    main()
