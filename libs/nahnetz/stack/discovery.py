"""Which processes make up the platform, found from the `services/` folder.

The conventions below are the contract between a service and everything that runs
it: `nahnetz up`, docker-compose.yml, the Kubernetes manifests and the Prometheus
scrape config are all derived from `discover()`, so adding a folder is all it takes.

- A service is a folder `services/<name>/` (a Python package; `<name>` is a Python
  identifier). Folders starting with `_`, and folders with neither `api.py` nor
  `worker.py`, are skipped (libraries such as `services/routing/domain/solver` live there).
- `api.py` defines `create_app(settings=None)` returning a FastAPI app and ends
  with `if __name__ == "__main__": serve(create_app)`. It runs as
  `python -m services.<name>.api` with NAHNETZ_SERVICE=<name>, NAHNETZ_HTTP_HOST=H
  and NAHNETZ_HTTP_PORT=P (`serve` sets up JSON logs and a graceful shutdown); it is
  ready when `GET /readyz` answers 200 (`/healthz` and `/metrics` are there too).
- `worker.py` runs as `python -m services.<name>.worker` with NAHNETZ_SERVICE=<name>
  and NAHNETZ_WORKER_PORT=Q; it serves `/healthz`, `/readyz` and `/metrics` on port
  Q and is ready when `GET http://127.0.0.1:Q/readyz` answers 200.
- Every process gets KAFKA_BOOTSTRAP, REDIS_URL, NAHNETZ_ENV (dev unless set),
  NAHNETZ_JWT_SECRET (the dev secret unless set), PYTHONUNBUFFERED=1, and
  NAHNETZ_URL_<NAME>=http://host:port of every service's API, so an API (the web
  front's gateway, the demo) finds the others without a registry.
- Ports come from the service registry (`registry.py`): service number n gets API
  port `api_base + n` and worker port `worker_base + n`, so a service's two ports
  share their last digits (catalog 8100/8200, notify 8103/8203) and adding a
  service moves no other port.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Literal, Mapping

from .processes import StackError
from .registry import SERVICE_NUMBERS, numbers_for

Role = Literal["api", "worker"]
ROLES: tuple[Role, ...] = ("api", "worker")


@dataclass(frozen=True)
class ServiceProcess:
    """One process of a service: its API or its worker."""

    service: str
    role: Role

    @property
    def name(self) -> str:
        """Process, compose-service and Kubernetes name: `pickup-api`, `freight-worker`."""
        return f"{self.service.replace('_', '-')}-{self.role}"

    @property
    def module(self) -> str:
        return f"services.{self.service}.{self.role}"

    def argv(self, python: str) -> list[str]:
        # Both roles run as programs; host and port come from the environment.
        return [python, "-m", self.module]

    def env(self, port: int, host: str = "127.0.0.1") -> dict[str, str]:
        if self.role == "api":
            return {"NAHNETZ_SERVICE": self.service, "NAHNETZ_HTTP_HOST": host,
                    "NAHNETZ_HTTP_PORT": str(port)}
        return {"NAHNETZ_SERVICE": self.service, "NAHNETZ_WORKER_PORT": str(port)}


@dataclass(frozen=True)
class PlannedProcess(ServiceProcess):
    """A service process with the port the stack gives it; `instance` counts a
    worker's instances in one consumer group (`nahnetz up --instances`)."""

    port: int
    instance: int = 1

    @property
    def name(self) -> str:
        """`orders-worker` for the first instance, `orders-worker-2` for the second."""
        first = super().name
        return first if self.instance == 1 else f"{first}-{self.instance}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def discover(services_dir: Path) -> list[ServiceProcess]:
    """Every API and worker under `services_dir`, sorted by service, API first."""
    if not services_dir.is_dir():
        raise StackError(f"no services folder at {services_dir}")
    found: list[ServiceProcess] = []
    for folder in sorted(services_dir.iterdir(), key=lambda p: p.name):
        if not folder.is_dir() or folder.name.startswith(("_", ".")):
            continue
        roles = [role for role in ROLES if (folder / f"{role}.py").is_file()]
        if not roles:
            continue
        if not folder.name.isidentifier():
            raise StackError(f"{folder}: a service folder's name must be a Python identifier "
                             f"(it is imported as services.{folder.name}); rename it, e.g. "
                             f"{folder.name.replace('-', '_')!r}")
        found.extend(ServiceProcess(folder.name, role) for role in roles)
    return found


def service_names(processes: Iterable[ServiceProcess]) -> list[str]:
    return list(dict.fromkeys(p.service for p in processes))


def assign_ports(processes: list[ServiceProcess], api_base: int, worker_base: int,
                 numbers: Mapping[str, int] = SERVICE_NUMBERS) -> list[PlannedProcess]:
    """Give each process its port: service number n (from the registry) gets
    `api_base + n` and `worker_base + n`."""
    index = numbers_for(service_names(processes), numbers)
    span = max(index.values(), default=-1) + 1
    if index and abs(worker_base - api_base) < span:
        raise StackError(
            f"API ports from {api_base} and worker ports from {worker_base} overlap for "
            f"{span} service numbers; move NAHNETZ_API_PORT_BASE or NAHNETZ_WORKER_PORT_BASE apart")
    planned = []
    for proc in processes:
        base = api_base if proc.role == "api" else worker_base
        port = base + index[proc.service]
        if port > 65535:
            raise StackError(f"{proc.name}: port {port} is out of range; lower the port bases")
        planned.append(PlannedProcess(proc.service, proc.role, port))
    return planned


def url_variable(service: str) -> str:
    """The variable through which other processes find a service's API."""
    return f"NAHNETZ_URL_{service.upper()}"


def api_urls(planned: Iterable[PlannedProcess]) -> dict[str, str]:
    """NAHNETZ_URL_<SERVICE> for every API."""
    return {url_variable(p.service): p.url for p in planned if p.role == "api"}
