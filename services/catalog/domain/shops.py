"""A shop's profile: the rules its opening hours keep, whether it is open at a
moment (local time, Europe/Berlin), and what changed between two versions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Iterable, Mapping

from nahnetz.clock import BERLIN
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
SHOP_KINDS = ("VILLAGE_SHOP", "GROCERY", "BAKERY", "BUTCHER", "FARM", "MARKET_STALL", "BEVERAGES",
              "PHARMACY", "OTHER")
# The profile fields of ShopRegistered/ShopUpdated, in contract order.
PROFILE_FIELDS = ("name", "kind", "description", "address", "location", "municipality", "opening_hours",
                  "contact", "accepts_phone_listing", "collection_note")
OPEN, CLOSED = "OPEN", "CLOSED"


class ProfileError(ValueError):
    """A profile that breaks a rule; the message is for people."""


@dataclass(frozen=True, order=True)
class OpeningInterval:
    weekday: str
    opens: time
    closes: time


def check_opening_hours(intervals: Iterable[OpeningInterval]) -> list[OpeningInterval]:
    """Sorted by day and time; an interval must end after it starts and may not
    overlap another on the same day."""
    ordered = sorted(intervals, key=lambda i: (WEEKDAYS.index(i.weekday), i.opens))
    for interval in ordered:
        if interval.closes <= interval.opens:
            raise ProfileError(f"{interval.weekday}: {interval.opens:%H:%M} bis {interval.closes:%H:%M} – "
                               "das Ende muss nach dem Anfang liegen (an interval must end after it starts)")
    for first, second in zip(ordered, ordered[1:]):
        if first.weekday == second.weekday and second.opens < first.closes:
            raise ProfileError(f"{first.weekday}: die Zeiten {first.opens:%H:%M}-{first.closes:%H:%M} und "
                               f"{second.opens:%H:%M}-{second.closes:%H:%M} überschneiden sich (intervals overlap)")
    return ordered


def is_open(intervals: Iterable[OpeningInterval], closed_on: Iterable[date], at: datetime) -> bool:
    """Is the shop open at `at` (any time zone; judged in Europe/Berlin)?"""
    local = at.astimezone(BERLIN)
    if local.date() in set(closed_on):
        return False
    day = WEEKDAYS[local.weekday()]
    now = local.time().replace(tzinfo=None)
    return any(i.weekday == day and i.opens <= now < i.closes for i in intervals)


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The profile fields whose values differ, for ShopUpdated.changed."""
    return [name for name in PROFILE_FIELDS if before.get(name) != after.get(name)]
