"""JSON logs on stdout, one object per line, with the flow's correlation id.

    configure_logging("orders", "info")
    log = logging.getLogger(__name__)
    with bind_correlation_id(event.correlation_id):
        log.info("order placed", extra={"order_id": order_id})
    -> {"time": "2026-05-04T09:12:03.120Z", "level": "info", "logger": "services.orders.handlers",
        "message": "order placed", "service": "orders", "correlation_id": "6f1c...", "order_id": "o-1"}

The correlation id lives in a contextvar: the HTTP middleware binds it per
request, a worker per event, and every log line written meanwhile carries it.
"""

from __future__ import annotations

import json
import logging
import sys
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Any, Iterator, TextIO

_correlation_id: ContextVar[str | None] = ContextVar("nahnetz_correlation_id", default=None)

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message", "asctime", "taskName", "service", "correlation_id",
    "color_message",  # uvicorn's copy of the message with terminal colours
}
_LEVEL_NAMES = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
                "warn": logging.WARNING, "error": logging.ERROR, "critical": logging.CRITICAL}


def current_correlation_id() -> str | None:
    return _correlation_id.get()


def new_correlation_id() -> str:
    return str(uuid.uuid4())


@contextmanager
def bind_correlation_id(correlation_id: str | None = None) -> Iterator[str]:
    """Bind a correlation id (a new one when None) for the block; restore the
    previous one after, so nested and concurrent blocks do not leak into each other."""
    cid = correlation_id or new_correlation_id()
    token = _correlation_id.set(cid)
    try:
        yield cid
    finally:
        _correlation_id.reset(token)


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "service": self.service,
            # Stamped by the filter in the emitting thread; read here as a fallback.
            "correlation_id": getattr(record, "correlation_id", None) or _correlation_id.get(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class _CorrelationFilter(logging.Filter):
    """Copies the correlation id onto the record when it is emitted (before any
    hand-over to another thread would lose the contextvar)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "correlation_id", None) is None:
            record.correlation_id = _correlation_id.get()
        return True


class _KitHandler(logging.StreamHandler):
    """Marks the handler this module installed, so reconfiguring replaces it."""


def parse_level(level: str | int) -> int:
    if isinstance(level, int):
        return level
    try:
        return _LEVEL_NAMES[level.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown log level {level!r}; use one of debug, info, warning, error") from None


def configure_logging(service: str, level: str | int = "info", stream: TextIO | None = None) -> None:
    """Send every log record of the process as one JSON line to stdout.

    Idempotent: calling it again replaces the handler. uvicorn's own loggers
    are routed through it too, so the process writes JSON only."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _KitHandler)]:
        root.removeHandler(old)
        old.close()  # a StreamHandler flushes but never closes its stream
    handler = _KitHandler(stream or sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    handler.addFilter(_CorrelationFilter())
    root.addHandler(handler)
    root.setLevel(parse_level(level))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers.clear()
        lg.propagate = True
    # The kit's middleware writes one access line per request with the route and duration.
    logging.getLogger("uvicorn.access").disabled = True
