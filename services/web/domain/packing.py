"""The shop's packing list as it is printed: the orders of a day grouped by pick-up
point, the totals per product, and the days the chooser offers.

    days_around(date(2026, 12, 7))  -> the day before, the day itself and six after
    by_pickup_point(packing["orders"]) -> [(point name, [orders...]), ...]
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Iterable

WEEKDAY_SHORT = (("Mo", "Mon"), ("Di", "Tue"), ("Mi", "Wed"), ("Do", "Thu"), ("Fr", "Fri"), ("Sa", "Sat"),
                 ("So", "Sun"))
TEMPERATURE_MARK = {"CHILLED": ("gekühlt", "chilled"), "FROZEN": ("tiefgekühlt", "frozen")}


def chosen_day(text: str | None, today: date) -> date:
    """The day asked for (YYYY-MM-DD), today when none or a wrong one was given."""
    try:
        return date.fromisoformat(text) if text else today
    except ValueError:
        return today


def days_around(day: date, before: int = 1, after: int = 6) -> list[date]:
    return [day + timedelta(days=n) for n in range(-before, after + 1)]


def day_label(day: date, english: bool = False) -> str:
    short = WEEKDAY_SHORT[day.weekday()][1 if english else 0]
    return f"{short} {day.isoformat()}" if english else f"{short} {day.day:02d}.{day.month:02d}.{day.year}"


def by_pickup_point(orders: Iterable[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Orders grouped by their pick-up point (its name, else its id), points by name, orders by reference."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for order in orders:
        point = order.get("pickup_point") or {}
        name = point.get("name") or point.get("pickup_point_id") or "?"
        groups.setdefault(name, []).append(order)
    return [(name, sorted(found, key=lambda o: str(o.get("order_ref") or o.get("order_id"))))
            for name, found in sorted(groups.items())]


def units_total(totals: Iterable[dict[str, Any]]) -> int:
    return sum(int(t.get("quantity") or 0) for t in totals)


def kilograms(weight_g: int | None) -> str:
    """1250 -> '1,25 kg'."""
    grams = int(weight_g or 0)
    return f"{grams / 1000:.2f}".replace(".", ",") + " kg"
