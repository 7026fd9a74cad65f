"""Busy machine: N processes burning a core each while the benchmark runs."""

from __future__ import annotations

import atexit
import signal
import subprocess
import sys
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def burners(n: int) -> Iterator[list[subprocess.Popen]]:
    """Start n busy loops; they are killed on leaving, on SIGTERM at once, and at exit."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(max(0, n))]

    def stop() -> None:
        for p in procs:
            if p.poll() is None:
                p.kill()
        for p in procs:
            p.wait()

    def terminated(*_) -> None:
        stop()  # now, not after the solver's pool has finished its current task
        sys.exit(143)

    atexit.register(stop)
    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        yield procs
    finally:
        stop()
        signal.signal(signal.SIGTERM, previous)
        atexit.unregister(stop)
