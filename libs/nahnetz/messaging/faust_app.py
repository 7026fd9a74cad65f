"""The Faust app of a service's worker, configured the one Nahnetz way.

    def build_app(settings: Settings | None = None) -> WorkerApp:
        app = create_worker_app("catalog", settings or load_settings())

        @app.event_agent(ORDERS_ORDERS)
        async def reserve_stock(event: Event) -> None:
            await handlers.reserve_stock(event, app.redis, app.event_producer)

        return app

    if __name__ == "__main__":
        run_worker(build_app())

The app brings a Redis client, an `EventProducer` (started and stopped with
the app), dead-letter publishing, handling metrics and a web server on
NAHNETZ_WORKER_PORT with `/healthz`, `/readyz` and `/metrics`. Creating it
opens no connection; the worker does when it starts.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterable, NoReturn

import faust
import mode
from faust.types import TP
from faust.transport.drivers import aiokafka as faust_aiokafka
import redis.asyncio as aioredis
import uvloop
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ..kit.logs import configure_logging
from ..kit.redis import connect as connect_redis
from ..kit.settings import Settings
from ..topics import Topic
from . import worker_health
from .dead_letter import DeadLetterPublisher, DeadLetterSink
from .handling import EventHandling, Handler, RetryPolicy
from .metrics import HandlingMetrics
from .outbox import MarkerSweeper
from .progress import Partition, Progress, of_topics, watermarks
from .producer import EventProducer

# Faust's names for log levels differ from ours.
FAUST_LOG_LEVELS = {"debug": "debug", "info": "info", "warning": "warn", "error": "error",
                    "critical": "crit"}

# Outside production a group's first join takes about half the session timeout.
DEV_SESSION_TIMEOUT = 6.0
DEV_HEARTBEAT_INTERVAL = 1.0


# How long a worker's fetch may wait on the broker when nothing new is there.
# Faust hard-codes 1.5 s. For the workers' consumers (many topics in one fetch)
# the embedded Tansu broker mostly answers only when that wait is up, not when a
# record arrives, so the wait is added to every hop: placed -> decided took
# 1.5-2 s at one order a second (`benchmarks/orders/hops.py`). A short wait costs
# CPU while idle (measured on the idle stack, all seven workers alike: 10 ms 121 %
# of a core, 25 ms 57 %, 100 ms 26 %, 500 ms 12 %, most of it the broker's), so
# only the workers on the order saga's path ask often; the others every 250 ms.
# NAHNETZ_KAFKA_FETCH_WAIT_MS overrides both (Apache Kafka answers at once when a
# record arrives: there a long wait costs no latency).
DEFAULT_FETCH_WAIT_MS = 250
QUICK_FETCH_WAIT_MS = 20
# A worker's handlers publish side by side (one per partition): records sent within
# 2 ms travel in one produce request. Each request costs the broker far more than a
# record in it (Tansu, 400 records/s from one producer: 28 % of a core unbatched,
# 19 % with a 5 ms linger), and the wait is small next to a hop.
WORKER_LINGER_MS = 2


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    """Faust's aiokafka consumer with the app's fetch wait."""

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # aiokafka hands this to its fetcher on start(); Faust offers no setting for it.
        consumer._fetch_max_wait_ms = self.app.fetch_wait_ms
        return consumer


class _Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> _ConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class _Transport(faust_aiokafka.Transport):
    Consumer = _Consumer


def broker_urls(bootstrap: str) -> list[str]:
    """`host1:9092,host2:9092` -> Faust's `kafka://` URLs."""
    hosts = [h.strip() for h in bootstrap.split(",") if h.strip()]
    if not hosts:
        raise ValueError("KAFKA_BOOTSTRAP is empty")
    return [h if "://" in h else f"kafka://{h}" for h in hosts]


def faust_options(settings: Settings, app_id: str) -> dict[str, Any]:
    """The Faust settings every worker shares; a factory caller may override any."""
    options: dict[str, Any] = {
        "broker": broker_urls(settings.kafka_bootstrap),
        # Exactly-once needs transactions and an idempotent producer, which Tansu
        # lacks; at-least-once keeps Faust's producer plain and handlers dedupe.
        "processing_guarantee": "at_least_once",
        "producer_acks": -1,
        "key_serializer": "raw",
        "value_serializer": "raw",
        "consumer_auto_offset_reset": "earliest",
        "web_enabled": True,
        "web_port": settings.worker_port,
        # Health and metrics listen where the API does: loopback unless a container says 0.0.0.0.
        "web_bind": settings.http_host,
        "autodiscover": False,
        "store": "memory://",
        # Faust writes a data dir (tables) relative to the working directory by default;
        # instances of one worker on one machine (`nahnetz up --instances`) each get theirs.
        "datadir": Path(tempfile.gettempdir()) / f"nahnetz-faust-{app_id}-{settings.worker_port}",
    }
    if settings.short_group_timeouts:
        options["broker_session_timeout"] = DEV_SESSION_TIMEOUT
        options["broker_heartbeat_interval"] = DEV_HEARTBEAT_INTERVAL
        # Tansu reports a topic's end as the start of its newest batch + 1, so table
        # recovery stops early unless every record is its own batch (DESIGN.md).
        options["producer_max_batch_size"] = 1
    return options


def faust_topic(app: faust.App, topic: Topic) -> faust.TopicT:
    """A registry topic as a Faust topic: raw bytes in and out, so Faust never
    fails on a key or value (a decode error inside Faust would end the stream;
    the handling loop decodes and dead-letters instead). Faust does not create
    it: the topic-init job does, with the registry's partitions and retention."""
    return app.topic(topic.name, key_type=bytes, value_type=bytes, key_serializer="raw",
                     value_serializer="raw", partitions=topic.partitions, internal=False)


class _Resources(mode.Service):
    """Starts the app's event producer before the consumer and stops it, and
    closes Redis, after the consumer has drained."""

    def __init__(self, app: "WorkerApp", **kwargs: Any):
        self.app = app
        super().__init__(**kwargs)

    async def on_start(self) -> None:
        await self.app.event_producer.start()

    async def on_stop(self) -> None:
        await self.app.event_producer.stop()
        await MarkerSweeper.of(self.app.redis).sweep()
        await self.app.redis.aclose()


class WorkerApp(faust.App):
    """A Faust app with a service's Redis, producer, dead letters and metrics."""

    def __init__(self, service: str, settings: Settings, *, app_id: str, redis: aioredis.Redis,
                 event_producer: EventProducer, dead_letters: DeadLetterSink | None = None,
                 retry: RetryPolicy = RetryPolicy(), fetch_wait_ms: int = DEFAULT_FETCH_WAIT_MS,
                 **options: Any):
        super().__init__(app_id, **options)
        self.fetch_wait_ms = settings.kafka_fetch_wait_ms or fetch_wait_ms
        self.service_name = service
        self.settings = settings
        self.redis = redis
        self.event_producer = event_producer
        self.dead_letters = dead_letters or DeadLetterPublisher(event_producer, service)
        self.retry_policy = retry
        self.handling_metrics = HandlingMetrics(service)
        self.progress = Progress()   # how far the agents have handled their topics (see progress.py)
        self.handlings: dict[str, EventHandling] = {}
        self._event_topics: dict[str, faust.TopicT] = {}
        self._resources = _Resources(self)

    def _new_transport(self) -> Any:
        # Faust's aiokafka transport, with the consumer above.
        return _Transport(self.conf.broker_consumer, self)

    def on_init_dependencies(self) -> Iterable[mode.ServiceT]:
        # First to start, last to stop: agents may still publish while draining.
        return [self._resources, *super().on_init_dependencies()]

    @property
    def source_topics(self) -> list[str]:
        return sorted(self._event_topics)

    def event_topic(self, topic: Topic) -> faust.TopicT:
        """The Faust topic of a registry topic, declared once per app."""
        found = self._event_topics.get(topic.name)
        if found is None:
            found = self._event_topics[topic.name] = faust_topic(self, topic)
        return found

    def event_agent(self, source: Topic, *, name: str | None = None,
                    retry: RetryPolicy | None = None) -> Callable[[Handler], Handler]:
        """Register `handler(event)` for every event on `source`, through the
        handling loop (decode, retry, dead-letter), one message at a time."""

        def register(handler: Handler) -> Handler:
            short = name or handler.__name__
            consumer = f"{self.service_name}.{short}"
            if consumer in self.handlings:
                raise ValueError(f"an agent named {consumer!r} is already registered")
            handling = EventHandling(handler, consumer=consumer, source=source,
                                     dead_letters=self.dead_letters, metrics=self.handling_metrics,
                                     retry=retry or self.retry_policy, progress=self.progress)
            self.handlings[consumer] = handling

            async def consume(stream: faust.StreamT) -> None:
                await handling.run(stream)

            consume.__name__ = consume.__qualname__ = short
            consume.__module__ = handler.__module__
            # concurrency=1: with more, Faust may commit past a message in flight (#606).
            # isolated_partitions: one actor per partition, so partitions are handled
            # in parallel while each keeps its order (a handler mostly awaits Redis
            # and the broker's acknowledgement).
            self.agent(self.event_topic(source), name=consumer, concurrency=1,
                       isolated_partitions=True)(consume)
            return handler

        return register

    async def watermarks(self, topics: Iterable[str], now_ms: int) -> dict[Partition, int]:
        """For each partition of `topics` this worker holds, the record time (ms) up to
        which it has handled it (`progress.watermarks`); asks the broker for their ends."""
        mine = of_topics(((tp.topic, tp.partition) for tp in self.consumer.assignment()), topics)
        if not mine:
            return {}
        tps = [TP(topic, partition) for topic, partition in mine]
        ends = await self.consumer.highwaters(*tps)
        positions = {}
        for tp in tps:
            if (tp.topic, tp.partition) not in self.progress.done:
                position = await self.consumer.position(tp)
                if position is not None:
                    positions[(tp.topic, tp.partition)] = position
        return watermarks(self.progress, {(tp.topic, tp.partition): end for tp, end in ends.items()},
                          positions, now_ms)

    async def readiness(self) -> worker_health.Readiness:
        return await worker_health.check(self, self.source_topics, self.settings.kafka_bootstrap,
                                         self.redis)


def _add_health_views(app: WorkerApp) -> None:
    @app.page("/healthz")
    async def healthz(view: Any, request: Any) -> Any:
        # Alive: the loop answers. Dependencies are /readyz's business.
        return view.json({"status": "alive", "service": app.service_name})

    @app.page("/readyz")
    async def readyz(view: Any, request: Any) -> Any:
        readiness = await app.readiness()
        # The consumer group too: with the partitions, a caller can tell what the worker has yet to handle.
        answer = readiness.as_json(app.service_name) | {"group": app.conf.id}
        return view.json(answer, status=200 if readiness.ready else 503)

    @app.page("/metrics")
    async def metrics(view: Any, request: Any) -> Any:
        return view.bytes(generate_latest(app.handling_metrics.registry),
                          content_type=CONTENT_TYPE_LATEST.split(";")[0])


def create_worker_app(service: str, settings: Settings, *, app_id: str | None = None,
                      retry: RetryPolicy = RetryPolicy(), redis: aioredis.Redis | None = None,
                      dead_letters: DeadLetterSink | None = None, fetch_wait_ms: int = DEFAULT_FETCH_WAIT_MS,
                      **overrides: Any) -> WorkerApp:
    """A service's worker app. `app_id` (default `nahnetz-<service>`) is the
    consumer group; `fetch_wait_ms` how long a fetch waits for news (a worker on
    a flow residents wait for passes QUICK_FETCH_WAIT_MS); `overrides` are Faust
    settings that replace ours."""
    app_id = app_id or f"nahnetz-{service}"
    options = {**faust_options(settings, app_id), **overrides}
    app = WorkerApp(
        service, settings, app_id=app_id,
        # from_url connects lazily, on the first command inside the worker's loop.
        redis=redis or connect_redis(settings.redis_url, client_name=f"{service}-worker"),
        event_producer=EventProducer.from_settings(settings, client_id=f"{app_id}-events",
                                                   linger_ms=WORKER_LINGER_MS),
        dead_letters=dead_letters, retry=retry, fetch_wait_ms=fetch_wait_ms, **options,
    )
    _add_health_views(app)
    return app


def faust_log_level(level: str) -> str:
    return FAUST_LOG_LEVELS[level.lower()]


def use_uvloop() -> asyncio.AbstractEventLoop:
    """Make uvloop the event loop of this process (and of the threads Faust starts
    for its consumer) and return the main thread's loop. A worker's hops are many
    small awaits: under load asyncio's own loop took a quarter of a worker's CPU
    (py-spy on the catalog, orders and pick-up workers)."""
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    return loop


def run_worker(app: WorkerApp, *, loglevel: str | None = None) -> NoReturn:
    """Run the worker in this process until SIGTERM/SIGINT (`python -m services.<name>.worker`)."""
    level = loglevel or app.settings.log_level
    # JSON lines like every Nahnetz process; Faust must not replace the handlers
    # or print its banner into them.
    configure_logging(app.service_name, level)
    # NAHNETZ_EVENT_LOOP=asyncio keeps Python's own loop (to compare, or to debug with it).
    loop = asyncio.new_event_loop() if os.environ.get("NAHNETZ_EVENT_LOOP") == "asyncio" else use_uvloop()
    worker = faust.Worker(app, loop=loop, loglevel=faust_log_level(level), override_logging=False, quiet=True)
    worker.spinner = None  # a terminal spinner writes escape codes between the JSON lines
    worker.execute_from_commandline()  # exits the process when the worker stops
