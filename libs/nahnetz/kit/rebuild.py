"""Rebuilding a service's Redis state from the topics, the shared part: delete
the keys the worker will project again, then start the worker as a new consumer
group so it reads its topics from the beginning.

    python -m services.<name>.rebuild --yes
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Awaitable, Callable, Iterable

import redis.asyncio as aioredis

from .redis import connect as connect_redis
from .settings import load_settings

BATCH = 500


async def delete_matching(redis: aioredis.Redis, patterns: Iterable[str],
                          keep: Callable[[bytes | str], bool] = lambda key: False) -> int:
    """Delete the keys matching `patterns` (SCAN, in batches, never KEYS) except
    those `keep` names; return how many went."""
    deleted = 0
    for pattern in patterns:
        batch = []
        async for key in redis.scan_iter(match=pattern, count=BATCH):
            if keep(key):
                continue
            batch.append(key)
            if len(batch) >= BATCH:
                deleted += await redis.unlink(*batch)  # freed in the background
                batch = []
        if batch:
            deleted += await redis.unlink(*batch)  # freed in the background
    return deleted


def rebuild_command(doc: str, what: str, app_id_variable: str,
                    clear: Callable[[aioredis.Redis], Awaitable[int]], *, after: str | None = None) -> None:
    """The `python -m services.<name>.rebuild --yes` entry point: refuses without
    --yes, clears with `clear`, then says how to restart the worker (`after`
    replaces the usual "with a new consumer group" where rereading would harm)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--yes", action="store_true", help=f"really delete {what}")
    if not parser.parse_args().yes:
        raise SystemExit(f"this deletes {what} in Redis; run again with --yes")

    async def run() -> None:
        redis = connect_redis(load_settings().redis_url, client_name="rebuild")
        try:
            deleted = await clear(redis)
        finally:
            await redis.aclose()
        print(f"deleted {deleted} keys; " + (after or f"now start the worker with a new {app_id_variable}"))

    asyncio.run(run())
