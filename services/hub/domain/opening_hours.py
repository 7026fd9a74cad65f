"""Opening hours in local time (Europe/Berlin) turned into UTC windows of a day.

Shops and counters publish weekly intervals in local time (the typed
`nahnetz.records.OpeningHours` of their events); tours are planned in UTC.
Converting per day (not per week) keeps summer and winter time right: 08:00 in
Brakel is 06:00 UTC in July and 07:00 UTC in January, and on the two days the
clocks change the window simply has the length the wall clock gives it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Iterable

from nahnetz.clock import BERLIN
from nahnetz.records import OpeningHours, TimeWindow, Weekday

WEEKDAYS = (Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY,
            Weekday.SATURDAY, Weekday.SUNDAY)


@dataclass(frozen=True, order=True)
class Window:
    """A half-open interval [start, end) in UTC (tz-aware datetimes)."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("window times must be timezone-aware")
        if self.end <= self.start:
            raise ValueError(f"window ends before it starts: {self.start} - {self.end}")

    def as_record(self) -> TimeWindow:
        return TimeWindow(start=self.start, end=self.end)


def local_intervals(hours: OpeningHours, day: date) -> list[tuple[time, time]]:
    """The day's opening intervals in local time, sorted and merged."""
    if day in hours.closed_on:
        return []
    weekday = WEEKDAYS[day.weekday()]
    spans = sorted((i.opens, i.closes) for i in hours.intervals if i.weekday == weekday and i.closes > i.opens)
    merged: list[tuple[time, time]] = []
    for opens, closes in spans:
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return merged


def windows_on(hours: OpeningHours, day: date, *, until: time | None = None) -> list[Window]:
    """The day's opening intervals as UTC windows, cut at local time `until`."""
    windows = []
    for opens, closes in local_intervals(hours, day):
        if until is not None:
            closes = min(closes, until)
        if closes > opens:
            windows.append(Window(utc(day, opens), utc(day, closes)))
    return windows


def utc(day: date, local: time) -> datetime:
    """Local wall-clock time on `day` in Europe/Berlin, as a UTC instant."""
    return datetime.combine(day, local, tzinfo=BERLIN).astimezone(timezone.utc)


def local_day(instant: datetime) -> date:
    return instant.astimezone(BERLIN).date()


def windows_of(records: Iterable[TimeWindow]) -> tuple[Window, ...]:
    return tuple(Window(r.start, r.end) for r in records)
