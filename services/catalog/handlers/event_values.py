"""Event values as they are kept in the read models' JSON documents."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Any, Mapping

from nahnetz.events import Event


def jsonable(value: Any) -> Any:
    """Times of day as "HH:MM", days as ISO dates, instants in UTC ("...Z")."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def occurred(event: Event) -> str:
    """When the event happened, in UTC."""
    return jsonable(event.meta["occurred_at"])
