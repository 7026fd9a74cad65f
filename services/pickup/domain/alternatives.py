"""What would work instead when a pick-up point cannot take an order on its day.

A resident whose order is refused for lack of room should not have to guess
again: the point says where and when the same goods would have fitted, as it
saw the occupancy when it said no. First the nearest other points with room on
the same day, then the next days with room at the chosen point. These are
suggestions, not holds: taking one places a new order, which the point decides
like any other (so room taken meanwhile is never promised twice).

Orders filters the days by its own booking rules (cut-off, delivery days, the
shops' opening hours) before it shows them, so a few more days are offered here
than are shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Collection, Iterable, Sequence

from .allocation import GoodsLine, Reserved, decide_compartments
from .points import PickupPoint

# Rejections that another point or day can cure (an unknown point cannot).
ABOUT_ROOM = frozenset({"FULL", "NO_TEMPERATURE_CLASS", "TOO_LARGE", "OUT_OF_SERVICE", "CLOSED_ON_DAY"})
OTHER_POINTS = 3
SEARCH_RADIUS_KM = 15.0
# Candidates asked for around the chosen point (most will be full on a busy day).
NEARBY_CANDIDATES = 12
LATER_DAYS = 5
DAYS_AHEAD = 14


@dataclass(frozen=True)
class Alternative:
    pickup_point_id: str
    delivery_day: date
    distance_m: int | None = None   # from the chosen point; None at the chosen point itself


@dataclass(frozen=True)
class Nearby:
    """Another point near the chosen one, with what is taken there on the order's day."""

    point: PickupPoint
    distance_m: float
    occupied: Collection[str]


def later_days(day: date, ahead: int = DAYS_AHEAD) -> list[date]:
    """The days after `day` worth looking at."""
    return [day + timedelta(days=n) for n in range(1, ahead + 1)]


def alternatives(goods: Sequence[GoodsLine], day: date, chosen: PickupPoint | None, reason: str,
                 nearby: Iterable[Nearby], later: Iterable[tuple[date, Collection[str]]]) -> list[Alternative]:
    """The nearest points that would take `goods` on `day` (up to OTHER_POINTS), then
    the days in `later` on which the chosen point would (up to LATER_DAYS)."""
    if chosen is None or reason not in ABOUT_ROOM:
        return []
    found = []
    for candidate in sorted(nearby, key=lambda n: n.distance_m):
        if len(found) == OTHER_POINTS:
            break
        point = candidate.point
        if point.pickup_point_id != chosen.pickup_point_id and fits(point, candidate.occupied, goods, day):
            found.append(Alternative(point.pickup_point_id, day, round(candidate.distance_m)))
    days = [Alternative(chosen.pickup_point_id, later_day)
            for later_day, occupied in sorted(later, key=lambda entry: entry[0])
            if later_day > day and fits(chosen, occupied, goods, later_day)]
    return found + days[:LATER_DAYS]


def fits(point: PickupPoint, occupied: Collection[str], goods: Sequence[GoodsLine], day: date) -> bool:
    return isinstance(decide_compartments(point, occupied, goods, day), Reserved)
