"""Which delivery days can be booked.

Shops pack in the evening and the hub collects in the morning, so tomorrow can be
booked only before the cut-off (default 18:00 Europe/Berlin); an order at 18:05 is
for the day after tomorrow at the earliest. Days beyond the horizon are not
planned yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from nahnetz.clock import BERLIN


@dataclass(frozen=True)
class BookingRules:
    horizon_days: int = 14
    cutoff: time = time(18, 0)
    delivery_fee_cents: int = 250
    currency: str = "EUR"
    max_lines: int = 50
    max_quantity: int = 999
    zone: ZoneInfo = BERLIN
    # The hub's collection rule (see collection_days.py): goods collected on the delivery
    # day by this local time, or on an open day at most this many days before it.
    latest_collection: time = time(15, 0)
    max_days_in_hub: int = 6


@dataclass(frozen=True)
class BookingWindow:
    earliest: date
    latest: date

    def days(self) -> list[date]:
        return [self.earliest + timedelta(days=n) for n in range((self.latest - self.earliest).days + 1)]


def booking_window(now: datetime, rules: BookingRules) -> BookingWindow:
    """The first and last bookable delivery day for an order placed at `now` (tz-aware)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    local = now.astimezone(rules.zone)
    today = local.date()
    earliest = today + timedelta(days=1 if local.time() < rules.cutoff else 2)
    return BookingWindow(earliest, today + timedelta(days=rules.horizon_days))


def earliest_collection(now: datetime, rules: BookingRules) -> date:
    """The first day the hub can collect goods of an order placed at `now`: tomorrow."""
    return now.astimezone(rules.zone).date() + timedelta(days=1)


def delivery_day_problem(day: date, now: datetime, rules: BookingRules) -> str | None:
    """Why `day` cannot be booked at `now`, or None when it can."""
    window = booking_window(now, rules)
    local = now.astimezone(rules.zone)
    if day <= local.date():
        return f"the delivery day must be in the future; the earliest is {window.earliest.isoformat()}"
    if day < window.earliest:
        return (f"orders for {day.isoformat()} closed at {rules.cutoff.strftime('%H:%M')} "
                f"(Europe/Berlin); the earliest delivery day now is {window.earliest.isoformat()}")
    if day > window.latest:
        return (f"the delivery day can be at most {rules.horizon_days} days ahead "
                f"(until {window.latest.isoformat()})")
    return None
