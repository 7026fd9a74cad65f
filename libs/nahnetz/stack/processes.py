"""Child processes of the embedded stack: start in their own process group,
log to a file, stop with SIGTERM and escalate to SIGKILL (DESIGN.md: the broker
needs that), so nothing is left behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence


class StackError(RuntimeError):
    """Something the stack needs cannot start; the message names it."""


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True when something listens on `port` or holds it bound.

    Connecting finds listeners (also those on 0.0.0.0); binding also finds a
    socket that is bound but not listening yet. SO_REUSEADDR on the probe, as
    every server sets it, so connections lingering in TIME_WAIT after a
    previous run do not count as "in use"."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        if sock.connect_ex((host, port)) == 0:
            return True
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition: Callable[[], bool], timeout: float, what: str, poll: float = 0.1,
               alive: "ManagedProcess | None" = None) -> None:
    """Poll `condition` until true; fail naming `what` (and the log tail if the
    process died meanwhile)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if alive is not None and not alive.running:
            raise StackError(f"{what}: process exited with code {alive.returncode}\n{alive.log_tail()}")
        time.sleep(poll)
    tail = f"\n{alive.log_tail()}" if alive is not None else ""
    raise StackError(f"{what}: not ready after {timeout:.0f} s{tail}")


def last_lines(path: Path, count: int) -> list[str]:
    """The last `count` lines of a log file, reading only its end."""
    if count <= 0:
        return []
    try:
        with open(path, "rb") as f:
            size = f.seek(0, os.SEEK_END)
            chunk = 8192
            while True:
                start = max(0, size - chunk)
                f.seek(start)
                data = f.read()
                lines = data.decode(errors="replace").splitlines()
                if start > 0:
                    lines = lines[1:]  # the first line was cut
                if len(lines) >= count or start == 0:
                    return lines[-count:]
                chunk *= 4
    except FileNotFoundError:
        return []


def log_tail(path: Path, name: str, lines: int = 20) -> str:
    """The end of a process's log, prefixed with its name, for error messages."""
    tail = last_lines(path, lines)
    if not tail:
        return f"  {name}| (log {path} is empty)" if path.exists() else f"  {name}| (no log at {path})"
    return "\n".join(f"  {name}| {line}" for line in tail)


@dataclass
class ManagedProcess:
    name: str
    argv: Sequence[str]
    log_path: Path
    env: dict[str, str] | None = None
    cwd: Path | None = None
    popen: subprocess.Popen | None = field(default=None, repr=False)

    def start(self) -> "ManagedProcess":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab", buffering=0)
        try:
            self.popen = subprocess.Popen(
                list(self.argv),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **(self.env or {})},
                cwd=self.cwd,
                start_new_session=True,  # own process group: stop() reaches grandchildren
            )
        except OSError as exc:
            raise StackError(f"{self.name}: cannot start {self.argv[0]}: {exc}") from exc
        finally:
            log.close()
        return self

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.popen.poll() if self.popen else None

    @property
    def start_ticks(self) -> int | None:
        return process_start_ticks(self.popen.pid) if self.popen else None

    def log_tail(self, lines: int = 20) -> str:
        return log_tail(self.log_path, self.name, lines)

    def stop(self, grace: float = 5.0) -> None:
        if self.popen is None:
            return
        terminate_group(self.popen.pid, grace)
        try:
            self.popen.wait(timeout=1)
        except subprocess.TimeoutExpired:
            pass


# -- process groups ----------------------------------------------------------------
# Every process of the stack leads its own process group, so a group id reaches a
# service and whatever it spawned (uvicorn workers, solver pools, a shell's children).
_PROC = Path("/proc")


def _stat(pid: int) -> list[str] | None:
    """Fields 3.. of /proc/<pid>/stat (state, ppid, pgrp, ...), None if gone."""
    try:
        data = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: split after the last ")".
    return data[data.rindex(")") + 2:].split()


def process_start_ticks(pid: int) -> int | None:
    """When `pid` started (clock ticks since boot): with the pid it identifies a
    process even after the pid number was reused. None if gone or not Linux."""
    fields = _stat(pid)
    return int(fields[19]) if fields else None


def process_alive(pid: int, start_ticks: int | None = None) -> bool:
    """Whether `pid` runs (not a zombie) and is the process that started at
    `start_ticks`."""
    fields = _stat(pid)
    if fields is None:
        if _PROC.is_dir():
            return False
        try:  # not Linux
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        return True
    if fields[0] == "Z":
        return False
    return start_ticks is None or int(fields[19]) == start_ticks


def live_groups(pgids: Iterable[int]) -> set[int]:
    """The groups among `pgids` that still have a running (non-zombie) member."""
    wanted = set(pgids)
    if not wanted:
        return set()
    if not _PROC.is_dir():  # not Linux: a signal 0 is the best we can ask
        return {g for g in wanted if _signal_group(g, 0)}
    found: set[int] = set()
    for entry in os.scandir(_PROC):
        if not entry.name.isdigit():
            continue
        fields = _stat(int(entry.name))
        if fields and fields[0] != "Z" and int(fields[2]) in wanted:
            found.add(int(fields[2]))
    return found


def group_alive(pgid: int, start_ticks: int | None = None) -> bool:
    """Whether the group that `pgid` led (started at `start_ticks`) still runs.

    Linux never hands out a pid that is still some group's id, so members found
    under `pgid` are ours; only a leader with a different start time means the
    number now belongs to someone else."""
    leader_ticks = process_start_ticks(pgid)
    if start_ticks is not None and leader_ticks is not None and leader_ticks != start_ticks:
        return False
    return pgid in live_groups([pgid])


def _signal_group(pgid: int, sig: int) -> bool:
    try:
        os.killpg(pgid, sig)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return sig == 0  # exists, but not ours to signal


def stop_groups(pgids: Iterable[int], grace: float = 5.0) -> list[int]:
    """SIGTERM every group at once, SIGKILL those still running after `grace`
    seconds; return the groups that had to be killed. Stopping in parallel keeps
    `down` short however many services there are."""
    pending = [g for g in dict.fromkeys(pgids) if _signal_group(g, signal.SIGTERM)]
    deadline = time.monotonic() + grace
    while pending and time.monotonic() < deadline:
        alive = live_groups(pending)
        pending = [g for g in pending if g in alive]
        if pending:
            time.sleep(0.05)
    killed = [g for g in pending if _signal_group(g, signal.SIGKILL)]
    deadline = time.monotonic() + 3
    while killed and time.monotonic() < deadline and live_groups(killed):
        time.sleep(0.05)
    return killed


def terminate_group(pgid: int, grace: float = 5.0) -> None:
    """SIGTERM the process group, SIGKILL what is left after `grace` seconds."""
    stop_groups([pgid], grace)


def free_port_block(size: int, low: int = 20000, high: int = 32000) -> int:
    """A base port with `size` free ports above it, below the kernel's ephemeral
    range (32768+), so outgoing connections cannot take a port between our check
    and the moment a child process binds it."""
    import random

    for _ in range(500):
        base = random.randrange(low, high - size)
        if not any(port_in_use(base + i) for i in range(size)):
            return base
    raise StackError(f"no block of {size} free ports between {low} and {high}")
