"""Fixed-window rate limits for code attempts (per parcel and per terminal)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    index: int          # which window `now` falls in
    retry_after: int    # whole seconds until the next window starts (at least 1)


def window_of(now_s: float, window_s: int) -> Window:
    index = int(now_s // window_s)
    return Window(index, max(1, int((index + 1) * window_s - now_s + 0.999)))


def over_limit(attempts_in_window: int, limit: int) -> bool:
    """The attempt that makes the count exceed the limit is refused."""
    return attempts_in_window > limit
