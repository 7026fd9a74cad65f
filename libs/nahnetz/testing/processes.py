"""A service's worker (or API) as its own process, as `nahnetz up` starts it.

    async with WorkerProcess("orders", bootstrap=broker, redis_url=redis_url, run_dir=run_dir,
                             app_id=f"orders-{unique}") as worker:
        ...                                               # ready: /readyz answered 200
        await worker.handled(ORDERS_ORDERS, "OrderPlaced")  # from its /metrics
        await worker.restart()                            # the same process again, same group

`python -m services.<service>.worker` (or `.api`) runs with the variables the stack
gives it (KAFKA_BOOTSTRAP, REDIS_URL, NAHNETZ_ENV=test, NAHNETZ_SERVICE, its port),
its consumer group in `<SERVICE>_APP_ID` when `app_id` is given (a group of its
own reads every topic from the start), Faust's data dir under `run_dir`, and its
JSON log in `run_dir/<name>.log`. It is stopped with SIGTERM, then SIGKILL after
`grace` seconds, with everything it started (its own process group).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal, Mapping

import httpx
from prometheus_client.parser import text_string_to_metric_families

from ..stack.config import project_root
from ..stack.processes import ManagedProcess, free_port
from ..topics import Topic
from .waiting import WORKER_START, eventually

Role = Literal["api", "worker"]


def app_id_variable(service: str) -> str:
    """`orders` -> ORDERS_APP_ID: the variable naming a worker's consumer group."""
    return f"{service.upper().replace('-', '_')}_APP_ID"


class _ServiceProcess:
    role: Role
    port_variable: str
    grace: float

    def __init__(self, service: str, *, bootstrap: str, redis_url: str, run_dir: Path,
                 app_id: str | None = None, env: Mapping[str, str] | None = None, module: str | None = None,
                 name: str | None = None, port: int | None = None, cwd: Path | None = None):
        self.service = service
        self.app_id = app_id
        self.port = port or free_port()
        self.name = name or app_id or f"{service}-{self.role}"
        run_dir = Path(run_dir)
        environment = {
            "KAFKA_BOOTSTRAP": bootstrap, "REDIS_URL": redis_url, "NAHNETZ_ENV": "test",
            "NAHNETZ_SERVICE": service, self.port_variable: str(self.port), "PYTHONUNBUFFERED": "1",
            # Faust keeps its data dir under the temporary directory: the run dir, not /tmp.
            "TMPDIR": str(run_dir),
        }
        if app_id is not None:
            environment[app_id_variable(service)] = app_id
        environment.update(env or {})
        self.env = environment
        self.process = ManagedProcess(self.name, [sys.executable, "-m", module or f"services.{service}.{self.role}"],
                                      run_dir / f"{self.name}.log", env=environment, cwd=cwd or project_root())

    # -- as a Watched process (see `eventually`) -------------------------------------------
    @property
    def running(self) -> bool:
        return self.process.running

    def log_tail(self, lines: int = 20) -> str:
        return self.process.log_tail(lines)

    @property
    def log_path(self) -> Path:
        return self.process.log_path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- lifecycle ----------------------------------------------------------------------------
    def launch(self) -> "_ServiceProcess":
        """Start the process; do not wait for it."""
        self.process.start()
        return self

    async def wait_ready(self, timeout: float = WORKER_START) -> None:
        await eventually(self.ready, timeout=timeout, what=f"{self.name} ready", watch=[self])

    async def start(self, timeout: float = WORKER_START) -> "_ServiceProcess":
        """Start the process and return once /readyz answers 200 (stopping it if it never does)."""
        self.launch()
        try:
            await self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, grace: float | None = None) -> None:
        """SIGTERM to the process group, SIGKILL after `grace` seconds."""
        self.process.stop(grace=self.grace if grace is None else grace)

    async def restart(self, timeout: float = WORKER_START) -> "_ServiceProcess":
        """Stop it and start the same process again (same command, environment, port and,
        for a worker, consumer group); return once /readyz answers 200."""
        if self.running:
            self.stop()
        return await self.start(timeout)

    async def __aenter__(self):
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        self.stop()

    # -- over HTTP ------------------------------------------------------------------------------
    async def get(self, path: str) -> httpx.Response | None:
        """GET on the process's port; None while nothing answers there."""
        try:
            async with httpx.AsyncClient(timeout=5.0) as client:
                return await client.get(f"{self.url}{path}")
        except httpx.TransportError:
            return None

    async def ready(self) -> bool:
        answer = await self.get("/readyz")
        return answer is not None and answer.status_code == 200


class WorkerProcess(_ServiceProcess):
    """`python -m services.<service>.worker` (or `module`), its health port in NAHNETZ_WORKER_PORT."""

    role: Role = "worker"
    port_variable = "NAHNETZ_WORKER_PORT"
    grace = 8.0  # Faust drains its agents and commits before it exits

    async def handled(self, topic: Topic | str, event_type: str | type | None = None) -> float:
        """How many events (of a type) the worker's agents handled from `topic`, from its /metrics."""
        answer = await self.get("/metrics")
        assert answer is not None and answer.status_code == 200, f"{self.name}: no /metrics"
        name = topic.name if isinstance(topic, Topic) else topic
        wanted = event_type if event_type is None or isinstance(event_type, str) else event_type.__name__
        return sum(sample.value for family in text_string_to_metric_families(answer.text)
                   for sample in family.samples
                   if sample.name == "nahnetz_worker_events_handled_total" and sample.labels.get("topic") == name
                   and wanted in (None, sample.labels.get("event_type")))


class ApiProcess(_ServiceProcess):
    """`python -m services.<service>.api` (or `module`), listening on NAHNETZ_HTTP_PORT."""

    role: Role = "api"
    port_variable = "NAHNETZ_HTTP_PORT"
    grace = 5.0

    def client(self, **options) -> httpx.AsyncClient:
        """An HTTP client for the API (close it, or use it with `async with`)."""
        return httpx.AsyncClient(base_url=self.url, timeout=options.pop("timeout", 30.0), **options)
