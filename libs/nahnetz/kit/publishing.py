"""Publishing from an API: acknowledged by the broker before the answer, or one 503.

    @router.post("/v1/orders/{order_id}/cancel", status_code=202)
    async def cancel(order_id: str, producer: ProducerDep, user: UserDep):
        await publish(producer, new_event(OrderCancelled, ...))

A broker that does not answer is a 503 with `Retry-After: BROKER_RETRY_AFTER_S`
(nothing was recorded; the client may send the same request again), never a 500.
The producer comes from `create_api(..., publishes=True)`, which starts it with
the app and stops it (flushing what is in flight) on shutdown.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import Annotated, AsyncIterator

from aiokafka.errors import KafkaError
from fastapi import Depends, FastAPI, Request

from ..events import Event
from ..messaging.producer import EventProducer, ProducerNotStarted
from .errors import Unavailable
from .http_errors import answers

BROKER_RETRY_AFTER_S = 5


def broker_unavailable(what: str = "the change") -> Unavailable:
    return Unavailable(f"{what} could not be recorded (the broker does not answer); try again shortly",
                       headers={"Retry-After": str(BROKER_RETRY_AFTER_S)})


async def publish(producer: EventProducer, *events: Event) -> None:
    """Publish each event in order, acknowledged (`acks=all`), or raise the one 503."""
    try:
        for event in events:
            await producer.publish(event)
    except (KafkaError, asyncio.TimeoutError, ProducerNotStarted) as exc:
        raise broker_unavailable() from exc


@asynccontextmanager
async def producer_lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = app.state.settings
    producer = EventProducer.from_settings(settings, client_id=f"{settings.service}-api")
    await producer.start()
    app.state.producer = producer
    try:
        yield
    finally:
        app.state.producer = None
        await producer.stop()


@answers((Unavailable, "The broker does not answer: the change could not be recorded; "
                       "try again shortly (Retry-After)"))
def get_producer(request: Request) -> EventProducer:
    producer = getattr(request.app.state, "producer", None)
    if producer is None:  # starting or stopping
        raise Unavailable("the event producer is not running; try again shortly",
                          headers={"Retry-After": "1"})
    return producer


ProducerDep = Annotated[EventProducer, Depends(get_producer)]
