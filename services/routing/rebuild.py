"""Rebuild the routing service's Redis state from the topics.

    python -m services.routing.rebuild --yes
    ROUTING_APP_ID=nahnetz-routing-rebuilt-1 python -m services.routing.worker

The first command deletes routing's projections: shipments and days
(`routing:shipment:*`, `routing:day:*`), cancellations, dispatched tours and their
progress (`routing:tour:*`, `routing:plan-tours:*`) and the plans' read model
(`routing:plan:*`, `routing:plans:<day>`). It keeps the claims and outcomes of
plan requests (`routing:plan-request:*`, `routing:plan-outcome:*`,
`routing:plans:solving` and the processed markers), so a replayed request is not
solved again. The worker, started as a new consumer group, reads
logistics.shipments, logistics.tours, orders.orders and logistics.plans from
their beginning; the plans' read model comes back from the RoutePlanned /
RoutePlanFailed events. Stop the worker before running it.
"""

from __future__ import annotations

import argparse
import asyncio

import redis.asyncio as aioredis

from nahnetz.kit.settings import load_settings

from . import keys

PROJECTIONS = ("routing:shipment:*", "routing:day:*", "routing:cancelled:*", "routing:tour:*",
               "routing:plan-tours:*", "routing:plan:*", "routing:plans:*")


async def clear_projections(redis: aioredis.Redis) -> int:
    """Delete routing's projections; return how many keys went."""
    deleted = 0
    for pattern in PROJECTIONS:
        batch = []
        async for key in redis.scan_iter(match=pattern, count=500):
            if keys.text(key) == keys.SOLVING:
                continue  # claimed plans still to be answered
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
        print(f"deleted {await clear_projections(redis)} keys; now start the worker with a new ROUTING_APP_ID")
    finally:
        await redis.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--yes", action="store_true", help="really delete routing's projections")
    if not parser.parse_args().yes:
        raise SystemExit("this deletes the routing service's projections in Redis; run again with --yes")
    asyncio.run(_main())
