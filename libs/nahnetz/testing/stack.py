"""The whole stack for a test or a benchmark: `nahnetz up` in a run dir of its own,
on a block of free ports, and `nahnetz down` (leaving nothing running).

    stack = EmbeddedStack(tmp_path / "run", env={"ORDERS_SAGA_TIMEOUT_SECONDS": "20"})
    stack.up()                                        # --no-seed --detach: returns once all are ready
    platform = stack.platform()                       # nahnetz.demo's Platform on the stack's APIs
    ...
    await platform.close()
    stack.down()
    assert stack.leftovers() == []
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Mapping

from ..demo.client import Platform
from ..stack.config import StackConfig, project_root
from ..stack.discovery import ServiceProcess, assign_ports, discover
from ..stack.launcher import Stack, with_instances
from ..stack.processes import ManagedProcess, free_port_block, process_start_ticks
from ..stack.state import ProcessRecord, StackState

NAHNETZ = str(Path(sys.executable).with_name("nahnetz"))
# A JWT secret of the test stack (HS256 wants at least 32 characters).
SECRET = "nahnetz-test-stack-secret-long-enough-for-hs256"


class StackFailed(RuntimeError):
    """`nahnetz up` or `down` failed; the message holds its output."""


class EmbeddedStack:
    """`nahnetz up/down` with NAHNETZ_RUN_DIR=`run_dir` on free ports."""

    def __init__(self, run_dir: Path, *, env: Mapping[str, str] | None = None, secret: str = SECRET,
                 root: Path | None = None):
        self.run_dir = Path(run_dir)
        self.root = root or project_root()
        self.secret = secret
        base = free_port_block(60)
        self.broker_port, self.redis_port = base, base + 1
        self.api_base, self.worker_base = base + 10, base + 35
        # A REDIS_URL of the environment would make the stack share that Redis.
        self.env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
        self.env.update({
            "NAHNETZ_RUN_DIR": str(self.run_dir),
            "NAHNETZ_BROKER_PORT": str(self.broker_port),
            "NAHNETZ_REDIS_PORT": str(self.redis_port),
            "NAHNETZ_API_PORT_BASE": str(self.api_base),
            "NAHNETZ_WORKER_PORT_BASE": str(self.worker_base),
            "NAHNETZ_READY_TIMEOUT": "150",
            "NAHNETZ_STOP_GRACE": "5",
            "NAHNETZ_ENV": "test",
            "NAHNETZ_JWT_SECRET": secret,
            **(env or {}),
        })
        # NAHNETZ_SERVICES_DIR in `env`: a fixture folder of services instead of the project's.
        self.services_dir = Path(self.env.get("NAHNETZ_SERVICES_DIR") or self.root / "services")
        self.recorded: list[dict] = []
        self.restarted: list[ManagedProcess] = []  # our children: reaped after `down`

    # -- nahnetz up / down ----------------------------------------------------------------
    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        result = subprocess.run([NAHNETZ, *args], env=self.env, cwd=self.root, capture_output=True, text=True,
                                timeout=timeout)
        self.remember_state()
        return result

    def popen(self, *args: str) -> subprocess.Popen:
        """`nahnetz <args>` left running (a foreground `up`, `logs -f`): its output, stderr
        included, as text on its stdout pipe. Wait for it or kill it."""
        return subprocess.Popen([NAHNETZ, *args], env=self.env, cwd=self.root, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)

    def up(self, *args: str) -> None:
        """Start everything (no seed, detached); return once every process is ready."""
        result = self.run("up", "--no-seed", "--detach", *args)
        if result.returncode != 0:
            raise StackFailed(f"nahnetz up failed:\n{result.stdout}\n{result.stderr}")

    def down(self) -> None:
        result = self.run("down", timeout=120)
        self.reap()
        if result.returncode != 0:
            raise StackFailed(f"nahnetz down failed:\n{result.stdout}\n{result.stderr}")

    def ensure_down(self) -> None:
        """Whatever failed before, leave nothing of the stack running on the machine."""
        if self.state_path.exists():
            self.run("down", timeout=120)
        self.reap()
        if self.leftovers():
            self.force_cleanup()

    # -- what runs ----------------------------------------------------------------------
    @property
    def state_path(self) -> Path:
        return self.run_dir / "state.json"

    def state(self) -> StackState:
        state = StackState.load(self.state_path)
        if state is None:
            raise StackFailed(f"no state file at {self.state_path}: is the stack up?")
        return state

    @property
    def bootstrap(self) -> str:
        return self.state().bootstrap

    @property
    def redis_url(self) -> str:
        return self.state().redis_url

    def urls(self, kind: str = "api") -> dict[str, str]:
        """service -> URL of its API (or, with kind="worker", its worker's health port)."""
        return {p.name.removesuffix(f"-{kind}"): p.url for p in self.state().processes if p.kind == kind}

    def platform(self, timeout: float = 60.0) -> Platform:
        """The demo's platform client on this stack's APIs, minting tokens with its secret."""
        return Platform(self.urls("api"), secret=self.secret, timeout=timeout)

    # -- restarting a process ------------------------------------------------------------
    def service_env(self, process: ServiceProcess, port: int) -> dict[str, str]:
        """What `nahnetz up` gives a service process: its environment, then what the
        launcher adds for every process (`Stack.child_env`), then the process's own."""
        config = StackConfig.from_env(self.env)
        launcher = Stack(config, say=lambda _line: None)
        launcher.planned = with_instances(assign_ports(discover(config.services_dir), config.api_port_base,
                                                       config.worker_port_base), config, config.worker_port_base)
        launcher.redis_url = self.state().redis_url
        return {**self.env, **launcher.child_env(self.env), **process.env(port)}

    def start_again(self, name: str) -> ManagedProcess:
        """Start a stopped service process with the same command and environment, and
        record it in state.json, so `nahnetz down` stops it too."""
        state = self.state()
        old = state.by_name(name)
        if old is None or old.port is None:
            raise StackFailed(f"{name} is not in the state file")
        process = next(p for p in discover(self.services_dir) if p.name == name)
        started = ManagedProcess(name, process.argv(sys.executable), Path(old.log or self.run_dir / f"{name}.log"),
                                 env=self.service_env(process, old.port), cwd=self.services_dir.parent).start()
        state.record(ProcessRecord(name, old.kind, started.pid, old.port, old.url, old.log,
                                   process_start_ticks(started.pid)))
        state.save(self.state_path)
        self.remember_state()
        self.restarted.append(started)
        return started

    def reap(self) -> None:
        for process in self.restarted:
            if process.popen is not None:
                try:
                    process.popen.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass

    # -- nothing left behind ---------------------------------------------------------------
    def remember_state(self) -> None:
        """Keep every process ever recorded, to check at the end that none is left."""
        if self.state_path.exists():
            for p in json.loads(self.state_path.read_text())["processes"]:
                if p["pid"] and p not in self.recorded:
                    self.recorded.append(p)

    def leftovers(self) -> list[str]:
        """Processes of this stack still alive: recorded ones, and any process whose
        environment or command line carries the run dir or the broker/Redis port."""
        marker = f"NAHNETZ_RUN_DIR={self.run_dir}".encode()
        ports = {str(self.broker_port), str(self.redis_port)}
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                    continue
                environ = (entry / "environ").read_bytes()
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            mentions_port = any(re.search(rf"(?<!\d){p}(?!\d)", cmdline) for p in ports)
            if marker in environ.split(b"\0") or str(self.run_dir) in cmdline or mentions_port:
                found.append(f"pid {entry.name}: {cmdline.strip()}")
        for p in self.recorded:
            if _alive(p["pid"]):
                found.append(f"recorded {p['name']} pid {p['pid']}")
        return found

    def force_cleanup(self) -> None:
        """Last resort, so a failed `down` does not leak processes into the machine."""
        for p in self.recorded:
            try:
                os.killpg(p["pid"], signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
