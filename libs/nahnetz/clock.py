"""Time as people in the region read it: stored in UTC, shown and reckoned in Europe/Berlin."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def today_in_berlin(now: datetime | None = None) -> date:
    """The calendar day in the region at `now` (default: this moment)."""
    return (now or utc_now()).astimezone(BERLIN).date()


def in_berlin(at: datetime) -> datetime:
    """A UTC instant as local time (naive datetimes are taken as UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(BERLIN)
