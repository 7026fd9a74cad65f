"""Time as people in the region read it: stored in UTC, shown and reckoned in Europe/Berlin.

Every service asks this module for the time (`utc_now`, `today_in_berlin`), so a
simulation can move the whole platform through past days at once: with
NAHNETZ_CLOCK_FILE set (development only; production refuses it, see
`nahnetz.kit.settings`), the time is the wall clock plus the offset in seconds that
file holds, read again whenever the file changes. `nahnetz simulate` writes it
(`set_offset`); without the file, or with it absent, the time is the wall clock.
Token expiry and timeouts keep the real clock: they measure real waiting.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
CLOCK_FILE_VARIABLE = "NAHNETZ_CLOCK_FILE"


class _Offset:
    """The simulated offset, re-read only when the file changes."""

    def __init__(self) -> None:
        self._stamp: tuple[int, int] | None = None
        self._seconds = 0.0

    def seconds(self) -> float:
        path = os.environ.get(CLOCK_FILE_VARIABLE)
        if not path:
            return 0.0
        try:
            found = os.stat(path)
            stamp = (found.st_ino, found.st_mtime_ns)  # each write is a new file (os.replace)
        except FileNotFoundError:
            return 0.0
        if stamp != self._stamp:
            text = Path(path).read_text(encoding="ascii").strip()
            self._seconds, self._stamp = (float(text) if text else 0.0), stamp
        return self._seconds


_offset = _Offset()


def utc_now() -> datetime:
    return datetime.now(timezone.utc) + timedelta(seconds=_offset.seconds())


def set_offset(path: Path, seconds: float) -> None:
    """Move every process reading `path` to wall clock + `seconds` (atomically: a
    reader sees the old offset or the new one, never half a number)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    part.write_text(f"{seconds:.3f}\n", encoding="ascii")
    os.replace(part, path)


def today_in_berlin(now: datetime | None = None) -> date:
    """The calendar day in the region at `now` (default: this moment)."""
    return (now or utc_now()).astimezone(BERLIN).date()


def in_berlin(at: datetime) -> datetime:
    """A UTC instant as local time (naive datetimes are taken as UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(BERLIN)
