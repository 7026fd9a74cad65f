"""The state file of a running stack: what `nahnetz up` started, so that `status`,
`logs` and `down` work from any terminal, also after `up` was killed hard.

`up` rewrites the file after every process it starts (before waiting for it), so
nothing it started can be missing from it. Each process is recorded with its pid,
which is also its process group, and its start time, which tells it apart from an
unrelated process that later got the same pid.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from .processes import group_alive, process_alive

Kind = Literal["broker", "redis", "api", "worker", "demo"]
# `down` stops these first, the infrastructure they need last.
INFRASTRUCTURE: tuple[str, ...] = ("broker", "redis")


@dataclass
class ProcessRecord:
    name: str
    kind: Kind
    pid: int | None  # None: not ours (a Redis at REDIS_URL)
    port: int | None
    url: str
    log: str | None
    start_ticks: int | None = None

    @property
    def managed(self) -> bool:
        return self.pid is not None

    @property
    def alive(self) -> bool:
        return self.pid is not None and group_alive(self.pid, self.start_ticks)


@dataclass
class StackState:
    run_dir: str
    started_at: str
    bootstrap: str
    redis_url: str
    # The `up` process while it starts the stack or keeps it in the foreground.
    supervisor_pid: int | None = None
    supervisor_start_ticks: int | None = None
    # The broker's cluster id: names its log, which lives as long as the broker (memory).
    broker_cluster_id: str | None = None
    # The region pack the services were started with (`nahnetz simulate` orders in it).
    region: str | None = None
    processes: list[ProcessRecord] = field(default_factory=list)

    def record(self, proc: ProcessRecord) -> None:
        self.processes = [p for p in self.processes if p.name != proc.name] + [proc]

    def forget(self, name: str) -> None:
        self.processes = [p for p in self.processes if p.name != name]

    def by_name(self, name: str) -> ProcessRecord | None:
        return next((p for p in self.processes if p.name == name), None)

    @property
    def services(self) -> list[ProcessRecord]:
        return [p for p in self.processes if p.kind not in INFRASTRUCTURE]

    @property
    def infrastructure(self) -> list[ProcessRecord]:
        return [p for p in self.processes if p.kind in INFRASTRUCTURE]

    def alive(self) -> list[ProcessRecord]:
        return [p for p in self.processes if p.alive]

    @property
    def supervisor_alive(self) -> bool:
        return self.supervisor_pid is not None and process_alive(self.supervisor_pid, self.supervisor_start_ticks)

    def save(self, path: Path) -> None:
        """Write atomically: a reader never sees half a file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2) + "\n")
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> "StackState | None":
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise StateFileError(f"{path} is unreadable ({exc}); remove it after checking "
                                 f"that no Nahnetz processes are left") from exc
        try:
            processes = [ProcessRecord(**p) for p in data.pop("processes", [])]
            return cls(**data, processes=processes)
        except TypeError as exc:
            raise StateFileError(f"{path} is not a Nahnetz state file ({exc})") from exc


class StateFileError(RuntimeError):
    pass


def remove_state(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
