"""Compartment allocation: the pure packing rule of the pick-up service."""

from __future__ import annotations

import pytest

from services.pickup.domain.allocation import (
    Goods, InvalidGoods, Rejected, Reserved, allocate, free_by_class, held_by, pack,
)
from services.pickup.domain.points import Compartment

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
