"""Redis's state belongs to the broker log it was derived from.

Everything the services keep in Redis (read models, decision state such as stock
and compartments, processed markers, idempotency keys) is derived from the
topics. The embedded broker keeps its log in memory, so after `nahnetz down` (or
a crash) the log is gone, while Redis keeps its append-only file in the run dir
(or lives on its own, at REDIS_URL). Served as it is, that state would show
shops, goods and orders that no topic holds, and decide against stock that no
event ever set.

So Redis records the cluster id of the broker its state comes from
(`nahnetz:stack:broker-log`; each embedded broker start has its own id, see
`nahnetz.stack.infra`), and `nahnetz up` compares it with the broker it just
started: when they differ, the Nahnetz keys are deleted, and `up` says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import redis

from .infra import broker_cluster_id
from .registry import SERVICE_NUMBERS
from .state import StackState

LINEAGE_KEY = "nahnetz:stack:broker-log"
BATCH = 500


@dataclass(frozen=True)
class Lineage:
    broker: str              # the cluster id of the broker now
    recorded: str | None     # the one Redis's state was derived from, if it said
    cleared: int             # keys deleted because their log is gone

    @property
    def stale(self) -> bool:
        return self.cleared > 0


def nahnetz_patterns(services: Iterable[str] = SERVICE_NUMBERS) -> list[str]:
    """The keys Nahnetz writes: the kit's (`nahnetz:`) and each service's (`<service>:`)."""
    return ["nahnetz:*", *(f"{service}:*" for service in sorted(set(services)))]


def reconcile(redis_url: str, broker: str, *, everything: bool,
              services: Iterable[str] = SERVICE_NUMBERS) -> Lineage:
    """Clear Redis unless its state comes from broker log `broker`; record that it does.
    `everything`: the Redis is the stack's own (delete all keys), else only Nahnetz's."""
    client = redis.Redis.from_url(url=redis_url, decode_responses=True, socket_connect_timeout=5,
                                  socket_timeout=30)
    try:
        recorded = client.get(LINEAGE_KEY)
        cleared = 0
        if recorded != broker:
            if everything:
                cleared = client.dbsize()
                client.flushdb()
            else:
                cleared = _delete_matching(client, nahnetz_patterns(services))
            cleared -= recorded is not None  # the old record itself is no state
            client.set(LINEAGE_KEY, broker)
        return Lineage(broker, recorded, cleared)
    finally:
        client.close()


def _delete_matching(client: redis.Redis, patterns: list[str]) -> int:
    deleted = 0
    for pattern in patterns:
        batch: list[str] = []
        for key in client.scan_iter(match=pattern, count=BATCH):
            batch.append(key)
            if len(batch) >= BATCH:
                deleted += client.unlink(*batch)
                batch = []
        if batch:
            deleted += client.unlink(*batch)
    return deleted


def check_lineage(state: StackState, *, own_redis: bool, say: Callable[[str], None]) -> Lineage:
    """`nahnetz up`, once broker and Redis answer: read models from a log that is gone are
    not served as if nothing happened. Records the broker's cluster id in `state`."""
    broker = broker_cluster_id(state.bootstrap)
    state.broker_cluster_id = broker
    found = reconcile(state.redis_url, broker, everything=own_redis)
    if found.stale:
        origin = f"broker log {found.recorded}" if found.recorded else "a broker log it did not name"
        say(f"  redis    held {found.cleared} keys (read models, stock and compartments, processed "
            f"markers) derived from {origin}, which is gone: the embedded broker keeps its log in "
            f"memory. Cleared {'Redis' if own_redis else 'the Nahnetz keys'}; everything starts empty "
            f"(seed again).")
    return found
