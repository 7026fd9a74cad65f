"""The one Redis client policy: every process (API, worker, rebuild) connects the same way.

Replies are decoded to `str`, so no service needs its own `text()` helper; binary
values (the outbox's packed events) are stored as base64 text. The client connects
lazily, on its first command inside the running loop, so making one opens nothing.
"""

from __future__ import annotations

import redis.asyncio as aioredis


def connect(url: str, *, client_name: str) -> aioredis.Redis:
    # Named, so CLIENT LIST shows which process holds which connections.
    return aioredis.Redis.from_url(url, decode_responses=True, client_name=client_name,
                                   socket_connect_timeout=2, socket_timeout=5, health_check_interval=30)
