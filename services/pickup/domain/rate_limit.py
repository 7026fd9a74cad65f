"""Fixed-window rate limits for code attempts (per parcel and per terminal)."""

from __future__ import annotations

from dataclasses import dataclass

from nahnetz.kit.errors import DomainError

POINT = "point"    # the attempts at one pick-up point (its terminal)
PARCEL = "parcel"  # the attempts at one parcel, from wherever


class TooManyAttempts(DomainError, status_code=429, code="too_many_attempts"):
    """More code attempts in the window than the limit allows; try again in the next one."""


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


def check_attempts(attempts_in_window: int, limit: int, window: Window, scope: str) -> None:
    """Refuse (429 with Retry-After) the attempt that passes the window's limit for `scope`."""
    if over_limit(attempts_in_window, limit):
        what = "this pick-up point" if scope == POINT else "this parcel"
        raise TooManyAttempts(
            f"Zu viele Versuche an {what}; bitte in {window.retry_after} s erneut versuchen. "
            f"Too many attempts for {what}; try again in {window.retry_after} s.",
            headers={"Retry-After": str(window.retry_after)})
