"""Start one embedded stack: broker, Redis, topics, every service; record each
process in the state file the moment it exists; stop it all again.

The order matters: infrastructure first (services fail their readiness without
it), topics before services (Faust would otherwise auto-create them with the
wrong partition counts), and on the way down services before the broker, so they
can leave their consumer groups cleanly.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import subprocess
import time
from contextlib import nullcontext
from datetime import datetime, timezone
from typing import Callable, ContextManager, Mapping

from .config import StackConfig
from .discovery import PlannedProcess, api_urls, assign_ports, discover, service_names
from .infra import broker_process, redis_answers, redis_process, wait_for_broker, wait_for_redis
from .lineage import check_lineage
from .probes import http_ready, in_parallel
from .processes import ManagedProcess, StackError, port_in_use, process_start_ticks, stop_groups
from .registry import numbers_for, worker_instance_port
from .state import ProcessRecord, StackState, remove_state

Say = Callable[[str], None]
# Seeds a region and shows it at work; written separately, run when it exists.
DEMO_MODULE = "nahnetz.demo"


class Stack:
    def __init__(self, config: StackConfig, say: Say,
                 uninterrupted: Callable[[], ContextManager] = nullcontext) -> None:
        self.config = config
        self.say = say
        # Holds back Ctrl-C between starting a process and recording it.
        self.uninterrupted = uninterrupted
        self.planned: list[PlannedProcess] = []
        self.children: dict[str, ManagedProcess] = {}
        self.state: StackState | None = None
        self.redis_url = config.local_redis_url
        self.own_redis = True

    # -- planning ---------------------------------------------------------------------
    def plan(self) -> None:
        """Find the services, choose Redis, check every port before starting anything."""
        c = self.config
        self.planned = with_instances(assign_ports(discover(c.services_dir), c.api_port_base, c.worker_port_base),
                                      c, c.worker_port_base)
        if c.redis_url:
            if redis_answers(c.redis_url):
                self.redis_url, self.own_redis = c.redis_url, False
            else:
                self.say(f"REDIS_URL={c.redis_url} does not answer; starting a local Redis instead.")
        claims: list[tuple[int, str, str]] = [(c.broker_port, "broker", "NAHNETZ_BROKER_PORT")]
        if self.own_redis:
            claims.append((c.redis_port, "redis", "NAHNETZ_REDIS_PORT"))
        for p in self.planned:
            variable = "NAHNETZ_API_PORT_BASE" if p.role == "api" else "NAHNETZ_WORKER_PORT_BASE"
            claims.append((p.port, p.name, variable))
        check_ports(claims)

    # -- starting ---------------------------------------------------------------------
    def start(self) -> None:
        c = self.config
        began = time.monotonic()
        _clear_old_logs(c)
        self.config.clock_path.unlink(missing_ok=True)  # a stack starts on the wall clock, whatever a simulation left
        self.state = StackState(
            run_dir=str(c.run_dir),
            started_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            bootstrap=c.bootstrap,
            redis_url=self.redis_url,
            supervisor_pid=os.getpid(),
            supervisor_start_ticks=process_start_ticks(os.getpid()),
            region=c.region,
        )
        self._save()

        broker = self._launch(broker_process(c.broker_port, c.logs_dir / "broker.log"), "broker",
                              c.broker_port, f"kafka://{c.bootstrap}")
        wait_for_broker(broker, c.broker_port, timeout=30)
        self.say(f"  broker   Tansu on {c.bootstrap}")

        if self.own_redis:
            redis = self._launch(redis_process(c.redis_port, c.run_dir / "redis", c.logs_dir / "redis.log"),
                                 "redis", c.redis_port, self.redis_url)
            wait_for_redis(redis, c.redis_port, timeout=15)
            self.say(f"  redis    local redis-server on {self.redis_url}")
        else:
            self.state.record(ProcessRecord("redis", "redis", None, None, self.redis_url, None))
            self._save()
            self.say(f"  redis    {self.redis_url} (from REDIS_URL, not managed by nahnetz)")

        check_lineage(self.state, own_redis=self.own_redis, say=self.say)  # stale read models?
        self._create_topics()

        if not self.planned:
            self.say(f"  services none found in {c.services_dir} (see nahnetz.stack.discovery)")
            return
        self.say(f"  services starting {len(self.planned)} processes: "
                 + ", ".join(p.name for p in self.planned))
        env = self.child_env()
        for p in self.planned:
            proc = ManagedProcess(p.name, p.argv(c.python), c.logs_dir / f"{p.name}.log",
                                  env={**env, **p.env(p.port)}, cwd=c.children_cwd)
            self._launch(proc, p.role, p.port, p.url)
        self._wait_until_ready(began)

    def _create_topics(self) -> None:
        from ..messaging.admin import create_topics
        from ..topics import all_with_dead_letters

        try:
            created = asyncio.run(create_topics(self.config.bootstrap))
        except Exception as exc:
            raise StackError(f"creating the topics on {self.config.bootstrap} failed: "
                             f"{type(exc).__name__}: {exc}") from exc
        total = len(all_with_dead_letters())
        self.say(f"  topics   {len(created)} created, {total} registered (with dead-letter topics)")

    def _launch(self, proc: ManagedProcess, kind: str, port: int, url: str) -> ManagedProcess:
        """Start and record at once: a hard kill of `up` right after leaves the
        process in the state file, for `down` to find."""
        with self.uninterrupted():
            proc.start()
            self.children[proc.name] = proc
            self.state.record(ProcessRecord(proc.name, kind, proc.pid, port, url, str(proc.log_path),
                                            proc.start_ticks))
            self._save()
        return proc

    def _wait_until_ready(self, began: float) -> None:
        timeout = self.config.ready_timeout
        deadline = time.monotonic() + timeout
        pending = {p.name: p for p in self.planned}
        last_said: dict[str, str] = {}
        next_progress = time.monotonic() + 5
        while pending:
            for name in list(pending):
                child = self.children[name]
                if not child.running:
                    raise StackError(f"{name} exited with code {child.returncode} before it was ready. "
                                     f"Last lines of {child.log_path}:\n{child.log_tail()}")
            answers = in_parallel(lambda p: http_ready(p.url), pending.values())
            for (name, p), (ok, said) in zip(list(pending.items()), answers):
                last_said[name] = said
                if ok:
                    del pending[name]
                    self.say(f"  ready    {name:<22} {p.url:<24} after {time.monotonic() - began:4.1f} s")
            if not pending:
                break
            now = time.monotonic()
            if now > deadline:
                details = "\n".join(
                    f"{name} ({last_said.get(name, 'no answer')}); last lines of its log:\n"
                    f"{self.children[name].log_tail(15)}" for name in pending)
                raise StackError(f"not ready after {timeout:.0f} s (NAHNETZ_READY_TIMEOUT): "
                                 f"{', '.join(pending)}\n{details}")
            if now > next_progress:
                self.say(f"  waiting  for {', '.join(pending)} ({now - began:.0f} s)")
                next_progress = now + 5
            time.sleep(0.25)

    def child_env(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """What every process of the stack (and the demo) gets on top of our environment
        (`environ`: the environment `nahnetz up` ran in, when not this process's)."""
        from ..kit.settings import DEV_JWT_SECRET

        environ = os.environ if environ is None else environ
        env = environ.get("NAHNETZ_ENV") or "dev"
        # `nahnetz simulate` moves this stack's clock through past days (never in prod).
        clock = {} if env == "prod" else {"NAHNETZ_CLOCK_FILE": str(self.config.clock_path)}
        return {
            **clock,
            "KAFKA_BOOTSTRAP": self.config.bootstrap,
            "REDIS_URL": self.redis_url,
            "NAHNETZ_ENV": env,
            "NAHNETZ_JWT_SECRET": environ.get("NAHNETZ_JWT_SECRET") or DEV_JWT_SECRET,
            "PYTHONUNBUFFERED": "1",
            # The demo drives the coming market day's tours at once; set `refuse` to try the rule.
            "DISPATCH_EARLY_REPORTS": environ.get("DISPATCH_EARLY_REPORTS") or "allow",
            # One region for the hub, the routes and the demo.
            "NAHNETZ_REGION": self.config.region, "NAHNETZ_DEMO_REGION": self.config.region,
            "HUB_REGION": self.config.region, "ROUTING_REGION": self.config.region,
            **api_urls(self.planned),
            # Where a simulation asks whether the workers have caught up (their /readyz).
            "NAHNETZ_WORKER_URLS": " ".join(p.url for p in self.planned if p.role == "worker"),
        }

    # -- the demo ---------------------------------------------------------------------
    def run_demo(self) -> int | None:
        """Run `python -m nahnetz.demo` against the ready stack, its output on our
        terminal; None when no demo is installed."""
        if importlib.util.find_spec(DEMO_MODULE) is None:
            self.say(f"No demo is installed yet (module {DEMO_MODULE}): the stack runs without seed data.")
            return None
        self.say(f"Seeding the demo region (python -m {DEMO_MODULE}) ...")
        with self.uninterrupted():
            exports = {"NAHNETZ_DEMO_EXPORTS": str(self.config.run_dir / "exports")}  # the day's KPI files
            popen = subprocess.Popen([self.config.python, "-m", DEMO_MODULE],
                                     env={**os.environ, **self.child_env(), **exports}, cwd=self.config.root,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
            self.state.record(ProcessRecord("demo", "demo", popen.pid, None, "", None,
                                            process_start_ticks(popen.pid)))
            self._save()
        try:
            code = popen.wait()
        finally:
            if popen.poll() is None:
                stop_groups([popen.pid], self.config.stop_grace)
                popen.wait()
            self.state.forget("demo")
            self._save()
        if code != 0:
            self.say(f"The demo exited with code {code}; the stack keeps running.")
        return code

    # -- running and stopping ---------------------------------------------------------
    def detach(self) -> None:
        """Leave the processes running without us."""
        self.state.supervisor_pid = None
        self.state.supervisor_start_ticks = None
        self._save()

    def check_children(self, reported: set[str]) -> None:
        """In the foreground: report a service that died (once); a dead broker or
        Redis ends the stack."""
        for name, child in self.children.items():
            if child.running or name in reported:
                continue
            reported.add(name)
            if name in ("broker", "redis"):
                raise StackError(f"{name} stopped unexpectedly (exit code {child.returncode}). "
                                 f"Last lines of its log:\n{child.log_tail()}")
            self.say(f"warning: {name} exited with code {child.returncode}; the rest keeps running. "
                     f"Last lines of its log:\n{child.log_tail()}")

    def stop(self) -> None:
        """Services first, then broker and Redis; then forget the state."""
        if self.state is None:
            return
        stop_recorded(self.state, self.config.stop_grace, self.say)
        for child in self.children.values():
            try:
                child.popen.wait(timeout=1)  # reap, so no zombie outlives us
            except subprocess.TimeoutExpired:
                pass
        remove_state(self.config.state_path)

    def _save(self) -> None:
        self.state.save(self.config.state_path)


def stop_recorded(state: StackState, grace: float, say: Say) -> list[ProcessRecord]:
    """Stop every process the state records, in two waves; return those that
    survived even SIGKILL (none, unless the kernel is stuck)."""
    for wave in (state.services, state.infrastructure):
        running = [p for p in wave if p.alive]
        if not running:
            continue
        say(f"  stopping {', '.join(p.name for p in running)}")
        killed = stop_groups([p.pid for p in running], grace)
        for p in running:
            if p.pid in killed:
                say(f"  {p.name} did not stop within {grace:.0f} s of SIGTERM: killed")
    return [p for p in state.processes if p.alive]


def with_instances(planned: list[PlannedProcess], config: StackConfig, worker_base: int) -> list[PlannedProcess]:
    """Each worker as many times as `config` asks (NAHNETZ_WORKER_INSTANCES, `up
    --instances`): one consumer group, each instance with a health port of its own
    (`registry.worker_instance_port`), right after the first in the list."""
    services = service_names(planned)
    workers = {p.service for p in planned if p.role == "worker"}
    unknown = [s for s, _ in config.worker_instances if s != "*" and s not in workers]
    if unknown:
        raise StackError(f"worker instances for {', '.join(unknown)}: no such worker; "
                         f"workers: {', '.join(sorted(workers))}")
    numbers = numbers_for(services)
    span = max(numbers.values(), default=-1) + 1
    out: list[PlannedProcess] = []
    for p in planned:
        out.append(p)
        if p.role != "worker":
            continue
        for instance in range(2, config.instances_of(p.service) + 1):
            port = worker_instance_port(worker_base, numbers[p.service], instance, span)
            if port > 65535:
                raise StackError(f"{p.name} instance {instance}: port {port} is out of range; "
                                 f"lower NAHNETZ_WORKER_PORT_BASE or the instances")
            out.append(PlannedProcess(p.service, p.role, port, instance))
    return out


def check_ports(claims: list[tuple[int, str, str]]) -> None:
    """Fail naming every port that is taken or given twice, before anything starts."""
    problems: list[str] = []
    owner: dict[int, str] = {}
    for port, name, variable in claims:
        if port in owner:
            problems.append(f"port {port} is planned for both {owner[port]} and {name}; change {variable}")
            continue
        owner[port] = name
        if port_in_use(port):
            problems.append(f"port {port} ({name}) is already in use; free it or choose another with {variable}")
    if problems:
        raise StackError("cannot start the stack:\n  " + "\n  ".join(problems))


def _clear_old_logs(config: StackConfig) -> None:
    """Each run starts with fresh logs (the previous run's stay until then)."""
    if config.logs_dir.is_dir():
        shutil.rmtree(config.logs_dir)
    config.logs_dir.mkdir(parents=True, exist_ok=True)
