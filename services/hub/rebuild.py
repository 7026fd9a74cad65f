"""Rebuild the hub's Redis state from the topics.

    python -m services.hub.rebuild --yes
    HUB_APP_ID=nahnetz-hub-rebuilt-1 python -m services.hub.worker

The first command deletes the hub's projections: the read model
(`hub:shipment:*`, `hub:day:*`, `hub:cancelled:*`) and what the worker keeps of
other services' topics (`hub:shop:*`, `hub:point:*`, `hub:order:*`,
`hub:order-state:*`, `hub:waiting:*`, `hub:tour:*`). It keeps the hub's decisions
(`hub:request:*`, `hub:order-shipments:*`, `hub:published:*`, `hub:exception:*` and
the processed markers), so replaying orders.orders and logistics.tours decides
nothing twice and publishes nothing again. The worker, started as a new consumer
group, reads catalog.shops, pickup.points, orders.orders, logistics.tours and
logistics.shipments from their beginning; the read model comes back from
logistics.shipments. Stop the worker before running it.
"""

from __future__ import annotations

import argparse
import asyncio

import redis.asyncio as aioredis

from nahnetz.kit.settings import load_settings

PROJECTIONS = ("hub:shipment:*", "hub:day:*", "hub:cancelled:*", "hub:shop:*", "hub:point:*", "hub:order:*",
               "hub:order-state:*", "hub:waiting:*", "hub:tour:*")


async def clear_projections(redis: aioredis.Redis, patterns: tuple[str, ...] = PROJECTIONS) -> int:
    """Delete the keys matching `patterns`; return how many went."""
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


async def _main() -> None:
    redis = aioredis.Redis.from_url(load_settings().redis_url)
    try:
        print(f"deleted {await clear_projections(redis)} keys; now start the worker with a new HUB_APP_ID")
    finally:
        await redis.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--yes", action="store_true", help="really delete the hub's projections")
    if not parser.parse_args().yes:
        raise SystemExit("this deletes the hub's projections in Redis; run again with --yes")
    asyncio.run(_main())
