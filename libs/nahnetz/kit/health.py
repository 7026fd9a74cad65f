"""Readiness probes shared by API and worker processes."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis
from aiokafka.admin import AIOKafkaAdminClient


async def redis_ready(client: aioredis.Redis, timeout: float = 1.0) -> str | None:
    """None when Redis answers PING, else the reason."""
    try:
        await asyncio.wait_for(client.ping(), timeout)
        return None
    except Exception as exc:  # any failure means "not ready", with the reason
        return f"redis: {type(exc).__name__}: {exc}"


async def broker_ready(bootstrap: str, timeout: float = 2.0) -> str | None:
    """None when the broker answers a metadata request, else the reason."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000))
    try:
        await asyncio.wait_for(admin.start(), timeout)
        await asyncio.wait_for(admin.list_topics(), timeout)
        return None
    except Exception as exc:
        return f"broker: {type(exc).__name__}: {exc}"
    finally:
        try:
            await admin.close()
        except Exception:
            pass
