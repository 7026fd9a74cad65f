"""One ASGI middleware around every request: correlation id, metrics, access
log, and the last line of defence against unexpected exceptions.

Pure ASGI rather than BaseHTTPMiddleware, so the correlation contextvar set
here is the one the route and its logs see, and streaming is untouched.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .logs import bind_correlation_id, new_correlation_id
from .metrics import UNMATCHED_ROUTE, HttpMetrics

CORRELATION_HEADER = "X-Correlation-ID"
_HEADER_KEY = CORRELATION_HEADER.lower().encode()
# Accept callers' ids only when they are harmless in logs and headers.
_VALID_CORRELATION_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

log = logging.getLogger("nahnetz.http")


def incoming_correlation_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == _HEADER_KEY:
            text = value.decode("latin-1").strip()
            return text if _VALID_CORRELATION_ID.match(text) else None
    return None


def route_template(scope: Scope) -> str:
    """The matched route's template, e.g. /v1/shops/{shop_id}/products."""
    # FastAPI >= 0.137 includes routers lazily: the route object's own
    # path_format lacks the include prefixes, the effective context has the full one.
    context = scope.get("fastapi", {}).get("effective_route_context")
    full = getattr(context, "path_format", None)
    if full:
        return full
    return getattr(scope.get("route"), "path_format", None) or UNMATCHED_ROUTE


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: HttpMetrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cid = incoming_correlation_id(scope) or new_correlation_id()
        status = 500
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                MutableHeaders(scope=message)[CORRELATION_HEADER] = cid
            await send(message)

        begun = time.perf_counter()
        self.metrics.in_flight.inc()
        with bind_correlation_id(cid):
            try:
                await self.app(scope, receive, send_with_id)
            except Exception:
                log.exception("unhandled error in %s %s", scope["method"], scope["path"])
                if started:
                    raise  # nothing sensible can be sent any more
                await _internal_error(cid)(scope, receive, send_with_id)
            finally:
                self.metrics.in_flight.dec()
                seconds = time.perf_counter() - begun
                route = route_template(scope)
                self.metrics.observe(scope["method"], route, status, seconds)
                _access_log(scope, route, status, seconds)


def _internal_error(cid: str) -> JSONResponse:
    return JSONResponse({"error": "internal_error",
                         "message": "An unexpected error occurred. It has been logged; "
                                    "quote the correlation id when reporting it.",
                         "correlation_id": cid}, status_code=500)


def _access_log(scope: Scope, route: str, status: int, seconds: float) -> None:
    # Probes arrive every few seconds; keep them out of the info log.
    level = logging.DEBUG if scope["path"] in _PROBE_PATHS else logging.INFO
    if log.isEnabledFor(level):
        fields: dict[str, Any] = {"method": scope["method"], "path": scope["path"], "route": route,
                                  "status": status, "duration_ms": round(seconds * 1000, 2)}
        log.log(level, "%s %s -> %s", scope["method"], scope["path"], status, extra=fields)
