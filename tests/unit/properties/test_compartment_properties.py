"""Properties of compartment allocation (services/pickup/domain/allocation.py): a
compartment is never given to two orders on a day, what is reserved holds the
goods (volume and temperature class), a rejection names a real reason, the
smallest compartment that takes everything is used, and a release frees what
the order held."""

from __future__ import annotations

from datetime import date, time, timedelta
from functools import lru_cache

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, initialize, invariant, rule

from nahnetz.records import Money, OrderLine, TemperatureClass
from services.pickup.domain.allocation import (MAX_ITEMS_PER_LINE, Goods, Rejected, Reserved, allocate,
                                               decide_compartments, free_by_class, held_by, pieces)
from services.pickup.domain.points import (TEMPERATURE_CLASSES, WEEKDAYS, Compartment, OpeningHours,
                                           OpeningInterval, PickupPoint)

FAST = settings(max_examples=100, deadline=None)


@st.composite
def compartment_sets(draw, max_size: int = 8) -> list[Compartment]:
    n = draw(st.integers(min_value=1, max_value=max_size))
    return [Compartment(f"C{i}", draw(st.integers(min_value=1, max_value=120)),
                        draw(st.sampled_from(TEMPERATURE_CLASSES))) for i in range(n)]


goods_lines = st.builds(Goods, st.sampled_from(TEMPERATURE_CLASSES), st.integers(min_value=0, max_value=250),
                        st.integers(min_value=1, max_value=6))
orders = st.lists(goods_lines, min_size=1, max_size=4)


def occupied_of(compartments: list[Compartment]):
    return st.sets(st.sampled_from([c.compartment_id for c in compartments] + ["elsewhere"]))


@st.composite
def any_cases(draw):
    """A point's compartments, those taken that day, and an order's goods: anything goes."""
    compartments = draw(compartment_sets())
    return compartments, draw(occupied_of(compartments)), draw(orders)


@st.composite
def likely_fitting_cases(draw):
    """As `any_cases`, but the goods are of the point's classes and mostly small, so most get a place."""
    compartments = draw(compartment_sets())
    classes = sorted({c.temperature_class for c in compartments})
    goods = draw(st.lists(st.builds(Goods, st.sampled_from(classes), st.integers(min_value=0, max_value=90),
                                    st.integers(min_value=1, max_value=6)), min_size=1, max_size=3))
    occupied = draw(st.sets(st.sampled_from([c.compartment_id for c in compartments]), max_size=len(compartments) // 2))
    return compartments, occupied, goods


def pieces_of_class(goods, temperature: str) -> list[int]:
    return [v for g in goods if g.temperature_class == temperature for v in pieces(g)]


def fits(items: list[int], capacities: list[int]) -> bool:
    """Whether the items can be packed into bins of these capacities (brute force, small cases)."""
    items = sorted(items, reverse=True)

    @lru_cache(maxsize=None)
    def place(i: int, left: tuple[int, ...]) -> bool:
        if i == len(items):
            return True
        for j, room in enumerate(left):
            if room >= items[i] and room not in left[:j]:  # equal rooms are one choice
                if place(i + 1, tuple(sorted(left[:j] + (room - items[i],) + left[j + 1:]))):
                    return True
        return False

    return place(0, tuple(sorted(capacities)))


@FAST
@given(goods_lines | st.builds(Goods, st.sampled_from(TEMPERATURE_CLASSES), st.integers(0, 10 ** 6),
                                 st.integers(1, 500)))
def test_a_line_is_split_by_its_units_and_keeps_its_volume(line):
    split = pieces(line)
    assert sum(split) == max(line.volume_ml, 1), "no volume is lost or made up"
    assert 1 <= len(split) <= min(line.quantity, MAX_ITEMS_PER_LINE)
    assert min(split) >= 1 and max(split) - min(split) <= 1, "units of a line are alike"


@FAST
@given(likely_fitting_cases() | any_cases())
def test_what_is_reserved_is_free_of_the_goods_class_and_holds_the_goods(case):
    compartments, occupied, goods = case
    decision = allocate(compartments, occupied, goods)
    assume(isinstance(decision, Reserved))
    by_id = {c.compartment_id: c for c in compartments}
    chosen = decision.compartment_ids
    assert len(set(chosen)) == len(chosen), "one compartment is given once"
    assert all(c in by_id and c not in occupied for c in chosen), "only free compartments of the point"
    for temperature in TEMPERATURE_CLASSES:
        items = pieces_of_class(goods, temperature)
        mine = [by_id[c].volume_ml for c in chosen if by_id[c].temperature_class == temperature]
        assert bool(items) == bool(mine), f"{temperature}: compartments exactly for the classes ordered"
        assert fits(items, mine), f"{temperature}: {items} do not fit into {mine}"


@FAST
@given(any_cases())
def test_a_rejection_names_a_reason_that_holds(case):
    compartments, occupied, goods = case
    decision = allocate(compartments, occupied, goods)
    assume(isinstance(decision, Rejected))
    temperature = decision.temperature_class
    items = pieces_of_class(goods, temperature)
    assert items, "a rejection names a class that was ordered"
    of_class = [c for c in compartments if c.temperature_class == temperature]
    if decision.reason == "NO_TEMPERATURE_CLASS":
        assert not of_class
    elif decision.reason == "TOO_LARGE":
        assert max(items) > max(c.volume_ml for c in of_class), "too large even for the largest compartment"
    else:
        assert decision.reason == "FULL"
        assert max(items) <= max(c.volume_ml for c in of_class)
        free = [c.volume_ml for c in of_class if c.compartment_id not in occupied]
        # Had one free compartment held it all, that one would have been taken.
        assert all(room < sum(items) for room in free)


@FAST
@given(any_cases(), st.lists(st.integers(min_value=0, max_value=40), min_size=3, max_size=3))
def test_the_smallest_free_compartment_that_takes_everything_is_taken(case, spare):
    compartments, occupied, goods = case
    # Make sure each class ordered has a free compartment that takes all of it.
    classes = sorted({g.temperature_class for g in goods})
    compartments = compartments + [Compartment(f"T{i}", sum(pieces_of_class(goods, t)) + spare[i], t)
                                   for i, t in enumerate(classes)]
    smallest = {t: min(c.volume_ml for c in compartments if c.temperature_class == t
                       and c.compartment_id not in occupied and c.volume_ml >= sum(pieces_of_class(goods, t)))
                for t in classes}
    decision = allocate(compartments, occupied, goods)
    assert isinstance(decision, Reserved)
    by_id = {c.compartment_id: c for c in compartments}
    assert sorted((by_id[c].temperature_class, by_id[c].volume_ml) for c in decision.compartment_ids) == sorted(
        smallest.items()), "one compartment per class, the smallest that takes it all"


@FAST
@given(likely_fitting_cases() | any_cases(), st.randoms())
def test_the_decision_does_not_depend_on_the_order_of_compartments_or_lines(case, rnd):
    compartments, occupied, goods = case
    shuffled_compartments, shuffled_goods = list(compartments), list(goods)
    rnd.shuffle(shuffled_compartments)
    rnd.shuffle(shuffled_goods)
    assert allocate(shuffled_compartments, occupied, shuffled_goods) == allocate(compartments, occupied, goods)


@FAST
@given(likely_fitting_cases() | any_cases())
def test_order_lines_are_allocated_as_the_goods_they_describe(case):
    compartments, occupied, goods = case
    lines = [OrderLine(product_id=f"p-{i}", shop_id="shop-hof", product_name="Ware", unit="Stück",
                       quantity=g.quantity, unit_price=Money(amount_cents=100), vat_rate_bp=700,
                       temperature_class=TemperatureClass(g.temperature_class), weight_g=1, volume_ml=g.volume_ml)
             for i, g in enumerate(goods)]
    assert allocate(compartments, occupied, lines) == allocate(compartments, occupied, goods)


@FAST
@given(likely_fitting_cases(), orders)
def test_held_compartments_go_to_nobody_else_and_a_release_frees_exactly_them(case, other_goods):
    compartments, occupied, goods = case
    occupancy = {c: "o-earlier" for c in occupied}
    first = allocate(compartments, occupancy.keys(), goods)
    assume(isinstance(first, Reserved))
    with_order = {**occupancy, **{c: "o-1" for c in first.compartment_ids}}
    # While held, nobody else gets them.
    other = allocate(compartments, with_order.keys(), other_goods)
    if isinstance(other, Reserved):
        assert not set(other.compartment_ids) & set(with_order)
    held = held_by(with_order, "o-1")
    assert held == sorted(first.compartment_ids)
    released = {c: o for c, o in with_order.items() if c not in held}
    assert released == occupancy, "a release frees exactly what the order held"


@st.composite
def points(draw) -> PickupPoint:
    compartments = draw(compartment_sets())
    hours = draw(st.none() | st.builds(
        OpeningHours,
        st.lists(st.sampled_from(WEEKDAYS), max_size=7, unique=True).map(
            lambda days: tuple(OpeningInterval(d, time(8), time(18)) for d in days)),
        st.lists(st.dates(date(2026, 1, 1), date(2026, 12, 31)), max_size=3).map(tuple)))
    return PickupPoint("pp-1", "Brakel", "COUNTER" if hours else "LOCKER", 51.7, 9.2, "Brakel",
                       tuple(compartments), opening_hours=hours, in_service=draw(st.booleans()))


@FAST
@given(points(), st.dates(date(2026, 1, 1), date(2026, 12, 31)), orders)
def test_a_point_decides_only_when_it_is_known_in_service_and_open_that_day(point, day, goods):
    decision = decide_compartments(point, set(), goods, day)
    assert decide_compartments(None, set(), goods, day) == Rejected("UNKNOWN_PICKUP_POINT")
    hours = point.opening_hours
    open_that_day = hours is None or (day not in hours.closed_on
                                      and any(i.weekday == WEEKDAYS[day.weekday()] for i in hours.intervals))
    if not point.in_service:
        assert decision == Rejected("OUT_OF_SERVICE")
    elif not open_that_day:
        assert decision == Rejected("CLOSED_ON_DAY")
    else:
        assert decision == allocate(point.compartments, set(), goods)
    if hours is None:
        # A locker is open every day.
        assert all(decide_compartments(point, set(), goods, day + timedelta(days=n)) == decision for n in range(7))


class OneDayAtAPoint(RuleBasedStateMachine):
    """Orders reserve and release the compartments of one point on one day, as the
    handler does: the day's occupancy maps a compartment to the order holding it."""

    placed = Bundle("placed")

    @initialize(compartments=compartment_sets(max_size=6))
    def point(self, compartments):
        self.compartments = compartments
        self.occupancy: dict[str, str] = {}
        self.holds: dict[str, set[str]] = {}
        self.next_order = 0

    @rule(target=placed, goods=st.lists(st.builds(Goods, st.sampled_from(TEMPERATURE_CLASSES),
                                                  st.integers(min_value=0, max_value=60),
                                                  st.integers(min_value=1, max_value=4)), min_size=1, max_size=3))
    def place(self, goods):
        order_id = f"o-{self.next_order}"
        self.next_order += 1
        decision = allocate(self.compartments, self.occupancy.keys(), goods)
        if isinstance(decision, Rejected):
            return order_id
        taken = set(decision.compartment_ids)
        assert not taken & self.occupancy.keys(), "a compartment given to two orders"
        self.occupancy.update({c: order_id for c in taken})
        self.holds[order_id] = taken
        return order_id

    @rule(order_id=consumes(placed))
    def release(self, order_id):
        held = held_by(self.occupancy, order_id)
        assert set(held) == self.holds.pop(order_id, set())
        for c in held:
            del self.occupancy[c]
        assert order_id not in self.occupancy.values()

    @invariant()
    def every_compartment_is_held_by_at_most_one_order(self):
        holds = list(self.holds.values())
        assert sum(len(h) for h in holds) == len(set().union(*holds)) == len(self.occupancy)

    @invariant()
    def the_free_summary_counts_what_nobody_holds(self):
        summary = free_by_class(self.compartments, self.occupancy.keys())
        assert sum(s["free"] for s in summary.values()) == len(self.compartments) - len(self.occupancy)
        assert sum(s["total"] for s in summary.values()) == len(self.compartments)


TestOneDayAtAPoint = OneDayAtAPoint.TestCase
TestOneDayAtAPoint.settings = settings(max_examples=50, stateful_step_count=20, deadline=None)
