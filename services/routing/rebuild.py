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
their beginning; the plans' read model comes back from the RoutePlanRequested,
RoutePlanned and RoutePlanFailed events. Stop the worker before running it.
"""

from __future__ import annotations

import redis.asyncio as aioredis

from nahnetz.kit.rebuild import delete_matching, rebuild_command

from . import keys

PROJECTIONS = ("routing:shipment:*", "routing:day:*", "routing:cancelled:*", "routing:tour:*",
               "routing:plan-tours:*", "routing:plan:*", "routing:plans:*")


async def clear_projections(redis: aioredis.Redis) -> int:
    """Delete routing's projections; return how many keys went."""
    # Claimed plans still to be answered stay (routing:plans:solving).
    return await delete_matching(redis, PROJECTIONS, keep=lambda key: key == keys.SOLVING)


if __name__ == "__main__":
    rebuild_command(__doc__, "the routing service's projections", "ROUTING_APP_ID", clear_projections)
