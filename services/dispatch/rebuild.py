"""Rebuild the dispatch service's Redis state from the topics.

    python -m services.dispatch.rebuild --yes
    DISPATCH_APP_ID=nahnetz-dispatch-rebuilt-1 python -m services.dispatch.worker

The first command deletes every `dispatch:` key and the worker's processed
markers; the worker then starts as a new consumer group and reads
logistics.plans, logistics.shipments, catalog.shops, pickup.points and
logistics.tours from their beginning: plans, shipments and places are projected
again, and every tour is folded together from its TourDispatched and reports.
A finished tour whose TourCompleted is on the topic is not completed twice (it
is folded in as completed, and a completion made again carries the same event
id). Stop the API and the worker before running it.
"""

from __future__ import annotations

import redis.asyncio as aioredis

from nahnetz.kit.rebuild import delete_matching, rebuild_command
from nahnetz.messaging.idempotency import MARKER_PREFIX

from . import keys
from .handlers.tours import COMPLETE_TOUR


async def clear_state(redis: aioredis.Redis) -> int:
    """Delete the dispatch keys and markers; return how many keys went."""
    return await delete_matching(redis, (f"{keys.PREFIX}:*", f"{MARKER_PREFIX}:{COMPLETE_TOUR}:*"))


if __name__ == "__main__":
    rebuild_command(__doc__, "the dispatch service's state", "DISPATCH_APP_ID", clear_state)
