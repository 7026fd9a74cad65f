"""How far a worker has handled its topics, in the producers' time: the watermark.

A timer that judges "no answer by the deadline" by the wall clock is wrong
whenever the worker is behind: during a Redis outage its agents wait on the
message they hold while answers pile up in the topics; after a backlog they
hold answers older than the deadline. The watermark of a set of topics is the
record time up to which everything on them has been handled:

- a partition whose record is being handled: that record's time (everything
  before it is done, nothing from it on);
- a partition handled up to its end (no record waiting): now;
- a partition behind its end: the time of the last record handled;
- a partition nothing was handled on yet: now if nothing waits there, else
  nothing is known (the watermark is 0 until it is).

So "no answer by D" is only said once the watermark of the answer topics has
passed D: if an answer was sent before D, it has been handled by then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

from .delivery import Delivery

Partition = tuple[str, int]   # (topic, partition)


@dataclass(frozen=True)
class Mark:
    offset: int
    timestamp_ms: int


@dataclass
class Progress:
    """Per partition: the record being handled, and the last one handled (this process)."""

    busy: dict[Partition, Mark] = field(default_factory=dict)
    done: dict[Partition, Mark] = field(default_factory=dict)

    def begin(self, delivery: Delivery) -> None:
        self.busy[(delivery.topic, delivery.partition)] = _mark(delivery)

    def end(self, delivery: Delivery) -> None:
        where = (delivery.topic, delivery.partition)
        self.busy.pop(where, None)
        self.done[where] = _mark(delivery)


def _mark(delivery: Delivery) -> Mark:
    # A record without a time (old message format) counts as sent at the epoch: never "later".
    return Mark(delivery.offset, delivery.timestamp_ms or 0)


def watermarks(progress: Progress, ends: Mapping[Partition, int], positions: Mapping[Partition, int],
               now_ms: int) -> dict[Partition, int]:
    """For each partition in `ends` (its end offset: the next offset to be written), the
    record time (ms) up to which it is handled; `positions`: the consumer's next offset
    to fetch, for partitions nothing was handled on yet. The watermark of them all is
    the smallest."""
    return {where: _partition_mark(where, end, progress, positions.get(where), now_ms)
            for where, end in ends.items()}


def _partition_mark(where: Partition, end: int, progress: Progress, position: int | None, now_ms: int) -> int:
    if where in progress.busy:
        return progress.busy[where].timestamp_ms
    done = progress.done.get(where)
    if done is not None:
        return now_ms if done.offset + 1 >= end else done.timestamp_ms
    return now_ms if position is not None and position >= end else 0


def of_topics(partitions: Iterable[Partition], topics: Iterable[str]) -> list[Partition]:
    names = set(topics)
    return [p for p in partitions if p[0] in names]
