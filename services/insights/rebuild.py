"""Rebuild the insights state in Redis from the topics.

    python -m services.insights.rebuild --yes    # with the insights worker stopped

Reads every topic the worker folds, each from its beginning to its high-water mark
at the start, deletes every `insights:` key and the worker's processed markers, and
folds the events again through the worker's own handlers (partition by partition,
in offset order: one entity's events stay in order). The folds write to cells of a
day and a point, shop, tour, trip or load, and areas are joined only when read, so
the order of the topics does not matter: the rebuilt state gives exactly the live
figures. Events the worker dead-lettered (an order event without its OrderPlaced,
garbage) are skipped here alike and counted.
"""

from __future__ import annotations

import sys

import redis.asyncio as aioredis

from nahnetz.kit.rebuild import delete_matching
from nahnetz.kit.redis import connect
from nahnetz.kit.replay import Replayed, read_topic, replay_command
from nahnetz.kit.settings import Settings
from nahnetz.messaging.handling import PermanentError
from nahnetz.messaging.idempotency import MARKER_PREFIX
from nahnetz.topics import (
    CATALOG_PRODUCTS, CATALOG_SHOPS, FREIGHT_LOADS, FREIGHT_MATCHES, FREIGHT_TRIPS, LOGISTICS_PLANS, LOGISTICS_TOURS,
    ORDERS_ORDERS, PICKUP_POINTS, PICKUP_RESERVATIONS, Topic,
)

from . import keys
from .handlers import events
from .settings import InsightsSettings, load_insights_settings


STATE_PATTERNS = (f"{keys.PREFIX}:*", *(f"{MARKER_PREFIX}:{consumer}:*" for consumer in keys.CONSUMERS))


async def clear_state(redis: aioredis.Redis) -> int:
    return await delete_matching(redis, STATE_PATTERNS)


def handlers(redis: aioredis.Redis, insights: InsightsSettings) -> dict[str, object]:
    """Each topic's handler, as the worker's agents call them."""
    tolerance_s = insights.on_time_tolerance_min * 60
    return {
        ORDERS_ORDERS.name: lambda e: events.handle_order_event(e, redis),
        PICKUP_RESERVATIONS.name: lambda e: events.handle_reservation_event(e, redis),
        PICKUP_POINTS.name: lambda e: events.handle_point_event(e, redis),
        CATALOG_SHOPS.name: lambda e: events.handle_catalog_event(e, redis),
        CATALOG_PRODUCTS.name: lambda e: events.handle_catalog_event(e, redis),
        LOGISTICS_TOURS.name: lambda e: events.handle_tour_event(e, redis, tolerance_s),
        LOGISTICS_PLANS.name: lambda e: events.handle_plan_event(e, redis),
        FREIGHT_TRIPS.name: lambda e: events.handle_listing_event(e, redis),
        FREIGHT_LOADS.name: lambda e: events.handle_listing_event(e, redis),
        FREIGHT_MATCHES.name: lambda e: events.handle_match_event(e, redis),
    }


TOPICS: tuple[Topic, ...] = (PICKUP_POINTS, CATALOG_SHOPS, CATALOG_PRODUCTS, ORDERS_ORDERS, PICKUP_RESERVATIONS,
                             LOGISTICS_PLANS, LOGISTICS_TOURS, FREIGHT_TRIPS, FREIGHT_LOADS, FREIGHT_MATCHES)


async def rebuild(settings: Settings, redis: aioredis.Redis | None = None,
                  insights: InsightsSettings | None = None) -> Replayed:
    own = redis is None
    redis = redis or connect(settings.redis_url, client_name="insights-rebuild")
    insights = insights or load_insights_settings(settings)
    replayed = Replayed()
    try:
        read = {t.name: await read_topic(settings.kafka_bootstrap, t) for t in TOPICS}
        await clear_state(redis)
        handle = handlers(redis, insights)
        for topic in TOPICS:
            found, skipped = read[topic.name]
            replayed.skipped += skipped
            replayed.counts[topic.name] = 0
            for event in found:
                if event.type not in topic.event_types:
                    replayed.skipped += 1  # the worker dead-letters an event on the wrong topic
                    continue
                # A PermanentError was dead-lettered by the worker too; anything else stops the rebuild.
                await replayed.apply(topic.name, handle[topic.name], event, skip=PermanentError)
        return replayed
    finally:
        if own:
            await redis.aclose()


def main() -> None:
    replay_command(__doc__, "insights", "the supply insights' state", rebuild).report()
    sys.exit(0)


if __name__ == "__main__":
    main()
