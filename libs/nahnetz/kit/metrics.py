"""Prometheus metrics shared by API and worker processes.

Each app gets its own registry (not the global default), so several apps in
one process, as in tests, do not clash over metric names:

    registry = new_registry()
    handled = Counter("nahnetz_events_handled", "...", ["topic", "outcome"], registry=registry)
    body, content_type = exposition(registry)
"""

from __future__ import annotations

from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram,
                               generate_latest)
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

# Seconds; from a Redis read (~1 ms) to a request waiting on broker acks.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
UNMATCHED_ROUTE = "<unmatched>"


def new_registry(process_metrics: bool = True) -> CollectorRegistry:
    """A registry with the process's CPU, memory, fd and GC figures."""
    registry = CollectorRegistry()
    if process_metrics:
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)
    return registry


def exposition(registry: CollectorRegistry) -> tuple[bytes, str]:
    """The Prometheus text format of `registry` and its content type."""
    return generate_latest(registry), CONTENT_TYPE_LATEST


class HttpMetrics:
    """Requests by route template (never the raw path: ids would explode the series)."""

    def __init__(self, registry: CollectorRegistry):
        self.requests = Counter("nahnetz_http_requests", "HTTP requests answered",
                                ["method", "route", "status"], registry=registry)
        self.latency = Histogram("nahnetz_http_request_duration_seconds", "Time to answer an HTTP request",
                                 ["method", "route"], buckets=LATENCY_BUCKETS, registry=registry)
        self.in_flight = Gauge("nahnetz_http_requests_in_flight", "HTTP requests being answered",
                               registry=registry)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)
