"""The platform's clock: the wall clock, or the wall clock moved by a simulation's offset file."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from nahnetz.clock import set_offset, today_in_berlin, utc_now
from nahnetz.events import now_utc


def _close(a: datetime, b: datetime) -> bool:
    return abs((a - b).total_seconds()) < 5


def test_without_a_clock_file_the_time_is_the_wall_clock(monkeypatch):
    monkeypatch.delenv("NAHNETZ_CLOCK_FILE", raising=False)
    assert _close(utc_now(), datetime.now(timezone.utc))


def test_an_offset_file_moves_every_reading_and_a_new_offset_is_seen_at_once(monkeypatch, tmp_path):
    clock = tmp_path / "clock"
    monkeypatch.setenv("NAHNETZ_CLOCK_FILE", str(clock))
    assert _close(utc_now(), datetime.now(timezone.utc))           # no file yet: the wall clock
    set_offset(clock, -90 * 86400)
    wall = datetime.now(timezone.utc)
    assert _close(utc_now(), wall - timedelta(days=90))
    assert _close(now_utc(), wall - timedelta(days=90))              # events are stamped with it
    assert today_in_berlin() == today_in_berlin(wall - timedelta(days=90))
    for days in range(-89, 1):                                       # each new offset, however quick
        set_offset(clock, days * 86400)
        assert _close(utc_now(), datetime.now(timezone.utc) + timedelta(days=days))
    clock.unlink()
    assert _close(utc_now(), datetime.now(timezone.utc))
