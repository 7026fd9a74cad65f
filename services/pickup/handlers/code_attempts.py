"""Code attempts, counted per caller in fixed windows (`domain/rate_limit.py`):
all of a caller's attempts, so nobody tries codes at every parcel, and a
caller's attempts at one parcel. Neither counter is the victim's: another
person's burst never slows the resident. The counters live only for their
window (`pickup:attempts:<scope>:<id>:<window>`) and are not rebuilt.
"""

from __future__ import annotations

from datetime import datetime

from redis.asyncio import Redis

from .. import keys
from ..domain.rate_limit import check_attempts, window_of


async def count_attempt(redis: Redis, scope: str, ident: str, limit: int, window_s: int, now: datetime) -> None:
    """Count one code attempt; 429 with Retry-After when the window's limit is passed."""
    window = window_of(now.timestamp(), window_s)
    key = keys.attempts(scope, ident, window.index)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, window_s + 1)
        count, _ = await pipe.execute()
    check_attempts(int(count), limit, window, scope)
