"""The packing list as printed: days, grouping by pick-up point, totals."""

from __future__ import annotations

from datetime import date

from services.web.domain.packing import by_pickup_point, chosen_day, day_label, days_around, kilograms, units_total


def test_the_day_is_the_one_asked_for_else_today():
    today = date(2026, 12, 7)
    assert chosen_day("2026-12-10", today) == date(2026, 12, 10)
    assert chosen_day(None, today) == today and chosen_day("morgen", today) == today


def test_the_chooser_offers_yesterday_to_six_days_ahead():
    found = days_around(date(2026, 12, 7))
    assert found[0] == date(2026, 12, 6) and found[-1] == date(2026, 12, 13) and len(found) == 8


def test_days_are_labelled_in_both_languages():
    assert day_label(date(2026, 12, 10)) == "Do 10.12.2026"
    assert day_label(date(2026, 12, 10), english=True) == "Thu 2026-12-10"


def test_orders_are_grouped_by_pick_up_point_and_sorted_by_reference():
    orders = [{"order_ref": "B", "pickup_point": {"pickup_point_id": "pp-2", "name": "Brakel"}},
              {"order_ref": "C", "pickup_point": {"pickup_point_id": "pp-1", "name": "Amelunxen"}},
              {"order_ref": "A", "pickup_point": {"pickup_point_id": "pp-2", "name": "Brakel"}},
              {"order_id": "o-9", "pickup_point": {"pickup_point_id": "pp-3", "name": None}}]
    groups = by_pickup_point(orders)
    assert [name for name, _ in groups] == ["Amelunxen", "Brakel", "pp-3"]
    assert [o["order_ref"] for o in groups[1][1]] == ["A", "B"]


def test_totals_and_weights():
    assert units_total([{"quantity": 2}, {"quantity": 3}]) == 5
    assert kilograms(1250) == "1,25 kg" and kilograms(None) == "0,00 kg"
