"""Which delivery days a shop's goods can make: the hub's collection rule, checked
when an order is placed, so an order never books a day its goods cannot be in the
pick-up point (the hub would only move it).

The hub collects a shop's goods on the delivery day itself, at a time the shop is
open before the latest collection time (15:00 local), or on an open day before
it, at most `max_days_in_hub` days before and never before tomorrow, and keeps
them at the hub until the delivery day. The two services must agree on these
numbers (ORDERS_LATEST_COLLECTION / HUB_LATEST_COLLECTION, ORDERS_MAX_DAYS_IN_HUB
/ HUB_MAX_DAYS_IN_HUB).

A shop the orders service does not know yet (its profile not projected) is not
judged here: the hub plans what it can.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable, Sequence

from .booking import BookingRules, BookingWindow
from .listings import ShopListing


def collectable_on(shop: ShopListing, day: date, delivery_day: date, rules: BookingRules) -> bool:
    """Can the hub take the shop's goods for `delivery_day` over on `day`?"""
    hours = shop.hours_on(day)
    if day == delivery_day:
        return any(opens < rules.latest_collection for opens, _ in hours)
    return bool(hours)


def collection_day(shop: ShopListing, delivery_day: date, earliest: date, rules: BookingRules) -> date | None:
    """The day the hub would collect the goods for `delivery_day` (the latest possible),
    or None when there is none: the shop is closed on the day and on every day before
    it that the hub may keep goods."""
    for back in range(0, rules.max_days_in_hub + 1):
        day = delivery_day - timedelta(days=back)
        if day < earliest:
            return None
        if collectable_on(shop, day, delivery_day, rules):
            return day
    return None


@dataclass(frozen=True)
class Unreachable:
    """The delivery day the shops' goods cannot make, and the next day they all can."""

    shops: tuple[ShopListing, ...]
    next_day: date | None   # None: no day within the booking window


def unreachable(shops: Iterable[ShopListing], delivery_day: date, earliest: date, window: BookingWindow,
                rules: BookingRules) -> Unreachable | None:
    """None when every shop's goods can make `delivery_day`; else which cannot, and the
    next bookable day on which all of them can."""
    shops = tuple(shops)
    late = tuple(s for s in shops if collection_day(s, delivery_day, earliest, rules) is None)
    if not late:
        return None
    later = (d for d in window.days() if d > delivery_day)
    next_day = next((d for d in later if all(collection_day(s, d, earliest, rules) for s in shops)), None)
    return Unreachable(late, next_day)


def describe(problem: Unreachable, delivery_day: date) -> str:
    """For people, German and English: which shops cannot make the day, and the next possible day."""
    names = ", ".join(s.name for s in problem.shops)
    day = delivery_day.strftime("%d.%m.%Y")
    if problem.next_day is None:
        return (f"{names}: die Ware kann für den {day} nicht abgeholt werden (geschlossen), und an keinem "
                f"buchbaren Tag danach / the goods cannot be collected for {delivery_day.isoformat()} (closed), "
                "nor for any bookable day after it")
    return (f"{names}: die Ware kann für den {day} nicht abgeholt werden (geschlossen); nächster möglicher "
            f"Liefertag: {problem.next_day.strftime('%d.%m.%Y')} / the goods cannot be collected for "
            f"{delivery_day.isoformat()} (closed); the next possible delivery day is {problem.next_day.isoformat()}")


def shops_of(shop_ids: Sequence[str], known: dict[str, ShopListing | None]) -> list[ShopListing]:
    """The known shops among `shop_ids`, in order."""
    return [shop for shop_id in dict.fromkeys(shop_ids) if (shop := known.get(shop_id)) is not None]
