"""What a full pick-up point suggests instead: nearest points with room that day,
then its own later days with room."""

from __future__ import annotations

from datetime import date, timedelta

from services.pickup.domain.allocation import Goods
from services.pickup.domain.alternatives import (
    LATER_DAYS, OTHER_POINTS, Alternative, Nearby, alternatives, later_days,
)
from services.pickup.domain.points import Compartment, PickupPoint

DAY = date(2026, 5, 13)   # a Wednesday
CHILLED = [Goods("CHILLED", 5000)]


def point(point_id: str, *, compartments: int = 1, kind: str = "LOCKER", in_service: bool = True) -> PickupPoint:
    boxes = tuple(Compartment(f"C{n}", 20_000, "CHILLED", "S") for n in range(compartments))
    return PickupPoint(point_id, point_id, kind, 51.7, 9.3, "Höxter", boxes, in_service=in_service)


CHOSEN = point("pp-full")
TAKEN = {"C0"}
FREE: set[str] = set()


def test_the_nearest_points_with_room_come_first_then_the_point_s_own_later_days():
    nearby = [Nearby(point("pp-far"), 9000, FREE), Nearby(point("pp-near"), 1200, FREE),
              Nearby(point("pp-full-too"), 500, TAKEN), Nearby(CHOSEN, 0, TAKEN)]
    later = [(DAY + timedelta(days=2), FREE), (DAY + timedelta(days=1), TAKEN), (DAY + timedelta(days=3), FREE)]
    assert alternatives(CHILLED, DAY, CHOSEN, "FULL", nearby, later) == [
        Alternative("pp-near", DAY, 1200), Alternative("pp-far", DAY, 9000),
        Alternative("pp-full", DAY + timedelta(days=2)), Alternative("pp-full", DAY + timedelta(days=3))]


def test_a_point_that_would_refuse_the_goods_is_not_suggested():
    no_chilled = PickupPoint("pp-ambient", "x", "LOCKER", 51.7, 9.3, "Höxter",
                             (Compartment("A0", 90_000, "AMBIENT", "L"),))
    nearby = [Nearby(no_chilled, 100, FREE), Nearby(point("pp-closed", in_service=False), 200, FREE)]
    assert alternatives(CHILLED, DAY, CHOSEN, "FULL", nearby, []) == []


def test_suggestions_are_capped():
    nearby = [Nearby(point(f"pp-{n}"), 100 * n, FREE) for n in range(1, 10)]
    later = [(day, FREE) for day in later_days(DAY)]
    found = alternatives(CHILLED, DAY, CHOSEN, "FULL", nearby, later)
    assert len([a for a in found if a.distance_m is not None]) == OTHER_POINTS
    assert len([a for a in found if a.distance_m is None]) == LATER_DAYS


def test_no_suggestion_where_another_point_or_day_cannot_help():
    nearby = [Nearby(point("pp-near"), 1200, FREE)]
    assert alternatives(CHILLED, DAY, None, "UNKNOWN_PICKUP_POINT", nearby, []) == []
    assert alternatives(CHILLED, DAY, CHOSEN, "OTHER", nearby, []) == []


def test_later_days_are_the_days_after_the_delivery_day():
    days = later_days(DAY, ahead=3)
    assert days == [date(2026, 5, 14), date(2026, 5, 15), date(2026, 5, 16)]
