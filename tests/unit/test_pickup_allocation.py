"""Compartment allocation: the pure packing rule of the pick-up service."""

from __future__ import annotations

from datetime import date, time

import pytest

from nahnetz.records import Money, OrderLine
from services.pickup.domain.allocation import (
    Goods, HoldMoved, InvalidGoods, Rejected, Reserved, allocate, decide_compartments, free_by_class, held_by,
    move_hold, pack,
)
from services.pickup.domain.points import Compartment, OpeningHours, OpeningInterval, PickupPoint

L = 1000  # ml per litre


def locker() -> list[Compartment]:
    return [
        Compartment("AS1", 20 * L, "AMBIENT", "S"), Compartment("AS2", 20 * L, "AMBIENT", "S"),
        Compartment("AM1", 45 * L, "AMBIENT", "M"), Compartment("AL1", 90 * L, "AMBIENT", "L"),
        Compartment("CS1", 20 * L, "CHILLED", "S"), Compartment("CM1", 45 * L, "CHILLED", "M"),
    ]


def test_small_goods_take_the_smallest_compartment_that_holds_them():
    assert allocate(locker(), set(), [Goods("AMBIENT", 5 * L, 2), Goods("AMBIENT", 3 * L, 1)]) == Reserved(("AS1",))


def test_goods_larger_than_any_free_compartment_are_split_by_units_over_several():
    # 6 crates of 20 l: 120 l of ambient goods; no single compartment holds them.
    result = allocate(locker(), set(), [Goods("AMBIENT", 120 * L, 6)])
    # The largest opens first when none takes all; the rest fits the 45 l one.
    assert result == Reserved(("AL1", "AM1"))


def test_units_are_never_split():
    # 6 crates of 25 l: the 20 l compartments cannot take one, 90 + 45 l take only five.
    assert allocate(locker(), set(), [Goods("AMBIENT", 150 * L, 6)]) == Rejected("FULL", "AMBIENT")


def test_each_temperature_class_goes_to_its_own_compartments():
    result = allocate(locker(), set(), [Goods("AMBIENT", 10 * L), Goods("CHILLED", 30 * L, 3)])
    assert result == Reserved(("AS1", "CM1"))


def test_a_class_the_point_does_not_have_is_rejected_naming_it():
    assert allocate(locker(), set(), [Goods("AMBIENT", L), Goods("FROZEN", L)]) == Rejected(
        "NO_TEMPERATURE_CLASS", "FROZEN")


def test_occupied_compartments_are_not_used_and_a_full_class_is_rejected():
    occupied = {"CS1", "CM1"}
    assert allocate(locker(), occupied, [Goods("CHILLED", L)]) == Rejected("FULL", "CHILLED")
    # Ambient still has room: the same occupancy does not block other classes.
    assert allocate(locker(), occupied, [Goods("AMBIENT", L)]) == Reserved(("AS1",))


def test_not_enough_free_volume_is_full_even_if_compartments_are_free():
    assert allocate(locker(), {"AL1", "AM1"}, [Goods("AMBIENT", 50 * L, 5)]) == Rejected("FULL", "AMBIENT")


def test_a_unit_larger_than_every_compartment_of_its_class_is_too_large():
    assert allocate(locker(), set(), [Goods("CHILLED", 50 * L, 1)]) == Rejected("TOO_LARGE", "CHILLED")


def test_releasing_gives_the_compartments_back():
    comps = [Compartment("C1", 10 * L, "CHILLED"), Compartment("C2", 10 * L, "CHILLED")]
    occupancy = {"C1": "order-a", "C2": "order-b"}
    assert allocate(comps, occupancy.keys(), [Goods("CHILLED", L)]) == Rejected("FULL", "CHILLED")
    released = held_by(occupancy, "order-a")
    assert released == ["C1"]
    for c in released:
        del occupancy[c]
    assert allocate(comps, occupancy.keys(), [Goods("CHILLED", L)]) == Reserved(("C1",))
    assert held_by(occupancy, "order-never-reserved") == []


def test_a_line_without_volume_still_needs_a_place_of_its_class():
    assert allocate(locker(), set(), [Goods("CHILLED", 0)]) == Reserved(("CS1",))


@pytest.mark.parametrize("goods, problem", [
    ([], "no lines"),
    ([Goods("AMBIENT", -1)], "negative volume"),
    ([Goods("AMBIENT", 10, 0)], "positive quantity"),
    ([Goods("WARM", 10)], "unknown temperature class"),
])
def test_impossible_goods_are_refused(goods, problem):
    with pytest.raises(InvalidGoods, match=problem):
        allocate(locker(), set(), goods)


def test_packing_is_first_fit_decreasing():
    bins = [Compartment("A", 10), Compartment("B", 10)]
    assert pack([6, 4, 5, 5], bins) == ["A", "B"]  # 6+4 and 5+5
    assert pack([6, 6, 6], bins) is None


def test_free_by_class_counts_free_compartments_and_volume():
    assert free_by_class(locker(), {"AS1", "CM1"}) == {
        "AMBIENT": {"free": 3, "total": 4, "free_volume_ml": 155 * L},
        "CHILLED": {"free": 1, "total": 2, "free_volume_ml": 20 * L},
    }


def test_the_order_lines_themselves_are_allocated():
    line = OrderLine(product_id="p-1", shop_id="s-1", product_name="Milch", unit="Flasche", quantity=6,
                     unit_price=Money(amount_cents=120), vat_rate_bp=700, temperature_class="CHILLED",
                     weight_g=6000, volume_ml=6 * L)
    assert allocate(locker(), set(), [line]) == Reserved(("CS1",))


def test_a_point_takes_an_order_only_when_known_in_service_and_open_that_day():
    monday, wednesday = date(2026, 5, 4), date(2026, 5, 6)
    point = PickupPoint("pp-1", "Laden", "COUNTER", 51.7, 9.3, "Höxter", tuple(locker()),
                        opening_hours=OpeningHours((OpeningInterval("MONDAY", time(8), time(12)),)))
    goods = [Goods("AMBIENT", L)]
    assert decide_compartments(point, set(), goods, monday) == Reserved(("AS1",))
    assert decide_compartments(point, set(), goods, wednesday) == Rejected("CLOSED_ON_DAY")
    assert decide_compartments(None, set(), goods, monday) == Rejected("UNKNOWN_PICKUP_POINT")
    out_of_service = PickupPoint("pp-1", "Laden", "LOCKER", 51.7, 9.3, "Höxter", tuple(locker()), in_service=False)
    assert decide_compartments(out_of_service, set(), goods, monday) == Rejected("OUT_OF_SERVICE")


# -- parts of an order: one per shop ----------------------------------------------------------
def test_each_shop_s_part_learns_the_compartments_its_goods_went_into():
    goods = [Goods("AMBIENT", 10 * L, 1, "shop-hof"), Goods("CHILLED", 30 * L, 3, "shop-kaese"),
             Goods("AMBIENT", 5 * L, 1, "shop-kaese")]
    result = allocate(locker(), set(), goods)
    assert result == Reserved(("AS1", "CM1"))
    # The small ambient goods of both shops share a compartment: both parts name it.
    assert result.parts == {"shop-hof": ("AS1",), "shop-kaese": ("AS1", "CM1")}


def test_a_moved_part_keeps_its_compartments_where_they_are_free_on_its_new_day():
    moved = move_hold(locker(), ["CM1"], still_needed_on_old_day=["AS1"], occupied_on_new_day={"AS1": "o-9"},
                      order_id="o-1")
    assert moved == HoldMoved(released=("CM1",), compartment_ids=("CM1",))


def test_a_moved_part_whose_compartment_is_taken_that_day_gets_an_equal_or_larger_one_of_its_class():
    taken = {"CS1": "o-9", "AS1": "o-1"}
    moved = move_hold(locker(), ["CS1", "AS1"], still_needed_on_old_day=["AS1"], occupied_on_new_day=taken,
                      order_id="o-1")
    # CS1 is someone else's that day: the next chilled one at least as large; AS1 is held for o-1 already.
    assert moved.compartment_ids == ("CM1", "AS1") and moved.missing == ()
    # AS1 still holds the other part's goods on the old day: only CS1 is free there again.
    assert moved.released == ("CS1",)
    full = move_hold(locker(), ["CM1"], [], {"CM1": "o-8", "CS1": "o-9"}, "o-1")
    assert full.compartment_ids == () and full.missing == ("CM1",) and full.released == ("CM1",)
