"""Where the embedded stack runs: ports, folders and timeouts, from the environment.

| variable | default | meaning |
|---|---|---|
| NAHNETZ_RUN_DIR | `<repository>/.nahnetz` | logs, state file, Redis data |
| NAHNETZ_BROKER_PORT | 19092 | the Tansu broker |
| NAHNETZ_REDIS_PORT | 16379 | the local Redis, when REDIS_URL does not answer |
| REDIS_URL | unset | a Redis to use instead of starting one |
| NAHNETZ_API_PORT_BASE | 8100 | the n-th service's API listens on base + n |
| NAHNETZ_WORKER_PORT_BASE | 8200 | the n-th service's worker health port is base + n |
| NAHNETZ_READY_TIMEOUT | 120 | seconds all processes get to become ready |
| NAHNETZ_STOP_GRACE | 5 | seconds between SIGTERM and SIGKILL when stopping |
| NAHNETZ_SERVICES_DIR | `<repository>/services` | where services are found (tests use a fixture folder) |
| NAHNETZ_WORKER_INSTANCES | 1 | instances of each worker in its consumer group: `2`, `catalog=2,pickup=3` or `2,orders=1` (`nahnetz up --instances`) |
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, TypeVar

from .processes import StackError

DEFAULT_BROKER_PORT = 19092
DEFAULT_REDIS_PORT = 16379
DEFAULT_API_PORT_BASE = 8100
DEFAULT_WORKER_PORT_BASE = 8200

_N = TypeVar("_N", int, float)


def project_root() -> Path:
    """The repository: the folder holding pyproject.toml above libs/nahnetz, else
    the working directory (an installed, non-editable copy)."""
    here = Path(__file__).resolve().parents[3]
    return here if (here / "pyproject.toml").is_file() else Path.cwd()


@dataclass(frozen=True)
class StackConfig:
    root: Path
    services_dir: Path
    run_dir: Path
    broker_port: int
    redis_port: int
    redis_url: str | None
    api_port_base: int
    worker_port_base: int
    ready_timeout: float
    stop_grace: float
    python: str = sys.executable
    # service -> instances of its worker; "*" for every worker not named (default 1).
    worker_instances: tuple[tuple[str, int], ...] = ()
    # The region pack the hub, routing, freight and the demo work with (libs/nahnetz/regions).
    region: str = "kreis_hoexter"

    def instances_of(self, service: str) -> int:
        named = dict(self.worker_instances)
        return named.get(service, named.get("*", 1))

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.broker_port}"

    @property
    def local_redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def state_path(self) -> Path:
        return self.run_dir / "state.json"

    @property
    def clock_path(self) -> Path:
        """The offset file of the stack's clock (`nahnetz.clock`), written by `nahnetz simulate`."""
        return self.run_dir / "clock"

    @property
    def logs_dir(self) -> Path:
        return self.run_dir / "logs"

    @property
    def children_cwd(self) -> Path:
        """Services are imported as `services.<name>`: run them from the folder
        that holds `services/`, which puts it first on their sys.path."""
        return self.services_dir.parent

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "StackConfig":
        env = os.environ if environ is None else environ
        root = project_root()
        return cls(
            root=root,
            services_dir=Path(env.get("NAHNETZ_SERVICES_DIR") or root / "services").resolve(),
            run_dir=Path(env.get("NAHNETZ_RUN_DIR") or root / ".nahnetz").resolve(),
            broker_port=_port(env, "NAHNETZ_BROKER_PORT", DEFAULT_BROKER_PORT),
            redis_port=_port(env, "NAHNETZ_REDIS_PORT", DEFAULT_REDIS_PORT),
            redis_url=env.get("REDIS_URL") or None,
            api_port_base=_port(env, "NAHNETZ_API_PORT_BASE", DEFAULT_API_PORT_BASE),
            worker_port_base=_port(env, "NAHNETZ_WORKER_PORT_BASE", DEFAULT_WORKER_PORT_BASE),
            ready_timeout=_seconds(env, "NAHNETZ_READY_TIMEOUT", 120.0),
            stop_grace=_seconds(env, "NAHNETZ_STOP_GRACE", 5.0),
            worker_instances=parse_instances(env.get("NAHNETZ_WORKER_INSTANCES") or ""),
            region=parse_region(env.get("NAHNETZ_REGION") or "kreis_hoexter"),
        )


MAX_INSTANCES = 16


def parse_instances(text: str) -> tuple[tuple[str, int], ...]:
    """`2` (every worker), `catalog=2,pickup=3` (those), or both: `2,orders=1`."""
    found: dict[str, int] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        service, _, count = part.rpartition("=")
        service = service.strip() or "*"
        if not count.strip().isdigit() or not 1 <= int(count) <= MAX_INSTANCES:
            raise StackError(f"worker instances {part!r}: give a count from 1 to {MAX_INSTANCES}, "
                             f"for every worker (`2`) or one service (`catalog=2`)")
        if service in found:
            raise StackError(f"worker instances: {'every worker' if service == '*' else service} given twice")
        found[service] = int(count)
    return tuple(sorted(found.items()))


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    value = _number(env, name, int, "a port number")
    if value is None:
        return default
    if not 1 <= value <= 65535:
        raise StackError(f"{name}={value} is not a port number (1-65535)")
    return value


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    value = _number(env, name, float, "a number of seconds")
    if value is None:
        return default
    if value <= 0:
        raise StackError(f"{name}={env[name]} must be more than 0 seconds")
    return value


def _number(env: Mapping[str, str], name: str, parse: Callable[[str], _N], what: str) -> _N | None:
    """The variable parsed, None when it is unset or empty."""
    raw = env.get(name)
    if not raw:
        return None
    try:
        return parse(raw)
    except ValueError:
        raise StackError(f"{name}={raw!r} is not {what}") from None


def parse_region(name: str) -> str:
    """The region pack's file name for `name` ("ilzer-land" or "ilzer_land"); a
    StackError naming the packs there are when there is none."""
    from ..regions import REGIONS_DIR

    stem = name.strip().replace("-", "_")
    known = sorted(p.stem for p in REGIONS_DIR.glob("*.yaml"))
    if stem not in known:
        raise StackError(f"no region pack {name!r}; there are: {', '.join(k.replace('_', '-') for k in known)}")
    return stem
