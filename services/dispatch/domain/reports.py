"""Who reports a stop, and how: the driver in the app as it happens, or an
operator for the driver afterwards, from the paper sheet (the default) or a
call. Only an operator's entry carries its own time (`at`), and it must fit the
tour's day: a paper sheet is entered within days, and nothing lies ahead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from nahnetz.clock import BERLIN
from nahnetz.events import Actor
from nahnetz.kit.errors import Unprocessable
from nahnetz.records import Channel

# A paper sheet is entered within days; a time further back or ahead is a typo.
PAPER_TIME_SLACK = timedelta(days=2)
# Clocks differ a little; a time just ahead of ours is still "now".
CLOCK_SLACK = timedelta(minutes=5)


@dataclass(frozen=True)
class Reporter:
    """Who reports and how: the actor, the channel and, for an entry made
    afterwards, when it happened (None: now)."""

    actor: Actor
    channel: Channel
    occurred_at: datetime | None = None


def by_driver(actor: Actor, *, at: datetime | None, channel: str | None) -> Reporter:
    """The assigned driver, in the app: reports as it happens."""
    if at is not None or channel is not None:
        raise Unprocessable("`at` and `channel` are for an operator entering a paper sheet; "
                            "the app reports as it happens")
    return Reporter(actor, Channel.APP)


def for_driver(actor: Actor, *, tour_day: date, at: datetime | None, channel: str | None,
               now: datetime) -> Reporter:
    """An operator for the driver (recorded as on_behalf_of in `actor`), by default
    from the paper sheet."""
    if at is not None:
        day = datetime.combine(tour_day, time.min, BERLIN).astimezone(timezone.utc)
        if at > now + CLOCK_SLACK or not (day - PAPER_TIME_SLACK <= at <= day + PAPER_TIME_SLACK):
            raise Unprocessable(f"`at` {at.isoformat()} does not fit tour day {tour_day.isoformat()} "
                                "or lies in the future")
    return Reporter(actor, Channel(channel or Channel.PAPER), at)
