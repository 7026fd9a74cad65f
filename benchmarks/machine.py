"""The machine a benchmark ran on, for its printout and the README's figures."""

from __future__ import annotations

import os
import platform
from datetime import datetime, timezone
from pathlib import Path


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or ""


def machine_info() -> dict:
    """Cores, CPU, load average (the machine is shared), Python and the date, as data."""
    return {
        "cores": os.cpu_count(),
        "cpu": cpu_model(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def machine_line() -> str:
    """The same as one line."""
    m = machine_info()
    load = ", ".join(f"{v:.2f}" for v in m["load_average"])
    return (f"{m['date']}  {m['cores']} cores, {m['cpu']}, load average {load} (machine shared), "
            f"Python {m['python']}")
