"""orders.orders: only cancellations matter to routing; a cancelled order's
shipments leave planning (`routing:cancelled:<order_id>`).
Rebuild: delete `routing:cancelled:*` and replay the topic."""

from __future__ import annotations

from redis.asyncio import Redis

from nahnetz.events import Event
from nahnetz.records import OrderCancelled

from .. import keys


async def project_order_event(event: Event, redis: Redis) -> None:
    if isinstance(event, OrderCancelled):
        await redis.set(keys.cancelled(event.order_id), event.meta.occurred_at.isoformat())
