"""`nahnetz simulate --days N`: run past days of the region through a running stack
(`nahnetz.demo.simulate`), with a progress bar on a terminal and a line per market
day elsewhere (logs, CI)."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import datetime, timezone

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from ..clock import today_in_berlin
from ..demo.client import DemoError, Platform
from ..regions import load_region
from .config import StackConfig
from .processes import StackError
from .state import StackState, StateFileError

def _stack() -> tuple[StackConfig, StackState]:
    config = StackConfig.from_env()
    state = StackState.load(config.state_path)
    if state is None or not state.alive():
        raise StackError("no Nahnetz stack is running: start one with `nahnetz up --no-seed --detach`")
    return config, state


def _api_urls(state: StackState) -> dict[str, str]:
    return {p.name.removesuffix("-api"): p.url.rstrip("/") for p in state.processes if p.kind == "api"}


async def _simulate(config: StackConfig, state: StackState, days: int, orders_per_day: int, seed_value: int, seed_region: bool,
                    console: Console) -> int:
    from ..demo.simulate import Clock, simulate, summary_line

    region = load_region(state.region or "kreis_hoexter")
    platform = Platform(_api_urls(state))
    wall_today = today_in_berlin(datetime.now(timezone.utc))  # not the stack's clock: that is what moves
    say = console.print if not console.is_terminal else (lambda _line: None)
    began = time.monotonic()
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("Markttage / market days"), TimeElapsedColumn(), TimeRemainingColumn(),
                  console=console, disable=not console.is_terminal) as bar:
        task = bar.add_task(f"{region.name}: {days} Tage / days", total=None)

        def progress(simulated, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=f"{simulated.day:%d.%m.%Y}")
            if not console.is_terminal:
                console.print(summary_line(simulated))

        try:
            workers = [p.url for p in state.processes if p.kind == "worker"]
            clock = Clock(config.clock_path, state.bootstrap, workers)
            simulation = await simulate(platform, region, clock, days=days, orders_per_day=orders_per_day,
                                        seed_value=seed_value, today=wall_today, say=say, progress=progress,
                                        seed_region=seed_region)
        finally:
            await platform.close()
    console.print(f"{len(simulation.days)} Markttage / market days {simulation.first:%d.%m.%Y}–{simulation.last:%d.%m.%Y}, "
                  f"{simulation.orders} Bestellungen / orders in {time.monotonic() - began:.0f} s "
                  f"({clock.waited_s:.0f} s waiting for the workers before the clock moved); "
                  f"die Uhr geht wieder richtig / the clock is back on the wall clock")
    return 0


def simulate_days(days: int, orders_per_day: int, seed_value: int, seed_region: bool) -> int:
    console = Console(soft_wrap=True, markup=False)  # a line per day stays one line in a log, as written
    try:
        config, state = _stack()
        return asyncio.run(_simulate(config, state, days, orders_per_day, seed_value, seed_region, console))
    except (StackError, StateFileError, DemoError) as exc:
        console.print(f"nahnetz simulate: {exc}", style="red")
        return 1
