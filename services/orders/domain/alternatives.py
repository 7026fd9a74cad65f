"""A rejected order, taken again in one step: at another point, on another day,
or with only what is in stock.

When a pick-up point had no room it said where and when the goods would have
fitted (`OrderRejected.alternatives`); a stock rejection says how many units were
left (`RejectedOrderLine.available`). The resident (or an assistant on the phone)
picks one, and a new order is placed with the same goods, resident and payment
(`OrderPlaced.replaces` names the old one). It is decided like any other order:
a suggestion is advice from the moment of the rejection, not a promise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Callable, Iterable

from nahnetz.kit.errors import Conflict
from nahnetz.records import PickupAlternative

from .booking import BookingRules, delivery_day_problem, earliest_collection
from .collection_days import collection_day
from .lifecycle import OrderStatus, OrderView
from .listings import ShopListing
from .placement import LineRequest, OrderInvalid, OrderRequest, Problem

# What is shown: at most this many other points, and this many later days.
SHOWN_POINTS = 3
SHOWN_DAYS = 3


@dataclass(frozen=True)
class Choice:
    """What the resident takes instead; None keeps the order's own point or day."""

    pickup_point_id: str | None = None
    delivery_day: date | None = None
    take_available: bool = False


def bookable(day: date, now: datetime, rules: BookingRules, shops: Iterable[ShopListing]) -> bool:
    """Could an order placed now book `day`, the shops' goods included?"""
    if delivery_day_problem(day, now, rules) is not None:
        return False
    earliest = earliest_collection(now, rules)
    return all(collection_day(shop, day, earliest, rules) is not None for shop in shops)


def still_open(order: OrderView, is_bookable: Callable[[date], bool]) -> list[PickupAlternative]:
    """The order's suggestions that can still be booked, nearest points first, then days."""
    if order.rejection is None:
        return []
    points = [a for a in order.rejection.alternatives if a.distance_m is not None and is_bookable(a.delivery_day)]
    days = [a for a in order.rejection.alternatives if a.distance_m is None and is_bookable(a.delivery_day)]
    return points[:SHOWN_POINTS] + days[:SHOWN_DAYS]


def available_lines(order: OrderView) -> tuple[LineRequest, ...]:
    """The order's lines cut to what the shops had left (a line with nothing left goes)."""
    short = {line.product_id: line.available for line in (order.rejection.lines if order.rejection else ())}
    lines = []
    for line in order.lines:
        quantity = min(line.quantity, short[line.product_id] or 0) if line.product_id in short else line.quantity
        if quantity > 0:
            lines.append(LineRequest(line.product_id, quantity))
    return tuple(lines)


def can_take_available(order: OrderView) -> bool:
    """A stock rejection where something is left to order."""
    return (order.rejection is not None and any(line.available for line in order.rejection.lines)
            and bool(available_lines(order)))


def replacement(order: OrderView, choice: Choice, entered_by: str | None, channel: str) -> OrderRequest:
    """The new order for `choice`: same resident, goods and payment; 409 unless the
    order was rejected, 422 when the choice changes nothing or leaves no goods."""
    if order.status is not OrderStatus.REJECTED:
        raise Conflict(f"only a rejected order can be taken again; this one is {order.status.value}",
                       details={"status": order.status.value})
    point = choice.pickup_point_id or order.pickup_point_id
    day = choice.delivery_day or order.delivery_day
    lines = available_lines(order) if choice.take_available else tuple(
        LineRequest(line.product_id, line.quantity) for line in order.lines)
    if not lines:
        raise OrderInvalid([Problem("take_available", "no units of the order's products are left")])
    if (point, day) == (order.pickup_point_id, order.delivery_day) and not choice.take_available:
        raise OrderInvalid([Problem("pickup_point_id", "choose another pick-up point or delivery day, or take "
                                                       "what is available (take_available)")])
    return OrderRequest(resident_id=order.resident_id, lines=lines, pickup_point_id=point, delivery_day=day,
                        payment_method=order.payment_method, channel=channel, entered_by=entered_by,
                        note=order.note)

