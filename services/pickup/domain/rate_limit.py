"""Fixed-window rate limits for code attempts. They bind the caller (the token's
subject: a resident's app, a counter's staff, a locker's own device token), never
the pick-up point or the parcel: one person's burst slows only that person."""

from __future__ import annotations

import math
from dataclasses import dataclass

from nahnetz.kit.errors import DomainError

CALLER = "caller"                # one caller's attempts at every parcel
CALLER_PARCEL = "caller-parcel"  # one caller's attempts at one parcel


class TooManyAttempts(DomainError, status_code=429, code="too_many_attempts"):
    """More code attempts in the window than the limit allows; try again in the next one."""


@dataclass(frozen=True)
class Window:
    index: int          # which window `now` falls in
    retry_after: int    # whole seconds until the next window starts (at least 1)


def window_of(now_s: float, window_s: int) -> Window:
    index = int(now_s // window_s)
    # A true ceiling: whoever waits Retry-After seconds is in the next window.
    return Window(index, max(1, math.ceil((index + 1) * window_s - now_s)))


def over_limit(attempts_in_window: int, limit: int) -> bool:
    """The attempt that makes the count exceed the limit is refused."""
    return attempts_in_window > limit


def check_attempts(attempts_in_window: int, limit: int, window: Window, scope: str) -> None:
    """Refuse (429 with Retry-After) the attempt that passes the window's limit for `scope`."""
    if over_limit(attempts_in_window, limit):
        de, en = ("Versuche", "attempts") if scope == CALLER else ("Versuche für diese Sendung",
                                                                   "attempts for this parcel")
        raise TooManyAttempts(
            f"Zu viele {de}; bitte in {window.retry_after} s erneut versuchen. "
            f"Too many {en}; try again in {window.retry_after} s.",
            headers={"Retry-After": str(window.retry_after)})
