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

import argparse
import asyncio

import redis.asyncio as aioredis

from nahnetz.kit.settings import load_settings
from nahnetz.messaging.idempotency import MARKER_PREFIX

from . import keys
from .handlers.tours import COMPLETE_TOUR


async def clear_state(redis: aioredis.Redis) -> int:
    """Delete the dispatch keys and markers; return how many keys went."""
    deleted = 0
    for pattern in (f"{keys.PREFIX}:*", f"{MARKER_PREFIX}:{COMPLETE_TOUR}:*"):
        batch = []
        async for key in redis.scan_iter(match=pattern, count=500):
            batch.append(key)
            if len(batch) >= 500:
                deleted += await redis.delete(*batch)
                batch = []
        if batch:
            deleted += await redis.delete(*batch)
    return deleted


async def _main(yes: bool) -> None:
    settings = load_settings()
    if not yes:
        raise SystemExit("this deletes the dispatch service's Redis state; run again with --yes")
    redis = aioredis.Redis.from_url(settings.redis_url)
    try:
        print(f"deleted {await clear_state(redis)} keys; now start the worker with a new DISPATCH_APP_ID")
    finally:
        await redis.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--yes", action="store_true", help="really delete")
    asyncio.run(_main(parser.parse_args().yes))
