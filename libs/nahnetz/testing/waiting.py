"""Waiting on a real condition, never a fixed sleep.

    await eventually(lambda: redis.exists(key), what="the worker wrote the key")
    order = await eventually(confirmed, timeout=30, interval=0.3, what="order confirmed", watch=[worker])

The condition is called (and awaited when it returns an awaitable) until it gives
something truthy, which `eventually` returns. At the deadline it fails with an
`AssertionError` naming `what` and the last answer; when a watched process exits
meanwhile it fails at once, with the end of that process's log.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from typing import Any, Awaitable, Callable, Iterable, Protocol, TypeVar

T = TypeVar("T")

# An event travelling API -> broker -> worker -> Redis / broker, on a loaded 2-core machine.
EFFECT = 30.0
# A worker process: imports, then its consumer group's first join (about half the 6 s session timeout).
WORKER_START = 60.0
INTERVAL = 0.1


class Watched(Protocol):
    """A process a wait gives up on when it exits (ManagedProcess, WorkerProcess, ApiProcess)."""

    name: str

    @property
    def running(self) -> bool: ...

    def log_tail(self, lines: int = 20) -> str: ...


class NotInTime(AssertionError):
    """The condition did not hold within the timeout, or a watched process exited."""


async def eventually(condition: Callable[[], Awaitable[T] | T], *, timeout: float = EFFECT,
                     interval: float = INTERVAL, what: str | None = None,
                     watch: Iterable[Watched] = ()) -> T:
    """Call `condition` every `interval` seconds until it returns something truthy;
    return that. Fail after `timeout` seconds, or as soon as a watched process exits."""
    watched = list(watch)
    what = what or getattr(condition, "__name__", "the condition")
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = condition()
        if inspect.isawaitable(last):
            last = await last
        if last:
            return last
        for process in watched:
            if not process.running:
                raise NotInTime(f"{what}: {process.name} exited\n{process.log_tail(60)}")
        if time.monotonic() > deadline:
            tails = "".join(f"\n{p.log_tail(30)}" for p in watched)
            raise NotInTime(f"{what}: not within {timeout:.0f} s (last seen: {last!r:.2000}){tails}")
        await asyncio.sleep(interval)
