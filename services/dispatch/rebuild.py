"""Rebuild the dispatch service's Redis state from the topics.

    python -m services.dispatch.rebuild --yes
    DISPATCH_APP_ID=nahnetz-dispatch-rebuilt-1 python -m services.dispatch.worker

The first command deletes every `dispatch:` key; the worker then starts as a new
consumer group and reads logistics.plans, logistics.shipments, catalog.shops,
pickup.points and logistics.tours from their beginning: plans, shipments and
places are projected again, and every tour is folded together from its
TourDispatched and reports. The Outbox's processed markers are kept: a finished
tour whose TourCompleted is on the topic is folded in as completed and not
completed again (were the markers lost too, a completion made again carries the
same event id, and consumers drop it). Stop the API and the worker before
running it.
"""

from __future__ import annotations

import redis.asyncio as aioredis

from nahnetz.kit.rebuild import delete_matching, rebuild_command

from . import keys


async def clear_state(redis: aioredis.Redis) -> int:
    """Delete the dispatch keys; return how many went."""
    return await delete_matching(redis, (f"{keys.PREFIX}:*",))


if __name__ == "__main__":
    rebuild_command(__doc__, "the dispatch service's state", "DISPATCH_APP_ID", clear_state)
