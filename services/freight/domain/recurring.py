"""Weekly trips ("every Tuesday 7:00 Ringelai → Passau") as dated offers.

A weekly trip is expanded into one dated trip per week, for the weeks ahead; the
local time is Europe/Berlin, so a 7:00 trip stays at 7:00 across the change to
summer time. Each dated trip has its own id (the series id and the day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


@dataclass(frozen=True)
class Departure:
    day: date
    start: datetime   # UTC
    end: datetime     # UTC
    arrive_by: datetime | None


def weekly(weekday: str, leave_at: time, *, flexible_min: int, drive_max_min: int | None, first_day: date,
           weeks: int) -> list[Departure]:
    """The departures of a weekly trip on or after `first_day`, `weeks` of them."""
    if weekday not in WEEKDAYS:
        raise ValueError(f"unknown weekday {weekday!r}")
    if weeks < 1:
        raise ValueError("a weekly trip runs at least one week")
    ahead = (WEEKDAYS.index(weekday) - first_day.weekday()) % 7
    day = first_day + timedelta(days=ahead)
    found = []
    for _ in range(weeks):
        start = datetime.combine(day, leave_at, tzinfo=BERLIN).astimezone(timezone.utc)
        end = start + timedelta(minutes=flexible_min)
        arrive = end + timedelta(minutes=drive_max_min) if drive_max_min is not None else None
        found.append(Departure(day, start, end, arrive))
        day += timedelta(days=7)
    return found


def dated_trip_id(series_id: str, day: date) -> str:
    return f"{series_id}-{day.strftime('%Y%m%d')}"
