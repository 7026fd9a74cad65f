"""`nahnetz up | down | status | logs`: the embedded stack on one machine.

`up` starts a Tansu broker, Redis (the one at REDIS_URL if it answers), creates
every registered topic, then starts each service's API and worker as found by
`nahnetz.stack.discovery` (read its docstring for the conventions a service
follows), waits until all answer /readyz, prints their URLs, runs the demo
(`python -m nahnetz.demo`, if installed) and stays in the foreground until Ctrl-C
or SIGTERM — or, with `--detach`, returns and leaves everything running.

Run files live in `.nahnetz/` in the repository (or NAHNETZ_RUN_DIR): `logs/`,
`state.json` (every process with pid = process group, port, URL, log) and
`up.lock`. `down`, `status` and `logs` read the state file, so they work from any
terminal, and `down` cleans up even after `up` was killed hard. Ports and timeouts:
see `nahnetz.stack.config`.
"""

from __future__ import annotations

import dataclasses
import fcntl
import os
import signal
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .config import StackConfig, parse_instances, parse_region
from .launcher import Stack, stop_recorded
from .probes import in_parallel, ready
from .processes import StackError, last_lines, process_alive
from .state import ProcessRecord, StackState, StateFileError, remove_state


def say(message: str) -> None:
    print(message, flush=True)


def complain(command: str, message: str) -> None:
    print(f"nahnetz {command}: {message}", file=sys.stderr, flush=True)


class StopRequested(Exception):
    """Ctrl-C or SIGTERM while `up` runs."""


# -- up --------------------------------------------------------------------------------
def up(seed: bool = True, detach: bool = False, instances: str | None = None, region: str | None = None) -> int:
    """`instances`: workers' instances as NAHNETZ_WORKER_INSTANCES takes them (`2`,
    `catalog=2,pickup=3`); given, it replaces the variable. `region`: the region pack
    (`ilzer-land`), in place of NAHNETZ_REGION."""
    try:
        config = StackConfig.from_env()
        if instances is not None:
            config = dataclasses.replace(config, worker_instances=parse_instances(instances))
        if region is not None:
            config = dataclasses.replace(config, region=parse_region(region))
        config.run_dir.mkdir(parents=True, exist_ok=True)
    except (StackError, OSError) as exc:
        complain("up", str(exc))
        return 2
    with _exclusive(config.run_dir / "up.lock") as locked:
        if not locked:
            complain("up", f"another `nahnetz up` is starting or running a stack in {config.run_dir}; "
                           f"see `nahnetz status`, stop it with `nahnetz down`")
            return 1
        try:
            running = _running_stack(config)
        except StateFileError as exc:
            complain("up", str(exc))
            return 1
        if running:
            complain("up", f"a Nahnetz stack is already running (started {running.started_at}, run dir "
                           f"{config.run_dir}); see `nahnetz status`, stop it with `nahnetz down`")
            return 1
        return _run(config, seed, detach)


def _run(config: StackConfig, seed: bool, detach: bool) -> int:
    signals = _StopSignals()
    stack = Stack(config, say, uninterrupted=signals.held_back)
    with signals.installed():
        try:
            stack.plan()
            say(f"Starting Nahnetz (run dir {config.run_dir})")
            began = time.monotonic()
            stack.start()
            _print_table(stack.state, time.monotonic() - began)
            demo = stack.run_demo() if seed else None
            if detach:
                stack.detach()
                say("Running in the background: `nahnetz status`, `nahnetz logs [PROCESS] -f`, "
                    "`nahnetz down` to stop.")
                return 0 if demo in (None, 0) else 1
            say("Press Ctrl-C to stop.")
            reported: set[str] = set()
            while True:
                stack.check_children(reported)
                time.sleep(0.5)
        except StopRequested:
            say("\nStopping Nahnetz ...")
            _ignore_signals()
            stack.stop()
            say("Stopped.")
            return 0
        except StackError as exc:
            _ignore_signals()
            complain("up", str(exc))
            if stack.state is not None:
                say("Stopping what was started ...")
                stack.stop()
            return 1
        except BaseException:
            _ignore_signals()
            stack.stop()
            raise


class _StopSignals:
    """Ctrl-C, SIGTERM and SIGHUP end `up`: they raise StopRequested, except while
    held back (a process started but not yet recorded), then right after."""

    WATCHED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self) -> None:
        self.holding = 0
        self.pending: int | None = None

    def _handle(self, signum, frame) -> None:
        if self.holding:
            self.pending = signum
            return
        raise StopRequested(signal.Signals(signum).name)

    @contextmanager
    def installed(self) -> Iterator[None]:
        previous = {s: signal.signal(s, self._handle) for s in self.WATCHED}
        try:
            yield
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)

    @contextmanager
    def held_back(self) -> Iterator[None]:
        self.holding += 1
        try:
            yield
        finally:
            self.holding -= 1
            if not self.holding and self.pending is not None:
                signum, self.pending = self.pending, None
                raise StopRequested(signal.Signals(signum).name)


def _ignore_signals() -> None:
    """While stopping, a second Ctrl-C must not leave half the stack behind."""
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, signal.SIG_IGN)


@contextmanager
def _exclusive(path: Path) -> Iterator[bool]:
    """Whether we hold the run dir's lock: one `up` at a time per run dir."""
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _running_stack(config: StackConfig) -> StackState | None:
    """The recorded stack if anything of it still runs; a stale state file is removed."""
    state = StackState.load(config.state_path)
    if state is None:
        return None
    if state.alive() or state.supervisor_alive:
        return state
    remove_state(config.state_path)
    return None


def _print_table(state: StackState, seconds: float) -> None:
    rows = [(p.name, str(p.pid) if p.pid else "-", _display_url(p)) for p in state.processes]
    width = max([len(r[0]) for r in rows] + [7])
    say(f"\nNahnetz is ready: {len(rows)} processes in {seconds:.1f} s.\n")
    say(f"  {'PROCESS':<{width}}  {'PID':>7}  URL")
    for name, pid, url in rows:
        say(f"  {name:<{width}}  {pid:>7}  {url}")
    say(f"\n  Logs: {Path(state.run_dir) / 'logs'}\n")


def _display_url(p: ProcessRecord) -> str:
    if p.kind == "broker":
        return f"{p.url.removeprefix('kafka://')}  (Kafka protocol; KAFKA_BOOTSTRAP)"
    if p.kind == "api":
        return f"{p.url}  (OpenAPI: {p.url}/docs)"
    if p.kind == "worker":
        return f"{p.url}  (/healthz /readyz /metrics)"
    if p.kind == "redis" and not p.managed:
        return f"{p.url}  (external)"
    return p.url


# -- down, status and logs read the state file `up` wrote -------------------------------
def _load_state(command: str, *,
                code_if_none: int | None = None) -> tuple[StackConfig, StackState | None] | int:
    """The config and the recorded stack, or the exit code to stop with: 2 when
    either cannot be read, `code_if_none` when no stack is recorded (if given)."""
    try:
        config = StackConfig.from_env()
        state = StackState.load(config.state_path)
    except (StackError, StateFileError) as exc:
        complain(command, str(exc))
        return 2
    if state is None and code_if_none is not None:
        say(f"No Nahnetz stack is running (no state file at {config.state_path}).")
        return code_if_none
    return config, state


# -- down ------------------------------------------------------------------------------
def down() -> int:
    loaded = _load_state("down", code_if_none=0)
    if isinstance(loaded, int):
        return loaded
    config, state = loaded
    if state.supervisor_alive and state.supervisor_pid != os.getpid():
        # A foreground `up` stops its own stack in order; give it the time to.
        say(f"Asking `nahnetz up` (pid {state.supervisor_pid}) to stop the stack ...")
        try:
            os.kill(state.supervisor_pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 2 * config.stop_grace + 10
        while time.monotonic() < deadline and process_alive(state.supervisor_pid, state.supervisor_start_ticks):
            time.sleep(0.1)
    running = state.alive()
    if running:
        say(f"Stopping Nahnetz ({len(running)} processes) ...")
    survivors = stop_recorded(state, config.stop_grace, say)
    if survivors:
        complain("down", "still running after SIGKILL: "
                         + ", ".join(f"{p.name} (pid {p.pid})" for p in survivors))
        return 1
    remove_state(config.state_path)
    say("Stopped." if running else "Nothing was running any more; state cleared.")
    return 0


# -- status ----------------------------------------------------------------------------
def status() -> int:
    loaded = _load_state("status", code_if_none=1)
    if isinstance(loaded, int):
        return loaded
    config, state = loaded
    supervisor = ("`nahnetz up` in the foreground, pid " + str(state.supervisor_pid)
                  if state.supervisor_alive else "detached")
    say(f"Nahnetz stack started {state.started_at}, {supervisor}, run dir {state.run_dir}\n")
    alive = [(not p.managed) or p.alive for p in state.processes]
    answers = in_parallel(lambda pa: ready(pa[0].kind, pa[0].url) if pa[1] else (False, "not running"),
                          list(zip(state.processes, alive)))
    width = max([len(p.name) for p in state.processes] + [7])
    say(f"  {'PROCESS':<{width}}  {'PID':>7}  {'ALIVE':<8}  {'READY':<5}  URL")
    healthy = True
    for p, is_alive, (is_ready, said) in zip(state.processes, alive, answers):
        healthy &= is_alive and is_ready
        alive_text = ("yes" if is_alive else "NO") if p.managed else "external"
        note = "" if is_ready else f"  ({said})"
        say(f"  {p.name:<{width}}  {p.pid or '-':>7}  {alive_text:<8}  {'yes' if is_ready else 'NO':<5}  "
            f"{p.url}{note}")
    return 0 if healthy else 1


# -- logs ------------------------------------------------------------------------------
def logs(process: str | None = None, follow: bool = False, lines: int = 50) -> int:
    loaded = _load_state("logs")  # after `down` the last run's logs are still there
    if isinstance(loaded, int):
        return loaded
    config, state = loaded
    available = _log_files(config, state)
    if not available:
        complain("logs", f"no logs in {config.logs_dir}; start the stack with `nahnetz up`")
        return 1
    if process:
        # A process name (catalog-api) or a service name (catalog: its API and worker).
        chosen = {n: p for n, p in available.items() if n == process or n.startswith(f"{process}-")}
        if not chosen:
            complain("logs", f"no process {process!r}; known: {', '.join(available)}")
            return 1
    else:
        chosen = available
    prefixed = len(chosen) > 1
    width = max(len(n) for n in chosen)
    offsets: dict[str, int] = {}
    for name, path in chosen.items():
        for line in last_lines(path, lines):
            say(f"{name:<{width}} | {line}" if prefixed else line)
        offsets[name] = path.stat().st_size if path.exists() else 0
    if not follow:
        return 0
    # Ctrl-C ends following, also where the shell started us with SIGINT ignored (`cmd &`).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        _follow(chosen, offsets, width if prefixed else 0)
    except KeyboardInterrupt:
        pass
    return 0


def _log_files(config: StackConfig, state: StackState | None) -> dict[str, Path]:
    if state is not None:
        return {p.name: Path(p.log) for p in state.processes if p.log}
    # After `down` the logs of the last run are still worth reading.
    if not config.logs_dir.is_dir():
        return {}
    return {path.stem: path for path in sorted(config.logs_dir.glob("*.log"))}


def _follow(files: dict[str, Path], offsets: dict[str, int], width: int) -> None:
    partial = {name: "" for name in files}
    while True:
        for name, path in files.items():
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                continue
            if size < offsets[name]:  # a new run started a fresh log
                offsets[name] = 0
            if size == offsets[name]:
                continue
            with open(path, "rb") as f:
                f.seek(offsets[name])
                chunk = f.read()
            offsets[name] += len(chunk)
            text = partial[name] + chunk.decode(errors="replace")
            *complete, partial[name] = text.split("\n")
            for line in complete:
                say(f"{name:<{width}} | {line}" if width else line)
        time.sleep(0.25)
