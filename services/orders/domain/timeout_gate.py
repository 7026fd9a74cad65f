"""When the worker may reject overdue orders.

Deadlines are wall-clock. If the worker was down or its partitions moved, the
answers that arrived meanwhile wait in the topics; rejecting on the stored
deadlines right away would turn answered orders into TIMEOUTs. So the gate opens
only after the consumer group has been settled for a grace period (one saga
timeout) without a rebalance in between.
"""

from __future__ import annotations


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
