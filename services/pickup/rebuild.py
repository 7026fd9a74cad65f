"""Rebuild every read model of the pick-up service from the topics.

    python -m services.pickup.rebuild --yes    # with the pickup worker stopped

Deletes the service's state in Redis (points, GEO index, days, orders, parcels,
due index, processed markers) and replays, each from its beginning to its
high-water mark at the start:

1. pickup.points          -> points, GEO index
2. orders.orders          -> each order's point, day, resident (OrderPlaced)
3. pickup.reservations    -> days' occupancy, reservation status and parts' holds, markers (in time order:
                             a compartment freed by one order and taken by the next must
                             end with the next, whatever partitions they were in)
4. pickup.parcels         -> parcels and the due index (in time order)
5. logistics.tours        -> the kind of each stop of a dispatched tour (TourDispatched),
                             so a report from the hub deposits nothing; the parts of orders
                             delivered so far (StopCompleted), so the last one deposits

The replayed decisions come with their processed markers, empty (they went out), so
a redelivered placement decides and publishes nothing. Rate-limit counters are not
rebuilt: they only live for their window. The expiry job's outbox markers stay: one
that still holds an unpublished ParcelExpired publishes it on the next run.
"""

from __future__ import annotations

import sys

import redis.asyncio as aioredis

from nahnetz.events import Event
from nahnetz.kit.rebuild import delete_matching
from nahnetz.kit.redis import connect
from nahnetz.kit.replay import Replayed, read_topic, replay_command
from nahnetz.kit.settings import Settings
from nahnetz.messaging.idempotency import MARKER_PREFIX
from nahnetz.records import (
    CompartmentHoldMoved, CompartmentRejected, CompartmentReleased, CompartmentReserved, OrderPlaced, ParcelCollected,
    ParcelDeposited, ParcelExpired, PickupCodeLocked, PickupCodeReissued, PickupPointRegistered, PickupPointUpdated,
    StopCompleted, TourDispatched,
)
from nahnetz.topics import LOGISTICS_TOURS, ORDERS_ORDERS, PICKUP_PARCELS, PICKUP_POINTS, PICKUP_RESERVATIONS

from . import keys
from .handlers import orders, parcels, points, reservations, tour_deliveries


STATE_PATTERNS = (keys.point("*"), keys.day("*", "*"), keys.days("*"), keys.order("*"), keys.parcel("*"),
                  keys.tour("*"), f"{MARKER_PREFIX}:{keys.RESERVE}:*", f"{MARKER_PREFIX}:{keys.RELEASE}:*",
                  f"{MARKER_PREFIX}:{reservations.MOVE_HOLD}:*")
STATE_KEYS = (keys.POINTS, keys.GEO, keys.DUE)


async def clear_state(redis: aioredis.Redis) -> int:
    deleted = await delete_matching(redis, STATE_PATTERNS)
    return deleted + await redis.delete(*STATE_KEYS)


def in_time_order(events: list[Event]) -> list[Event]:
    return sorted(events, key=lambda e: e.meta.occurred_at)


async def rebuild(settings: Settings, redis: aioredis.Redis | None = None) -> Replayed:
    own = redis is None
    redis = redis or connect(settings.redis_url, client_name="pickup-rebuild")
    replayed = Replayed()
    try:
        read = {t.name: await read_topic(settings.kafka_bootstrap, t)
                for t in (PICKUP_POINTS, ORDERS_ORDERS, PICKUP_RESERVATIONS, PICKUP_PARCELS, LOGISTICS_TOURS)}
        await clear_state(redis)
        steps = [
            (PICKUP_POINTS, lambda e: points.project_point(e, redis), (PickupPointRegistered, PickupPointUpdated)),
            (ORDERS_ORDERS, lambda e: orders.remember_order(e, redis), (OrderPlaced,)),
            (PICKUP_RESERVATIONS, lambda e: reservations.project_decision(e, redis),
             (CompartmentReserved, CompartmentRejected, CompartmentReleased, CompartmentHoldMoved)),
            (PICKUP_PARCELS, lambda e: parcels.project_parcel(e, redis),
             (ParcelDeposited, ParcelCollected, ParcelExpired, PickupCodeLocked, PickupCodeReissued)),
            (LOGISTICS_TOURS, lambda e: tour_deliveries.replay_tour_event(e, redis), (TourDispatched, StopCompleted)),
        ]
        for topic, project, types in steps:
            events, skipped = read[topic.name]
            replayed.skipped += skipped
            replayed.counts[topic.name] = 0
            for event in in_time_order(events):
                if isinstance(event, types):
                    await replayed.apply(topic.name, project, event)
        return replayed
    finally:
        if own:
            await redis.aclose()


def main() -> None:
    replay_command(__doc__, "pickup", "the pick-up service's state", rebuild).report()
    sys.exit(0)


if __name__ == "__main__":
    main()
