"""When the worker may reject overdue orders, and which.

Deadlines are wall-clock. If the worker was down or its partitions moved, the
answers that arrived meanwhile wait in the topics; rejecting on the stored
deadlines right away would turn answered orders into TIMEOUTs. So the gate opens
only after the consumer group has been settled for a grace period (one saga
timeout) without a rebalance or an outage (Redis or the broker not answering)
in between.

While running, the workers may still be behind: waiting out a Redis outage on
the message they hold, or working off a backlog. So an order times out only once
its deadline is behind the answer topics' watermark too (`horizon`): every answer
sent before the deadline has been handled by then, on every partition, whichever
instance holds it (`nahnetz.messaging.progress`).
"""

from __future__ import annotations

from typing import Iterable


def horizon(now_s: float, watermarks_ms: Iterable[int]) -> float:
    """The latest deadline (epoch s) that may be judged now: the wall clock, or the
    answer topics' watermark where that is behind."""
    return min([now_s, *(mark / 1000 for mark in watermarks_ms)])


class TimeoutGate:
    def __init__(self, grace_s: float):
        self.grace_s = grace_s
        self._settled_since: float | None = None

    def open(self, settled: bool, now: float) -> bool:
        """`settled`: the group has its partitions and is not rebalancing; `now`: monotonic seconds."""
        if not settled:
            self._settled_since = None
            return False
        if self._settled_since is None:
            self._settled_since = now
        return now - self._settled_since >= self.grace_s

    def interrupted(self) -> None:
        """Redis or the broker did not answer: the services upstream were likely paused too,
        and their answers come late once they are back. Count the grace period anew."""
        self._settled_since = None
