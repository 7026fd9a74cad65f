"""Spreading the run over processes (pytest-xdist, `./run-tests -n N`): which unit of
tests each process takes next. `tests/conftest.py` plugs this into xdist's scheduler.

The e2e and browser packages each share one whole stack (package-scoped fixtures): each goes
to one process as a whole. Every other file is a unit of its own, as module-scoped brokers
and tests that build on the one before expect. The units that run whole stacks are CPU-bound
(three at once made the main job's test four times slower): one process, the lane, takes them
one after the other while the others share the rest, and takes the last of them only when
that is done. The lane starts with the solver's tests, which judge plans found in seconds of
wall clock and need a core of their own: beside a whole stack a Höxter day served 188
shipments instead of 212. Meanwhile the other process runs tests that do not start stacks.
"""

from __future__ import annotations

from typing import Iterable

WHOLE_PACKAGES = ("tests/e2e/", "tests/browser/")
LANE = ("tests/unit/test_routing_", "tests/integration/test_stack.py", "tests/e2e/", "tests/browser/")


def unit_of(nodeid: str) -> str:
    """The unit a test goes with: its whole package (e2e, browser) or its file."""
    return next((p for p in WHOLE_PACKAGES if nodeid.startswith(p)), nodeid.split("::", 1)[0])


def in_lane(unit: str) -> bool:
    return unit.startswith(LANE)


def next_unit(waiting: Iterable[str], *, for_lane: bool) -> str:
    """The unit a process takes next from those waiting (in collection order): the lane
    takes the stack units in LANE's order, then anything; another process takes the
    other units first, then the lane's last one."""
    units = list(waiting)
    lane = sorted((u for u in units if in_lane(u)), key=lambda u: next(i for i, p in enumerate(LANE)
                                                                       if u.startswith(p)))
    others = [u for u in units if not in_lane(u)]
    if for_lane:
        return (lane or others)[0]
    return others[0] if others else lane[-1]
