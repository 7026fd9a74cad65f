"""Supply insights, rebuild (issue #12): "rebuilding all KPIs from the topics of a
simulated 90 days of Kreis Höxter runs at a rate we measure, and gives figures
identical to the live ones".

    .venv/bin/python benchmarks/insights/rebuild.py                      # simulate 90 days, then rebuild 3 times
    .venv/bin/python benchmarks/insights/rebuild.py --no-simulate        # the running stack's days as they are
    .venv/bin/python benchmarks/insights/rebuild.py --days 14 --runs 1   # a quicker run

On a stack of its own on private ports (run dir /tmp/bench-insights-rebuild-run,
broker 39192, Redis 36479, APIs 38400+n, workers 38500+n; the NAHNETZ_* variables of
the environment change them): one running there is used and left running, else
`nahnetz up --no-seed --detach` starts one and `nahnetz down` stops it at the end.

1. Simulation: `nahnetz simulate --days 90 --orders-per-day 60` (timed; its summary
   line gives the market days and orders). `--no-simulate` takes the stack's topics as
   they are (say so when quoting figures).
2. Settled: `nahnetz.demo.settle.settled`: every worker's group committed to the ends.
3. Rebuild: `services.insights.rebuild.rebuild(settings, redis, insights)`, the very
   function `python -m services.insights.rebuild --yes` runs, but handed a client of
   another database of the stack's Redis (`--target-db`, 7): it reads every topic the
   worker folds from its beginning, clears the `insights:` keys and processed markers
   *of that database* and folds the events with the worker's handlers. The live
   database (0) and the live worker are never touched, so nothing needs stopping and
   no keys are copied; rebuild.py needed no change. Timed over `--runs` runs (median);
   events = events folded + events skipped (as the worker dead-lets them). Reading
   the topics alone is timed once as well.
4. Identity: every `insights:` key of the live and the rebuilt database, by type
   (string, hash, set, sorted set, list), must be equal; and the insights API (its app
   over ASGI, `services.insights.api.create_app`, once on each database) must answer
   the same for the district by day over the simulated days, by week and by month,
   and the open data. Live may still move after the simulation (timers on the wall
   clock: parcels expiring), so the live keys are read just before and just after the
   rebuild that is compared, and it is tried again (`--attempts`) until they stood still.
5. Trend: the district's orders per ISO week from the API.

90 simulated days take about 25 minutes on 2 cores (README, "Supply insights:
freshness and rebuild"), most of it waiting for the workers before each clock move.

The machine is shared (2 cores in the sandbox); the load average is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # run as a script from anywhere

from benchmarks.insights.common import (  # noqa: E402
    Stack, simulate, start_stack, stop_stack, use_private_stack,
)
from benchmarks.machine import machine_line  # noqa: E402

PRIVATE = {"NAHNETZ_RUN_DIR": "/tmp/bench-insights-rebuild-run", "NAHNETZ_BROKER_PORT": "39192",
           "NAHNETZ_REDIS_PORT": "36479", "NAHNETZ_API_PORT_BASE": "38400", "NAHNETZ_WORKER_PORT_BASE": "38500"}
STATE_MATCH = "insights:*"


# --- the pure part ------------------------------------------------------------------


def key_differences(live: dict[str, Any], rebuilt: dict[str, Any]) -> list[str]:
    """What differs between two snapshots {key: (type, value)}: keys only in one, and
    keys whose type or value differ, one line each (sorted)."""
    out = [f"only live: {k}" for k in sorted(live.keys() - rebuilt.keys())]
    out += [f"only rebuilt: {k}" for k in sorted(rebuilt.keys() - live.keys())]
    out += [f"differs: {k}: live {live[k]!r} rebuilt {rebuilt[k]!r}"[:400]
            for k in sorted(live.keys() & rebuilt.keys()) if live[k] != rebuilt[k]]
    return out


def answer_differences(live: Any, rebuilt: Any, where: str = "") -> list[str]:
    """Paths at which two JSON answers differ (dicts by key, lists by position)."""
    if isinstance(live, dict) and isinstance(rebuilt, dict):
        out = [f"{where}/{k}: only in one" for k in sorted(live.keys() ^ rebuilt.keys(), key=str)]
        for k in sorted(live.keys() & rebuilt.keys(), key=str):
            out += answer_differences(live[k], rebuilt[k], f"{where}/{k}")
        return out
    if isinstance(live, list) and isinstance(rebuilt, list):
        out = [] if len(live) == len(rebuilt) else [f"{where}: {len(live)} vs {len(rebuilt)} items"]
        for n, (a, b) in enumerate(zip(live, rebuilt)):
            out += answer_differences(a, b, f"{where}[{n}]")
        return out
    return [] if live == rebuilt else [f"{where}: live {live!r} rebuilt {rebuilt!r}"]


def weekly_orders(answer: dict[str, Any]) -> list[tuple[str, int | None]]:
    """(ISO week, the district's orders) from a `period=week` answer; None where suppressed."""
    out = []
    for period in answer["periods"]:
        start = date.fromisoformat(str(period["start"]))
        iso = start.isocalendar()
        cell = next(r for r in period["areas"] if r["level"] == "district")["values"]["orders"]
        out.append((f"{iso.year}-W{iso.week:02d}", None if cell.get("suppressed") else cell.get("value")))
    return out


# --- against the stack --------------------------------------------------------------


async def snapshot(redis) -> dict[str, tuple[str, Any]]:
    """Every `insights:` key with its type and value, type-aware."""
    out = {}
    async for key in redis.scan_iter(match=STATE_MATCH, count=1000):
        kind = await redis.type(key)
        kind = kind.decode() if isinstance(kind, bytes) else kind
        if kind == "string":
            value = await redis.get(key)
        elif kind == "hash":
            value = await redis.hgetall(key)
        elif kind == "set":
            value = sorted(await redis.smembers(key))
        elif kind == "zset":
            value = await redis.zrange(key, 0, -1, withscores=True)
        elif kind == "list":
            value = await redis.lrange(key, 0, -1)
        else:
            value = f"<{kind}>"
        out[key] = (kind, value)
    return out


async def answers(settings, insights, first: date, last: date) -> dict[str, Any]:
    from nahnetz.kit.auth import issue_token
    from nahnetz.testing import api_client
    from services.insights.api import create_app

    staff = {"Authorization": f"Bearer {issue_token(settings.jwt_secret, 'bench-operator', 'operator')}"}
    span = {"from": first.isoformat(), "to": last.isoformat()}
    asked = {f"district by {p}": ("/v1/insights/district", staff, {"period": p, **span})
             for p in ("day", "week", "month")}
    asked["open data by week"] = ("/v1/insights/open-data", {}, {"period": "week", **span})
    out = {}
    async with api_client(create_app(settings, insights)) as client:
        for name, (path, headers, params) in asked.items():
            answer = await client.get(path, headers=headers, params=params)
            answer.raise_for_status()
            out[name] = answer.json()
    return out


async def run(args) -> int:
    from nahnetz.demo.settle import settled
    from nahnetz.clock import today_in_berlin
    from nahnetz.kit.redis import connect
    from nahnetz.kit.settings import load_settings
    from services.insights.rebuild import TOPICS, clear_state, read_topic, rebuild
    from services.insights.settings import load_insights_settings

    stack: Stack | None = None
    try:
        stack = start_stack()
        if args.simulate:
            simulate(args.days, args.orders_per_day, args.seed)
        else:
            print("\n## Simulation: not run here (--no-simulate): the stack's topics as they are")
        waited = await settled(stack.bootstrap, stack.workers, timeout=args.settle_timeout)
        print(f"workers settled ({waited:.1f} s)")

        live_url, target_url = stack.redis_url, stack.redis_db(args.target_db)
        if live_url == target_url:
            raise SystemExit("the target database is the live one: choose another --target-db")
        settings = load_settings(KAFKA_BOOTSTRAP=stack.bootstrap, REDIS_URL=live_url)
        rebuilt_settings = load_settings(KAFKA_BOOTSTRAP=stack.bootstrap, REDIS_URL=target_url)
        insights = load_insights_settings(settings)
        live = connect(live_url, client_name="bench-live")
        target = connect(target_url, client_name="bench-rebuild")
        try:
            print(f"live: {len(await snapshot(live))} insights: keys in {live_url}")

            print(f"\n## Rebuild into {target_url} ({args.runs} run(s))", flush=True)
            began = time.monotonic()
            read = [len((await read_topic(stack.bootstrap, t))[0]) for t in TOPICS]
            print(f"reading the {len(TOPICS)} topics alone: {sum(read)} events in {time.monotonic() - began:.2f} s")
            runs = []
            for n in range(args.runs):
                began = time.monotonic()
                replayed = await rebuild(rebuilt_settings, target, insights)
                took = time.monotonic() - began
                events = sum(replayed.counts.values()) + replayed.skipped
                runs.append((took, events, replayed))
                print(f"  run {n + 1}: {events} events ({replayed.skipped} skipped) in {took:.2f} s: "
                      f"{events / took:.0f} events/s", flush=True)
            median_s = statistics.median(t for t, _, _ in runs)
            events = runs[-1][1]
            print(f"rebuild: {events} events, median {median_s:.2f} s over {len(runs)} run(s): "
                  f"{events / median_s:.0f} events/s")
            for name, count in runs[-1][2].counts.items():
                print(f"  {name:24} {count:7d}")

            print("\n## Identity", flush=True)
            # The live state may still move after the simulation (a timer on the wall clock,
            # parcels expiring): compare only a rebuild around which live stood still.
            for attempt in range(1, args.attempts + 1):
                await settled(stack.bootstrap, stack.workers, timeout=args.settle_timeout)
                before = await snapshot(live)
                await rebuild(rebuilt_settings, target, insights)
                rebuilt, after = await snapshot(target), await snapshot(live)
                moved = key_differences(before, after)
                if not moved:
                    break
                print(f"  attempt {attempt}: {len(moved)} live keys changed meanwhile (first: {moved[0][:160]}); "
                      f"again", flush=True)
            differences = key_differences(after, rebuilt)
            kinds = sorted({kind for kind, _ in after.values()})
            print(f"keys compared: {len(after.keys() | rebuilt.keys())} "
                  f"({', '.join(f'{sum(1 for k, _ in after.values() if k == t)} {t}' for t in kinds)}); "
                  f"differences: {len(differences)}" + (" (live stood still around this rebuild)" if not moved else
                                                         " (VOID: live kept changing)"))
            for line in differences[:20]:
                print(f"  {line}")

            wall_today = today_in_berlin(datetime.now(timezone.utc))
            first = wall_today - timedelta(days=args.days)
            live_answers = await answers(settings, insights, first, wall_today)
            rebuilt_answers = await answers(rebuilt_settings, insights, first, wall_today)
            unequal = 0
            for name in live_answers:
                diff = answer_differences(live_answers[name], rebuilt_answers[name])
                unequal += bool(diff)
                cells = sum(len(r["values"]) for p in live_answers[name]["periods"] for r in p["areas"])
                print(f"API {name} {first}..{wall_today}: {len(live_answers[name]['periods'])} periods, "
                      f"{cells} cells: {'identical' if not diff else f'{len(diff)} DIFFERENCES'}")
                for line in diff[:10]:
                    print(f"  {line}")

            print("\n## Trend: the district's orders per ISO week (API, live)")
            weeks = weekly_orders(live_answers["district by week"])
            top = max((v or 0 for _, v in weeks), default=0) or 1
            for week, value in weeks:
                bar = "#" * round(40 * (value or 0) / top)
                print(f"  {week}  {'suppressed' if value is None else value:>10}  {bar}")

            await clear_state(target)  # leave the spare database empty
        finally:
            await live.aclose()
            await target.aclose()
        print(f"\n{machine_line()}")
        ok = not differences and not moved and not unequal
        print(f"identity: {'yes' if ok else 'NO'} ({len(differences)} key differences, {unequal} unequal answers)")
        return 0 if ok else 1
    finally:
        if stack is not None and not args.keep_up:
            stop_stack(stack)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=90, help="days to simulate (default 90)")
    parser.add_argument("--orders-per-day", type=int, default=60, help="orders per market day (default 60)")
    parser.add_argument("--seed", type=int, default=2026, help="the simulation's seed (default 2026)")
    parser.add_argument("--no-simulate", dest="simulate", action="store_false",
                        help="take the running stack's topics as they are (simulated before)")
    parser.add_argument("--runs", type=int, default=3, help="rebuild runs; the median is printed (default 3)")
    parser.add_argument("--attempts", type=int, default=5,
                        help="rebuilds tried for the identity check until live stands still around one (default 5)")
    parser.add_argument("--target-db", type=int, default=7, help="Redis database to rebuild into (default 7)")
    parser.add_argument("--settle-timeout", type=float, default=600.0, help="seconds to wait for the workers")
    parser.add_argument("--keep-up", action="store_true", help="leave a stack this run started running")
    args = parser.parse_args()
    use_private_stack(PRIVATE)
    print(machine_line())
    sys.exit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
