"""`nahnetz up | status | logs | down` as a user runs them: the real console command
in a subprocess, a real Tansu broker, a real redis-server, real service processes.

Every test runs in its own run dir on free ports (`nahnetz.testing.EmbeddedStack`),
with REDIS_URL unset so the stack starts its own Redis, and ends by checking that no process is left: none
recorded in the state file and none carrying the test's run dir in its
environment (every process the stack starts, and their children, inherit it).
"""

from __future__ import annotations

import asyncio
import json
import queue
import re
import signal
import socket
import subprocess
import textwrap
import threading
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from nahnetz.stack.config import project_root
from nahnetz.stack.registry import next_free_number
from nahnetz.testing import EmbeddedStack
from nahnetz.topics import all_with_dead_letters

pytestmark = pytest.mark.integration


# -- fixture services -------------------------------------------------------------------
ECHO_API = '''
import os
import redis.asyncio as aioredis
from fastapi import FastAPI
from fastapi.responses import JSONResponse


def create_app():
    print("echo api starting on port", os.environ["NAHNETZ_HTTP_PORT"], flush=True)
    app = FastAPI()
    client = aioredis.Redis.from_url(os.environ["REDIS_URL"])

    @app.get("/healthz")
    async def healthz():
        return {"alive": True}

    @app.get("/readyz")
    async def readyz():
        try:
            await client.ping()
        except Exception as exc:
            return JSONResponse({"redis": str(exc)}, status_code=503)
        return {"ready": True}

    @app.get("/env")
    async def env():
        return {k: v for k, v in os.environ.items()
                if k.startswith(("NAHNETZ_", "KAFKA_", "REDIS_", "PYTHONUNBUFFERED"))}

    return app


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(create_app(), host=os.environ["NAHNETZ_HTTP_HOST"], port=int(os.environ["NAHNETZ_HTTP_PORT"]))
'''

# A worker that leaves a child of its own behind when terminated, as a sloppy
# service would: the stack must stop the whole process group.
HEALTH_WORKER = '''
import os, signal, subprocess, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

IGNORE_SIGTERM = {ignore_sigterm}


class Health(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path in ("/healthz", "/readyz", "/metrics") else 404)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def main():
    if IGNORE_SIGTERM:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    else:
        signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    print("worker starting, helper pid", helper.pid, flush=True)
    port = int(os.environ["NAHNETZ_WORKER_PORT"])
    ThreadingHTTPServer(("127.0.0.1", port), Health).serve_forever()


if __name__ == "__main__":
    main()
'''

BROKEN_API = '''
raise RuntimeError("misconfigured on purpose: no pick-up points")
'''

# Alive, never ready: answers /readyz with 503 and the reason.
NEVER_READY_WORKER = '''
import json, os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Health(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"partitions": "none assigned yet"}).encode()
        self.send_response(200 if self.path == "/healthz" else 503)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    print("lagging worker waiting for partitions", flush=True)
    ThreadingHTTPServer(("127.0.0.1", int(os.environ["NAHNETZ_WORKER_PORT"])), Health).serve_forever()
'''


def write_services(root: Path, services: dict[str, dict[str, str]]) -> Path:
    """A `services` package under `root`: {service: {file name: source}}."""
    folder = root / "services"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    for service, files in services.items():
        (folder / service).mkdir()
        (folder / service / "__init__.py").write_text("")
        for name, source in files.items():
            (folder / service / name).write_text(textwrap.dedent(source))
    return folder


def echo_services(tmp_path: Path) -> Path:
    return write_services(tmp_path / "pkg", {
        "echo": {"api.py": ECHO_API, "worker.py": HEALTH_WORKER.replace("{ignore_sigterm}", "False")},
        "stubborn": {"worker.py": HEALTH_WORKER.replace("{ignore_sigterm}", "True")},
        "_template": {"api.py": BROKEN_API},  # skipped: starts with "_"
        "lib_only": {"model.py": "X = 1\n"},  # skipped: neither api.py nor worker.py
    })


# -- helpers ----------------------------------------------------------------------------
class Output:
    """The lines a child prints, read in the background so its pipe never fills."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, args=(proc,), daemon=True).start()

    def _pump(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def until(self, needle: str, timeout: float, ok_to_time_out: bool = False) -> list[str]:
        """Lines up to the first one containing `needle`."""
        got: list[str] = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                if ok_to_time_out:
                    return got
                raise AssertionError(f"no {needle!r} within {timeout} s:\n{''.join(self.seen)}")
            if line is None:
                raise AssertionError(f"the process ended before printing {needle!r}:\n{''.join(self.seen)}")
            got.append(line)
            self.seen.append(line)
            if needle in line:
                return got


def get_json(url: str) -> dict:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=5) as response:
        return json.loads(response.read())


def broker_topics(bootstrap: str) -> set[str]:
    from aiokafka.admin import AIOKafkaAdminClient

    async def names() -> set[str]:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            return set(await admin.list_topics())
        finally:
            await admin.close()

    return asyncio.run(names())


@pytest.fixture
def make_stack(tmp_path):
    """`make_stack(services_dir=None)`: an EmbeddedStack (not up yet) of the project's
    services or of a fixture folder; whatever a test leaves running is stopped."""
    made: list[EmbeddedStack] = []

    def make(services_dir: Path | None = None) -> EmbeddedStack:
        env = {"NAHNETZ_READY_TIMEOUT": "90", "NAHNETZ_STOP_GRACE": "2"}
        if services_dir is not None:
            env["NAHNETZ_SERVICES_DIR"] = str(services_dir)
        stack = EmbeddedStack(tmp_path / f"stack{len(made)}" / "run", env=env)
        made.append(stack)
        return stack

    yield make
    for stack in made:
        stack.ensure_down()


def assert_signs_in(web: str, username: str, password: str) -> None:
    """The sign-in form takes the account: to the role's start page."""
    with httpx.Client(base_url=web) as client:
        form = client.get("/anmelden")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
        answer = client.post("/anmelden", data={"username": username, "password": password, "csrf": csrf})
    assert answer.status_code == 303 and answer.headers["location"] == "/betrieb", answer.text


# -- tests ------------------------------------------------------------------------------
@pytest.mark.timeout(720)  # the whole demo: a simulated week, then the day (about 4 minutes on 2 cores)
def test_the_main_job_seeds_the_region_shows_it_at_work_and_down_leaves_nothing(make_stack):
    """What a user runs (`./run-demo`): every service in services/, the seeded
    region at work (a smaller day of orders), then down leaves nothing."""
    from nahnetz.stack.discovery import discover

    stack = make_stack()
    stack.env["NAHNETZ_DEMO_ORDERS"] = "40"
    stack.env["NAHNETZ_DEMO_PLAN_SECONDS"] = "3"   # the routing benchmarks judge the tours; here they need only exist
    expected = {"broker", "redis"} | {p.name for p in discover(project_root() / "services")}

    result = stack.run("up", "--detach", timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Nahnetz is ready" in result.stdout
    # First the week before today through the moved clock (nahnetz simulate): market days driven.
    assert "the last 7 days, simulated" in result.stdout
    assert re.search(r"(Thu|Fri) \d\d\.\d\d\.\d{4}: \d+ Bestellungen / orders, \d+ bestätigt", result.stdout), \
        result.stdout
    # The visible result: orders decided by the saga, compartments used per pick-up point.
    confirmed = re.search(r"CONFIRMED\s+(\d+)", result.stdout)
    assert confirmed and int(confirmed.group(1)) > 0, result.stdout
    assert "40 aufgegeben / placed" in result.stdout
    assert "STILL_PENDING" not in result.stdout
    used = re.search(r"Summe / total\s+(\d+)\s+(\d+)", result.stdout)
    assert used and 0 < int(used.group(1)) <= int(used.group(2)), result.stdout
    # The logistics day: tours planned and driven, parcels in the lockers, residents collecting.
    assert re.search(r"van-hx-\d\s+\d+\s+[\d.]+", result.stdout), result.stdout
    ready = re.search(r"(\d+) Bestellungen abholbereit", result.stdout)
    assert ready and int(ready.group(1)) > 0, result.stdout
    collected = re.search(r"(\d+) abgeholt / collected\n", result.stdout)
    assert collected and int(collected.group(1)) > 0, result.stdout

    # The day as the town halls see it: the district's KPI table, and the exports written.
    assert "Kennzahlen des Kreises / district KPIs" in result.stdout
    orders_today = re.search(r"Bestellungen / Orders\s+(\d+)", result.stdout)
    assert orders_today and int(orders_today.group(1)) >= 40, result.stdout
    assert re.search(r"Touren / Tours\s+0\s+[1-9]\d*", result.stdout), result.stdout   # driven on the tour day
    state = stack.state()
    exports = Path(state.run_dir) / "exports"
    written = sorted(p.name for p in exports.iterdir())
    assert "open-data.geojson" in written and "open-data.ngsi-ld.json" in written, written
    assert any(n.startswith("kennzahlen-") and n.endswith(".csv") for n in written), written
    assert any(n.startswith("bericht-") and n.endswith(".html") for n in written), written
    assert not (Path(state.run_dir) / "clock").exists()  # the clock is back on the wall clock
    # The web front's address and the demo's sign-ins, which work.
    web = re.search(r"Webseite / web front: (http://\S+)", result.stdout)
    operator = re.search(r"^  betrieb\s+(\S+)\s", result.stdout, re.M)
    assert web and operator and "Bewohner / resident: +49" in result.stdout, result.stdout
    assert_signs_in(web.group(1), "betrieb", operator.group(1))
    assert {p.name for p in state.processes} == expected
    assert state.supervisor_pid is None  # detached

    status = stack.run("status")
    assert status.returncode == 0, status.stdout + status.stderr
    for name in expected:
        row = next(line for line in status.stdout.splitlines() if line.split()[:1] == [name])
        assert row.split()[2:4] == ["yes", "yes"], row

    registry = {t.name for t in all_with_dead_letters()}
    assert registry <= broker_topics(f"127.0.0.1:{stack.broker_port}")

    down = stack.run("down")
    assert down.returncode == 0, down.stdout + down.stderr
    assert not stack.state_path.exists()
    assert stack.leftovers() == []
    assert stack.run("status").returncode == 1


def test_ilzer_land_s_day_ends_with_a_freight_day_on_trips_driven_anyway(make_stack):
    """`./run-demo --region ilzer-land`: the same day in Ilzer Land, then the freight
    exchange: trips offered (some by phone), loads posted, matched, agreed by both
    sides, handed over with the code and delivered; the load no trip could carry is
    reported as unmatchable."""
    stack = make_stack()
    stack.env["NAHNETZ_DEMO_ORDERS"] = "20"
    stack.env["NAHNETZ_DEMO_SIMULATE_DAYS"] = "0"   # the main job's test shows the simulated week
    result = stack.run("up", "--detach", "--region", "ilzer-land", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Region Ilzer Land" in out and "Regionallager Ilzer Land" in out, out
    assert "Frachtbörse / freight exchange Ilzer Land" in out, out
    assert "(am Telefon / by phone)" in out
    carried = re.search(r"(\d+) von / of (\d+) Ladungen mitgenommen", out)
    assert carried and int(carried.group(1)) >= 2, out
    assert re.search(r"Bewohnerin aus Prag .* zugestellt / delivered", out), out
    assert "heavier than any room on offer" in out
    saved = re.search(r"([\d.]+) km und / and ([\d.]+) kg CO₂ gespart", out)
    assert saved and float(saved.group(1)) > 0 and float(saved.group(2)) > 0, out
    assert stack.run("down").returncode == 0


def test_services_get_their_ports_and_env_and_down_stops_whole_process_groups(make_stack, tmp_path):
    stack = make_stack(echo_services(tmp_path))

    result = stack.run("up", "--no-seed", "--detach")
    assert result.returncode == 0, result.stdout + result.stderr
    names = {p.name: p for p in stack.state().processes}
    assert set(names) == {"broker", "redis", "echo-api", "echo-worker", "stubborn-worker"}
    # Ports by service number: services not in the registry take the numbers after
    # the registered ones, in name order (echo n, stubborn n + 1).
    echo = next_free_number()
    api_port = stack.api_base + echo
    assert names["echo-api"].port == api_port
    assert names["echo-worker"].port == stack.worker_base + echo
    assert names["stubborn-worker"].port == stack.worker_base + echo + 1
    assert f"http://127.0.0.1:{api_port}" in result.stdout

    env = get_json(f"http://127.0.0.1:{api_port}/env")
    assert env["KAFKA_BOOTSTRAP"] == f"127.0.0.1:{stack.broker_port}"
    assert env["REDIS_URL"] == f"redis://127.0.0.1:{stack.redis_port}/0"
    assert env["NAHNETZ_SERVICE"] == "echo"
    assert env["NAHNETZ_HTTP_PORT"] == str(api_port)
    assert env["NAHNETZ_URL_ECHO"] == f"http://127.0.0.1:{api_port}"
    assert env["NAHNETZ_JWT_SECRET"] and env["NAHNETZ_ENV"] in ("dev", "test")
    assert env["PYTHONUNBUFFERED"] == "1"

    again = stack.run("up", "--no-seed", "--detach")
    assert again.returncode != 0
    assert "already running" in again.stderr

    status = stack.run("status")
    assert status.returncode == 0, status.stdout

    logs = stack.run("logs", "echo-api", "-n", "20")
    assert logs.returncode == 0 and f"echo api starting on port {api_port}" in logs.stdout
    service_logs = stack.run("logs", "echo")  # a service name: its API and worker
    assert "echo-api" in service_logs.stdout and "echo-worker" in service_logs.stdout
    assert stack.run("logs", "nosuch").returncode == 1

    follow = stack.popen("logs", "echo-api", "-f", "-n", "0")
    output = Output(follow)
    try:
        probe = f"/env?probe={uuid.uuid4().hex}"
        started = time.monotonic()
        lines: list[str] = []
        while not any(probe in line for line in lines):  # -f may attach after our first request
            assert time.monotonic() - started < 20, f"`logs -f` never showed {probe}: {lines}"
            get_json(f"http://127.0.0.1:{api_port}{probe}")
            lines += output.until("GET /env", timeout=2, ok_to_time_out=True)
        follow.send_signal(signal.SIGINT)
        assert follow.wait(timeout=10) == 0
    finally:
        if follow.poll() is None:
            follow.kill()

    down = stack.run("down")
    assert down.returncode == 0, down.stdout + down.stderr
    assert "stubborn-worker did not stop within 2 s of SIGTERM: killed" in down.stdout
    assert stack.leftovers() == []  # also the helpers the workers spawned


def test_a_port_in_use_is_named_and_nothing_is_left(make_stack, tmp_path):
    stack = make_stack(echo_services(tmp_path))
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", stack.broker_port))  # bound, not even listening
        result = stack.run("up", "--no-seed", "--detach")
    assert result.returncode != 0
    assert f"port {stack.broker_port} (broker) is already in use" in result.stderr
    assert "NAHNETZ_BROKER_PORT" in result.stderr
    assert not stack.state_path.exists()
    assert stack.leftovers() == []


def test_a_service_that_fails_is_named_with_its_log_and_the_rest_is_stopped(make_stack, tmp_path):
    services = write_services(tmp_path / "pkg", {
        "aaa": {"worker.py": HEALTH_WORKER.replace("{ignore_sigterm}", "False")},
        "broken": {"api.py": BROKEN_API},
    })
    stack = make_stack(services)
    result = stack.run("up", "--no-seed", "--detach")
    assert result.returncode == 1
    assert "broken-api exited with code" in result.stderr
    assert "misconfigured on purpose: no pick-up points" in result.stderr  # its last log lines
    assert not stack.state_path.exists()
    assert stack.leftovers() == []


def test_a_service_that_never_gets_ready_is_named_with_its_reason(make_stack, tmp_path):
    stack = make_stack(write_services(tmp_path / "pkg", {"lagging": {"worker.py": NEVER_READY_WORKER}}))
    stack.env["NAHNETZ_READY_TIMEOUT"] = "3"
    result = stack.run("up", "--no-seed", "--detach")
    assert result.returncode == 1
    assert "not ready after 3 s (NAHNETZ_READY_TIMEOUT): lagging-worker" in result.stderr
    assert 'HTTP 503: {"partitions": "none assigned yet"}' in result.stderr
    assert "lagging worker waiting for partitions" in result.stderr
    assert not stack.state_path.exists()
    assert stack.leftovers() == []


@contextmanager
def foreground_up(stack: EmbeddedStack) -> Iterator[subprocess.Popen]:
    """`nahnetz up` in the foreground, once it says it runs; killed at the end if still alive."""
    proc = stack.popen("up", "--no-seed")
    try:
        Output(proc).until("Press Ctrl-C to stop", timeout=90)
        stack.remember_state()
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()


def test_foreground_up_stopped_with_ctrl_c_leaves_nothing(make_stack, tmp_path):
    stack = make_stack(echo_services(tmp_path))
    with foreground_up(stack) as proc:
        assert stack.state().supervisor_pid == proc.pid
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    assert not stack.state_path.exists()
    assert stack.leftovers() == []


def test_down_cleans_up_after_up_was_killed_hard(make_stack, tmp_path):
    stack = make_stack(echo_services(tmp_path))
    with foreground_up(stack) as proc:
        proc.kill()
        proc.wait(timeout=10)
    assert stack.run("status").returncode == 0  # the stack outlives its supervisor
    down = stack.run("down")
    assert down.returncode == 0, down.stdout + down.stderr
    assert stack.leftovers() == []
