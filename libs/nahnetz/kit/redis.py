"""The one Redis client policy: every process (API, worker, rebuild) connects the same way.

Replies are decoded to `str`, so no service needs its own `text()` helper; binary
values (the outbox's packed events) are stored as base64 text. The client connects
lazily, on its first command inside the running loop, so making one opens nothing.
"""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError


def connect(url: str, *, client_name: str) -> aioredis.Redis:
    # Named, so CLIENT LIST shows which process holds which connections.
    return aioredis.Redis.from_url(url, decode_responses=True, client_name=client_name,
                                   socket_connect_timeout=2, socket_timeout=5, health_check_interval=30,
                                   # After Redis restarted, each pooled connection is stale: its first
                                   # command fails before the new server saw it. Connect again and send
                                   # it again, rather than answer 503. Transactions watching keys are
                                   # never resent (redis-py); a timeout is not retried (it may have run).
                                   retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2,
                                               supported_errors=(RedisConnectionError,)))
