"""Rebuild the orders service's Redis state from the topics.

    python -m services.orders.rebuild --yes
    ORDERS_APP_ID=nahnetz-orders-rebuilt-1 python -m services.orders.worker

The first command deletes every `orders:` key and the orders worker's processed
markers; the worker then starts as a new consumer group, which reads
catalog.products, pickup.points, orders.orders, catalog.stock-reservations,
pickup.reservations and pickup.parcels from their beginning and projects them
again. Sagas replayed this way end as they ended: the order's own OrderConfirmed
or OrderRejected on orders.orders closes each one, and a decision made again
carries the same derived event id as the first (order_events.py), so consumers
drop it. The API's short-lived keys (submitted orders, cancel claims) are not
rebuilt: they only bridge the moments before the worker has projected an event.
Stop the worker before running it.
"""

from __future__ import annotations

import argparse
import asyncio

import redis.asyncio as aioredis

from nahnetz.kit.settings import load_settings
from nahnetz.messaging.idempotency import MARKER_PREFIX

from . import handlers, keys

CONSUMERS = (handlers.LIFECYCLE, handlers.STOCK_DECISIONS, handlers.COMPARTMENT_DECISIONS,
             handlers.SAGA_TIMEOUT, handlers.PARCELS)


async def clear_state(redis: aioredis.Redis) -> int:
    """Delete the orders keys and markers; return how many keys went."""
    patterns = [f"{keys.PREFIX}:*"] + [f"{MARKER_PREFIX}:{consumer}:*" for consumer in CONSUMERS]
    deleted = 0
    for pattern in patterns:
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
        raise SystemExit("this deletes the orders service's Redis state; run again with --yes")
    redis = aioredis.Redis.from_url(settings.redis_url)
    try:
        print(f"deleted {await clear_state(redis)} keys; now start the worker with a new ORDERS_APP_ID")
    finally:
        await redis.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--yes", action="store_true", help="really delete")
    asyncio.run(_main(parser.parse_args().yes))
