"""When a parcel expires, and what the expiry job does with one the due index names.

Once expired, the ParcelExpired event is the outbox's (it remembers the event
with the status change and publishes it until it went out), so an expired
parcel only leaves the index.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum

from .collection import DEPOSITED


def expires_at(deposited_at: datetime, hold_days: int, override_seconds: int | None = None) -> datetime:
    """The deadline: the point's hold days after deposit (seconds in tests and demos)."""
    if override_seconds is not None:
        return deposited_at + timedelta(seconds=override_seconds)
    return deposited_at + timedelta(days=hold_days)


class ExpiryStep(str, Enum):
    EXPIRE = "expire"  # deposited and past its deadline: expire it now
    DROP = "drop"      # collected, expired or gone: nothing to do, forget the entry
    WAIT = "wait"      # not due yet (the deadline moved)


def expiry_step(status: str | None, deadline: datetime | None, now: datetime) -> ExpiryStep:
    """What to do with a parcel the due index names."""
    if status == DEPOSITED and deadline is not None:
        return ExpiryStep.EXPIRE if now >= deadline else ExpiryStep.WAIT
    return ExpiryStep.DROP
