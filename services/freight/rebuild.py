"""Rebuild the freight exchange's state in Redis from the topics.

    python -m services.freight.rebuild --yes    # with the freight worker stopped

Deletes the service's keys (trips, loads, matches, open sets, held room, excluded
pairs, participants' listings, plans, processed markers of its decisions) and
replays, each from its beginning to its high-water mark at the start, in time order:

1. logistics.plans  -> the vehicles of each plan request (capacity of the hub legs)
2. freight.trips    -> trip offers, withdrawals
3. freight.loads    -> loads, withdrawals
4. freight.matches  -> proposals, answers, agreements, cancellations, hand-overs

The three freight topics are replayed merged in time order (a withdrawal's
cancellations follow it). The decisions they record are not taken again: their
markers are gone, but every decision's events carry ids derived from what they
decide, so one re-taken by the worker publishes the same events and consumers
dedupe them. Hand-over codes are derived from the match id and need no state.
The API's id claims and code-attempt counters stay.
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
from nahnetz.records import RoutePlanRequested
from nahnetz.topics import FREIGHT_LOADS, FREIGHT_MATCHES, FREIGHT_TRIPS, LOGISTICS_PLANS

from . import keys
from .handlers import hub_tours, loads, matches, trips
from .settings import FreightSettings, load_freight_settings


STATE_PATTERNS = (keys.trip("*"), keys.load("*"), keys.match("*"), keys.holding("*"), keys.excluded("*"),
                  keys.participant("*"), keys.plan("*"), keys.plan_trips("*"),
                  *(f"{MARKER_PREFIX}:{consumer}:*" for consumer in
                    (keys.PROPOSE, keys.MATCH_EVENT, keys.TRIP_EVENT, keys.LOAD_EVENT, keys.HUB_PLAN,
                     keys.LAPSE)))
STATE_KEYS = (keys.TRIPS_OPEN, keys.LOADS_OPEN, keys.MATCHING_DUE)


async def clear_state(redis: aioredis.Redis) -> int:
    deleted = await delete_matching(redis, STATE_PATTERNS)
    return deleted + await redis.delete(*STATE_KEYS)


async def rebuild(settings: Settings, redis: aioredis.Redis | None = None,
                  freight: FreightSettings | None = None) -> Replayed:
    own = redis is None
    redis = redis or connect(settings.redis_url, client_name="freight-rebuild")
    freight = freight or load_freight_settings(settings)
    replayed = Replayed()
    try:
        read = {t.name: await read_topic(settings.kafka_bootstrap, t)
                for t in (LOGISTICS_PLANS, FREIGHT_TRIPS, FREIGHT_LOADS, FREIGHT_MATCHES)}
        await clear_state(redis)
        plans, skipped = read[LOGISTICS_PLANS.name]
        replayed.skipped += skipped
        replayed.counts[LOGISTICS_PLANS.name] = 0
        for event in plans:
            if isinstance(event, RoutePlanRequested):
                await hub_tours.remember_vehicles(event, redis)
                replayed.counts[LOGISTICS_PLANS.name] += 1
        merged: list[tuple[Event, str]] = []
        for topic in (FREIGHT_TRIPS, FREIGHT_LOADS, FREIGHT_MATCHES):
            events, skipped = read[topic.name]
            replayed.skipped += skipped
            replayed.counts[topic.name] = 0
            merged += [(e, topic.name) for e in events]
        project = {FREIGHT_TRIPS.name: lambda e: trips.project_trip(e, redis),
                   FREIGHT_LOADS.name: lambda e: loads.project_load(e, redis, freight),
                   FREIGHT_MATCHES.name: lambda e: matches.project_match(e, redis)}
        for event, topic in sorted(merged, key=lambda pair: pair[0].meta.occurred_at):
            await replayed.apply(topic, project[topic], event)
        return replayed
    finally:
        if own:
            await redis.aclose()


def main() -> None:
    replay_command(__doc__, "freight", "the freight exchange's state", rebuild).report()
    sys.exit(0)


if __name__ == "__main__":
    main()
