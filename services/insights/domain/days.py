"""Days as the municipality reads them: an event counts on the calendar day in
Europe/Berlin when it happened; weeks (ISO, Monday first) and months are sums of days."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from enum import Enum
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")


class Period(str, Enum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


def day_of(at: datetime) -> date:
    """The Berlin calendar day of an instant (naive times are UTC, as Avro gives them)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(BERLIN).date()


def local_minute(at: datetime) -> str:
    """"HH:MM" in Berlin: when in the day something happened (collections vs. shop hours)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(BERLIN).strftime("%H:%M")


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def period_start(day: date, period: Period) -> date:
    if period is Period.WEEK:
        return day - timedelta(days=day.weekday())
    if period is Period.MONTH:
        return day.replace(day=1)
    return day


def period_end(day: date, period: Period) -> date:
    if period is Period.WEEK:
        return period_start(day, period) + timedelta(days=6)
    if period is Period.MONTH:
        following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        return following - timedelta(days=1)
    return day


def whole_periods(first: date, last: date, period: Period) -> tuple[date, date]:
    """[first, last] widened to whole weeks or months. A period cut by the range would let
    two ranges one day apart give that day away by subtraction, even where the day's own
    cell is suppressed."""
    return period_start(first, period), period_end(last, period)


def buckets(first: date, last: date, period: Period) -> list[tuple[date, date, list[date]]]:
    """The periods covering [first, last]: (start, end, its days within the range).
    The API asks with whole periods (`whole_periods`), so none is cut."""
    out: dict[date, list[date]] = {}
    for day in days_between(first, last):
        out.setdefault(period_start(day, period), []).append(day)
    return [(days[0], days[-1], days) for days in out.values()]
