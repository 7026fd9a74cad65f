"""Prometheus figures of a worker's event handling.

Each worker app gets its own registry (like the kit's API metrics), so several
apps in one process, as in tests, do not clash; `/metrics` of the worker
serves it.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

# Seconds; from a pure projection (~1 ms) to a handler waiting on broker acks.
HANDLER_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class HandlingMetrics:
    def __init__(self, service: str, registry: CollectorRegistry | None = None):
        self.service = service
        self.registry = registry or CollectorRegistry()
        self.handled = Counter(
            "nahnetz_worker_events_handled", "Events a handler applied (or found already applied)",
            ["service", "topic", "event_type"], registry=self.registry)
        self.dead_lettered = Counter(
            "nahnetz_worker_events_dead_lettered", "Messages sent to the dead-letter topic",
            ["service", "topic", "reason"], registry=self.registry)
        self.retries = Counter(
            "nahnetz_worker_handler_retries", "Handler attempts that failed and were retried",
            ["service", "topic"], registry=self.registry)
        self.outage_waits = Counter(
            "nahnetz_worker_dependency_waits", "Handler attempts that found Redis or the broker away and waited",
            ["service", "topic"], registry=self.registry)
        self.latency = Histogram(
            "nahnetz_worker_handler_duration_seconds", "Time from reading a message to done, retries included",
            ["service", "topic", "event_type"], buckets=HANDLER_BUCKETS, registry=self.registry)

    def observe_handled(self, topic: str, event_type: str, seconds: float) -> None:
        self.handled.labels(self.service, topic, event_type).inc()
        self.latency.labels(self.service, topic, event_type).observe(seconds)

    def observe_dead_letter(self, topic: str, reason: str) -> None:
        self.dead_lettered.labels(self.service, topic, reason).inc()

    def observe_retry(self, topic: str) -> None:
        self.retries.labels(self.service, topic).inc()

    def observe_outage_wait(self, topic: str) -> None:
        self.outage_waits.labels(self.service, topic).inc()
