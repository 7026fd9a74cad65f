"""Rebuild the orders service's Redis state from the topics.

    python -m services.orders.rebuild --yes
    ORDERS_APP_ID=nahnetz-orders-rebuilt-1 python -m services.orders.worker

The first command deletes every `orders:` key and the orders worker's processed
markers; the worker then starts as a new consumer group, which reads
catalog.products, catalog.shops, pickup.points, orders.orders,
catalog.stock-reservations, pickup.reservations, pickup.parcels and
logistics.shipments from their beginning and projects them again. Sagas
replayed this way end as they ended: the order's own OrderConfirmed or
OrderRejected on orders.orders closes each one, and a decision made again
carries the same derived event id as the first (handlers/events_out.py), so
consumers drop it (so does a moved part's OrderDeliveryMoved). The API's short-lived keys (submitted orders, cancel claims) are not
rebuilt: they only bridge the moments before the worker has projected an event.
Stop the worker before running it.
"""

from __future__ import annotations

import redis.asyncio as aioredis

from nahnetz.kit.rebuild import delete_matching, rebuild_command

from . import keys


async def clear_state(redis: aioredis.Redis) -> int:
    """Delete the orders keys and the worker's markers; return how many keys went."""
    return await delete_matching(redis, [f"{keys.PREFIX}:*", *keys.marker_patterns()])


if __name__ == "__main__":
    rebuild_command(__doc__, "the orders service's state", "ORDERS_APP_ID", clear_state)
