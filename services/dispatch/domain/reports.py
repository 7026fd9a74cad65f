"""Who reports a stop, and how: the driver in the app as it happens, or an
operator for the driver afterwards, from the paper sheet (the default) or a
call. Only an operator's entry carries its own time (`at`), and it must fit the
tour's day: a paper sheet is entered within days, and nothing lies ahead.
Nothing is reported before the tour's day has begun (Europe/Berlin): a tour of
Thursday cannot be finished on Monday.
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


def day_begins(tour_day: date) -> datetime:
    """Midnight of the tour's day in Berlin, in UTC."""
    return datetime.combine(tour_day, time.min, BERLIN).astimezone(timezone.utc)


def check_not_before_the_day(tour_day: date, moment: datetime) -> None:
    if moment < day_begins(tour_day):
        raise Unprocessable(f"Die Tour ist für den {tour_day:%d.%m.%Y} geplant; vorher kann nichts gemeldet "
                            f"werden. The tour is planned for {tour_day.isoformat()}; nothing can be reported "
                            f"before that day.", details={"tour_day": tour_day.isoformat()})


def by_driver(actor: Actor, *, tour_day: date, at: datetime | None, channel: str | None,
              now: datetime, early: bool = False) -> Reporter:
    """The assigned driver, in the app: reports as it happens, from the tour's day on."""
    if at is not None or channel is not None:
        raise Unprocessable("`at` and `channel` are for an operator entering a paper sheet; "
                            "the app reports as it happens")
    if not early:
        check_not_before_the_day(tour_day, now)
    return Reporter(actor, Channel.APP)


def for_driver(actor: Actor, *, tour_day: date, at: datetime | None, channel: str | None,
               now: datetime, early: bool = False) -> Reporter:
    """An operator for the driver (recorded as on_behalf_of in `actor`), by default
    from the paper sheet."""
    if at is not None:
        day = day_begins(tour_day)
        if at > now + CLOCK_SLACK or not (day <= at <= day + PAPER_TIME_SLACK):
            raise Unprocessable(f"`at` {at.isoformat()} does not fit tour day {tour_day.isoformat()} "
                                "or lies in the future")
    if not early:
        check_not_before_the_day(tour_day, at or now)
    return Reporter(actor, Channel(channel or Channel.PAPER), at)
