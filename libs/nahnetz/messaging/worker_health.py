"""Is a worker ready? Broker and Redis answer, and its consumer group settled.

A worker is ready once it has finished a rebalance (it joined the group, got
its partitions and Faust resumed the streams) and is not in the middle of the
next one. A worker that finished its rebalance with no partitions (more
workers than partitions) is ready too: it is a healthy standby, and keeping it
"unready" would block rolling deployments for nothing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..kit.health import broker_ready, redis_ready


@dataclass(frozen=True)
class GroupState:
    settled_once: bool          # a rebalance finished since the worker started
    rebalancing: bool
    partitions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Readiness:
    ready: bool
    problems: list[str] = field(default_factory=list)
    partitions: tuple[str, ...] = ()

    def as_json(self, service: str) -> dict[str, Any]:
        return {"status": "ready" if self.ready else "not ready", "service": service,
                "partitions": list(self.partitions), "problems": self.problems}


def judge(group: GroupState, broker_problem: str | None, redis_problem: str | None) -> Readiness:
    problems = [p for p in (broker_problem, redis_problem) if p]
    if not group.settled_once:
        problems.append("consumer group: partitions not assigned yet")
    elif group.rebalancing:
        problems.append("consumer group: rebalancing")
    return Readiness(not problems, problems, group.partitions)


def group_state(app: Any, topics: Iterable[str]) -> GroupState:
    """Read the consumer-group state off a running Faust app; `topics` are the
    ones its agents consume (the assignment also holds Faust's internal ones)."""
    settled = app.tables.recovery.completed.is_set()
    names = set(topics)
    partitions: tuple[str, ...] = ()
    if settled:
        assigned = app.consumer.assignment()
        partitions = tuple(sorted(f"{tp.topic}[{tp.partition}]" for tp in assigned if tp.topic in names))
    return GroupState(settled, bool(app.rebalancing), partitions)


async def check(app: Any, topics: Iterable[str], bootstrap: str, redis: Any) -> Readiness:
    broker_problem, redis_problem = await asyncio.gather(broker_ready(bootstrap), redis_ready(redis))
    return judge(group_state(app, topics), broker_problem, redis_problem)
