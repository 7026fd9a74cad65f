"""What both insights benchmarks share: a stack of their own on private ports
(started with `nahnetz up` when none is running there, stopped again at the end),
the machine line and the percentile."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

REPO = Path(__file__).resolve().parents[2]
NAHNETZ = str(Path(sys.executable).parent / "nahnetz")


def percentile(values: list[float], q: float) -> float:
    """Nearest rank: the smallest value with at least q % of the values at or below it."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def use_private_stack(defaults: Mapping[str, str]) -> None:
    """Take the stack's run dir and ports from the environment, else from `defaults`
    (this process and every `nahnetz` it starts)."""
    for name, value in defaults.items():
        os.environ.setdefault(name, value)


@dataclass
class Stack:
    """The stack at NAHNETZ_RUN_DIR: its broker, Redis and the URLs of its processes."""

    bootstrap: str
    redis_url: str
    apis: dict[str, str]
    workers: list[str]
    started_here: bool

    @property
    def run_dir(self) -> str:
        return os.environ["NAHNETZ_RUN_DIR"]

    def redis_db(self, db: int) -> str:
        base, _, _ = self.redis_url.rpartition("/")
        return f"{base}/{db}"


def nahnetz(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([NAHNETZ, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout)


def simulate(days: int, orders_per_day: int, seed: int) -> None:
    """`nahnetz simulate` on the stack: market days with residents ordering, timed."""
    print(f"\n## Simulation: nahnetz simulate --days {days} --orders-per-day {orders_per_day} --seed {seed}",
          flush=True)
    began = time.monotonic()
    result = nahnetz("simulate", "--days", str(days), "--orders-per-day", str(orders_per_day), "--seed", str(seed),
                     timeout=4 * 3600)
    took = time.monotonic() - began
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    print(f"took {took:.0f} s ({took / 60:.1f} min); its last line: {lines[-1] if lines else '(none)'}")
    if result.returncode != 0:
        raise SystemExit(f"nahnetz simulate failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


def running_stack() -> Stack | None:
    from nahnetz.stack.config import StackConfig
    from nahnetz.stack.state import StackState

    state = StackState.load(StackConfig.from_env().state_path)
    if state is None or not state.alive():
        return None
    return Stack(bootstrap=state.bootstrap, redis_url=state.redis_url,
                 apis={p.name.removesuffix("-api"): p.url.rstrip("/") for p in state.processes if p.kind == "api"},
                 workers=[p.url for p in state.processes if p.kind == "worker"], started_here=False)


def start_stack() -> Stack:
    """The running stack at NAHNETZ_RUN_DIR, or a new one (`nahnetz up --no-seed --detach`)."""
    stack = running_stack()
    if stack is not None:
        print(f"using the running stack in {os.environ['NAHNETZ_RUN_DIR']} (left running)", flush=True)
        return stack
    print(f"starting a stack in {os.environ['NAHNETZ_RUN_DIR']} (broker {os.environ['NAHNETZ_BROKER_PORT']}, "
          f"Redis {os.environ['NAHNETZ_REDIS_PORT']}) ...", flush=True)
    result = nahnetz("up", "--no-seed", "--detach")
    stack = running_stack()
    if result.returncode != 0 or stack is None:
        stop_stack(Stack("", "", {}, [], started_here=True))
        raise SystemExit(f"nahnetz up failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    stack.started_here = True
    return stack


def stop_stack(stack: Stack | None) -> None:
    """`nahnetz down`, only for a stack this run started."""
    if stack is not None and stack.started_here:
        result = nahnetz("down", timeout=180)
        print(f"nahnetz down: {'done' if result.returncode == 0 else result.stderr[-500:]}", flush=True)
