"""Opening hours in local time (Europe/Berlin) turned into UTC windows of a day.

Shops and counters publish weekly intervals in local time; tours are planned in
UTC. Converting per day (not per week) keeps summer and winter time right: 08:00
in Brakel is 06:00 UTC in July and 07:00 UTC in January, and on the two days the
clocks change the window simply has the length the wall clock gives it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Any, Iterable, Mapping
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


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

    def as_record(self) -> dict[str, datetime]:
        return {"start": self.start, "end": self.end}


@dataclass(frozen=True)
class OpeningInterval:
    weekday: str  # MONDAY ... SUNDAY
    opens: time
    closes: time  # exclusive


@dataclass(frozen=True)
class OpeningHours:
    intervals: tuple[OpeningInterval, ...] = ()
    closed_on: frozenset[date] = frozenset()

    @classmethod
    def from_record(cls, record: Mapping[str, Any] | None) -> OpeningHours:
        """From the `nahnetz.common.OpeningHours` record (or its JSON form)."""
        if not record:
            return cls()
        return cls(
            intervals=tuple(
                OpeningInterval(i["weekday"], _time(i["opens"]), _time(i["closes"]))
                for i in record.get("intervals", ())
            ),
            closed_on=frozenset(_date(d) for d in record.get("closed_on", ())),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "intervals": [
                {"weekday": i.weekday, "opens": i.opens.isoformat(), "closes": i.closes.isoformat()}
                for i in self.intervals
            ],
            "closed_on": sorted(d.isoformat() for d in self.closed_on),
        }

    def local_intervals(self, day: date) -> list[tuple[time, time]]:
        """The day's opening intervals in local time, sorted and merged."""
        if day in self.closed_on:
            return []
        weekday = WEEKDAYS[day.weekday()]
        spans = sorted((i.opens, i.closes) for i in self.intervals if i.weekday == weekday and i.closes > i.opens)
        merged: list[tuple[time, time]] = []
        for opens, closes in spans:
            if merged and opens <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
            else:
                merged.append((opens, closes))
        return merged

    def windows_on(self, day: date, *, until: time | None = None) -> list[Window]:
        """The day's opening intervals as UTC windows, cut at local time `until`."""
        windows = []
        for opens, closes in self.local_intervals(day):
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


def windows_from_records(records: Iterable[Mapping[str, Any]]) -> tuple[Window, ...]:
    return tuple(Window(r["start"], r["end"]) for r in records)


def _time(value: time | str | int) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, int):  # milliseconds after midnight, as Avro time-millis without logical type
        seconds, ms = divmod(value, 1000)
        return time(seconds // 3600, seconds // 60 % 60, seconds % 60, ms * 1000)
    return time.fromisoformat(value)


def _date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
