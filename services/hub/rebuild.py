"""Rebuild the hub's Redis state from the topics.

    python -m services.hub.rebuild --yes
    HUB_APP_ID=nahnetz-hub-rebuilt-1 python -m services.hub.worker

The first command deletes the hub's projections: the read model
(`hub:shipment:*`, `hub:day:*`, `hub:cancelled:*`) and what the worker keeps of
other services' topics (`hub:shop:*`, `hub:point:*`, `hub:order:*`,
`hub:order-state:*`, `hub:waiting:*`, `hub:tour:*`). It keeps the hub's decisions
(`hub:request:*`, `hub:order-shipments:*`, `hub:exception:*` and the Outbox's
processed markers), so replaying orders.orders and logistics.tours decides
nothing twice and publishes nothing again. The worker, started as a new consumer
group, reads catalog.shops, pickup.points, orders.orders, logistics.tours and
logistics.shipments from their beginning; the read model comes back from
logistics.shipments. Stop the worker before running it.
"""

from __future__ import annotations

import redis.asyncio as aioredis

from nahnetz.kit.rebuild import delete_matching, rebuild_command

PROJECTIONS = ("hub:shipment:*", "hub:day:*", "hub:cancelled:*", "hub:shop:*", "hub:point:*", "hub:order:*",
               "hub:order-state:*", "hub:waiting:*", "hub:tour:*")


async def clear_projections(redis: aioredis.Redis, patterns: tuple[str, ...] = PROJECTIONS) -> int:
    """Delete the keys matching `patterns`; return how many went."""
    return await delete_matching(redis, patterns)


if __name__ == "__main__":
    rebuild_command(__doc__, "the hub's projections", "HUB_APP_ID", clear_projections)
