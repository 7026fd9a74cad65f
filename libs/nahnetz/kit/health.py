"""Readiness probes shared by API and worker processes.

The probes answer anyone (load balancers, orchestrators), so a reason names the
dependency and the kind of failure only; addresses and messages go to the log.
"""

from __future__ import annotations

import asyncio
import logging

import redis.asyncio as aioredis
from aiokafka.admin import AIOKafkaAdminClient

log = logging.getLogger(__name__)


def _reason(dependency: str, exc: BaseException) -> str:
    log.warning("%s not ready: %s: %s", dependency, type(exc).__name__, exc)
    return f"{dependency}: {type(exc).__name__}"


async def redis_ready(client: aioredis.Redis, timeout: float = 1.0) -> str | None:
    """None when Redis answers PING, else the reason."""
    try:
        await asyncio.wait_for(client.ping(), timeout)
        return None
    except Exception as exc:  # any failure means "not ready", with the reason
        return _reason("redis", exc)


async def broker_ready(bootstrap: str, timeout: float = 2.0) -> str | None:
    """None when the broker answers a metadata request, else the reason."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000))
    try:
        await asyncio.wait_for(admin.start(), timeout)
        await asyncio.wait_for(admin.list_topics(), timeout)
        return None
    except Exception as exc:
        return _reason("broker", exc)
    finally:
        try:
            await admin.close()
        except Exception:
            pass
