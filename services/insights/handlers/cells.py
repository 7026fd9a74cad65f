"""Writing a fold's changes to Redis: counters with HINCRBY, samples by entity id
(a second write of the same sample is the same value), and the day indexes the
readers walk. Every amount is an integer (metres, cents, seconds), so sums are
exact whatever order the cells were written in."""

from __future__ import annotations

from typing import Iterable

from redis.asyncio.client import Pipeline

from .. import keys
from ..domain.changes import Add, Change, Sample


def stage(pipe: Pipeline, changes: Iterable[Change]) -> None:
    """Queue the writes of `changes` (inside a transaction's write phase)."""
    for change in changes:
        cell = change.cell
        pipe.sadd(keys.index(cell.day, cell.kind), cell.ref)
        pipe.sadd(keys.days(cell.kind), cell.day.isoformat())
        if isinstance(change, Add):
            pipe.hincrby(keys.cell(cell.day, cell.kind, cell.ref), change.counter, int(change.amount))
        elif isinstance(change, Sample):
            pipe.hset(keys.samples(cell.day, cell.kind, cell.ref, change.measure), change.ref, change.value)
