"""Clients a test talks to the platform with, configured as production configures them.

    settings = settings_for(broker, redis_url, service="orders")
    async with event_producer(broker) as producer:        # EventProducer.from_settings: acks=all
        await producer.publish(placed)
    async with api_client(create_app(settings)) as http:  # the app's lifespan runs, calls go over ASGI
        await http.get("/v1/orders/o-1")
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

import httpx
from aiokafka import AIOKafkaProducer

from ..kit.settings import Settings
from ..messaging.producer import EventProducer


def settings_for(bootstrap: str, redis_url: str, *, service: str = "tests", **overrides: Any) -> Settings:
    """The settings a process of the test stack reads from its environment (NAHNETZ_ENV=test:
    short consumer-group timeouts); `overrides` by field name (jwt_secret=..., http_port=...)."""
    return Settings(KAFKA_BOOTSTRAP=bootstrap, REDIS_URL=redis_url, NAHNETZ_SERVICE=service,
                    NAHNETZ_ENV="test").model_copy(update=overrides)


def event_producer(bootstrap: str, *, client_id: str = "tests") -> EventProducer:
    """The producer every service uses (`EventProducer.from_settings`: acks=all, the
    idempotence setting of the environment). Start it, or use it with `async with`."""
    return EventProducer.from_settings(settings_for(bootstrap, "redis://unused"), client_id=client_id)


def raw_producer(bootstrap: str, *, client_id: str = "tests-raw") -> AIOKafkaProducer:
    """An aiokafka producer with the options of `EventProducer`, for what a test sends as
    bytes (a repeated record, a corrupt one, a chosen partition). Start and stop it."""
    return AIOKafkaProducer(**event_producer(bootstrap, client_id=client_id).options)


@asynccontextmanager
async def api_client(app: Any, base_url: str = "http://api.test", timeout: float = 30.0
                     ) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan (Redis, producer) and call it in this process over ASGI."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url, timeout=timeout) as client:
            yield client
