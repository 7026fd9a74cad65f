"""Properties of the stock decisions of one product (services/catalog/domain/stock.py):
stock never goes negative, a reservation never takes more than is available,
lines of one product are decided all or nothing, a release gives back exactly
what was held, and a shop's adjustment stays within 0..MAX_LEVEL."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from nahnetz.records import DelistingReason, StockLine, StockRejectionReason
from services.catalog.domain.stock import (DELISTED, MAX_LEVEL, Rejected, Released, Reserved, StockState,
                                           adjust, decide, release)

P, SHOP = "p-cheese", "shop-hof"
# Bounded, so the property suite stays fast on a small CI runner.
FAST = settings(max_examples=100, deadline=None)

order_ids = st.sampled_from([f"o-{i}" for i in range(6)])
quantities = st.integers(min_value=1, max_value=300)


def line(quantity: int, shop_id: str = SHOP) -> StockLine:
    return StockLine(product_id=P, shop_id=shop_id, quantity=quantity)


@st.composite
def listed_states(draw, max_available: int = 1000) -> StockState:
    """A listed product with some units already held for other orders."""
    held = draw(st.dictionaries(st.sampled_from([f"held-{i}" for i in range(4)]),
                                st.integers(min_value=1, max_value=50), max_size=4))
    return StockState(P, SHOP, draw(st.integers(min_value=0, max_value=max_available)), held)


valid_lines = st.lists(quantities.map(line), min_size=1, max_size=4)
# Lines as an order may carry them: also no or negative units, or another shop's.
any_lines = st.lists(st.builds(line, st.integers(min_value=-3, max_value=300),
                               st.sampled_from([SHOP, SHOP, "shop-other"])), min_size=1, max_size=4)


@FAST
@given(listed_states(), order_ids, valid_lines)
def test_an_order_gets_its_units_exactly_when_they_are_available(state, order_id, lines):
    wanted = sum(l.quantity for l in lines)
    decision = decide(state, order_id, lines)
    if wanted <= state.available:
        assert isinstance(decision, Reserved), "an order that fits must not be refused"
        after = decision.state
        assert after.available == state.available - wanted >= 0
        assert after.reservations == {**state.reservations, order_id: wanted}
        assert decision.quantity == wanted
    else:
        assert isinstance(decision, Rejected), "a reservation can never exceed what is in stock"
        reason = StockRejectionReason.OUT_OF_STOCK if state.available == 0 else StockRejectionReason.INSUFFICIENT_STOCK
        assert {(r.reason, r.available) for r in decision.lines} == {(reason, state.available)}


@FAST
@given(listed_states(), order_ids, any_lines)
def test_the_lines_of_a_product_are_decided_all_or_nothing(state, order_id, lines):
    decision = decide(state, order_id, lines)
    if isinstance(decision, Reserved):
        # Nothing broken and all of it held for the order.
        assert all(l.quantity > 0 and l.shop_id == SHOP for l in lines)
        assert decision.state.reservations[order_id] == sum(l.quantity for l in lines)
        return
    # Every line is rejected, each as the order asked for it, in order.
    assert [(r.product_id, r.shop_id, r.quantity) for r in decision.lines] == [
        (l.product_id, l.shop_id, l.quantity) for l in lines]
    broken = [l.quantity <= 0 or l.shop_id != SHOP for l in lines]
    if any(broken):
        # The broken line says what is wrong with it; the others go down with it (OTHER).
        for l, r, bad in zip(lines, decision.lines, broken):
            if not bad:
                assert r.reason == StockRejectionReason.OTHER
            elif l.quantity <= 0:
                assert r.reason == StockRejectionReason.INVALID_QUANTITY
            else:
                assert r.reason == StockRejectionReason.WRONG_SHOP


@FAST
@given(listed_states(), order_ids, valid_lines)
def test_reserve_then_release_restores_the_stock(state, order_id, lines):
    assume(order_id not in state.reservations)
    decision = decide(state, order_id, lines)
    assume(isinstance(decision, Reserved))
    released = release(decision.state, order_id)
    assert released == Released(order_id, sum(l.quantity for l in lines), state)
    # A release is once: the second finds nothing held.
    assert release(released.state, order_id) is None


@FAST
@given(listed_states(), order_ids, valid_lines, valid_lines)
def test_a_replayed_order_is_not_reserved_twice(state, order_id, lines, replayed_lines):
    first = decide(state, order_id, lines)
    assume(isinstance(first, Reserved))
    again = decide(first.state, order_id, replayed_lines)
    assert isinstance(again, Reserved) and again.state == first.state


@FAST
@given(listed_states(), order_ids, valid_lines, st.sampled_from([None, *DelistingReason]))
def test_a_delisted_product_reserves_nothing(state, order_id, lines, why):
    assume(order_id not in state.reservations)
    delisted = StockState(P, SHOP, state.available, state.reservations, DELISTED, why)
    decision = decide(delisted, order_id, lines)
    expected = (StockRejectionReason.SHOP_CLOSED if why == DelistingReason.SHOP_CLOSED
                else StockRejectionReason.DELISTED)
    assert isinstance(decision, Rejected) and {r.reason for r in decision.lines} == {expected}


@FAST
@given(order_ids, any_lines)
def test_an_unknown_product_rejects_every_line(order_id, lines):
    decision = decide(None, order_id, lines)
    assert isinstance(decision, Rejected) and len(decision.lines) == len(lines)
    assert {r.reason for r in decision.lines} == {StockRejectionReason.UNKNOWN_PRODUCT}


@FAST
@given(listed_states(MAX_LEVEL), st.integers(min_value=-2 * MAX_LEVEL, max_value=2 * MAX_LEVEL))
def test_a_change_by_units_never_leaves_0_to_max_level(state, delta):
    outcome = adjust(state, delta=delta)
    assert outcome.before == state.available
    assert 0 <= outcome.after <= MAX_LEVEL
    if 0 <= state.available + delta <= MAX_LEVEL:
        assert (outcome.after, outcome.clamped) == (state.available + delta, False)
    else:
        # Held units belong to orders: a decrease stops at zero and says so.
        assert outcome.clamped and outcome.after in (0, MAX_LEVEL)


@FAST
@given(listed_states(), st.integers(min_value=-10, max_value=MAX_LEVEL + 10))
def test_a_count_replaces_the_available_units_or_is_refused(state, level):
    if 0 <= level <= MAX_LEVEL:
        outcome = adjust(state, level=level)
        assert (outcome.before, outcome.after, outcome.clamped) == (state.available, level, False)
    else:
        try:
            adjust(state, level=level)
        except ValueError:
            return
        raise AssertionError(f"level {level} was accepted")


class OneProduct(RuleBasedStateMachine):
    """Orders reserve and release, the shop counts and delivers: the units
    available plus the units held only move with the shop's adjustments, and
    every order holds all of its units or none."""

    @initialize(available=st.integers(min_value=0, max_value=40))
    def listed(self, available):
        self.state = StockState(P, SHOP, available)
        self.holds: dict[str, int] = {}   # the model: what each order was given
        self.units = available            # available + held, as the adjustments left it

    @rule(order_id=order_ids, lines=st.lists(st.integers(min_value=1, max_value=15).map(line), min_size=1,
                                                max_size=3))
    def reserve(self, order_id, lines):
        before = self.state
        decision = decide(before, order_id, lines)
        if order_id in self.holds:
            assert isinstance(decision, Reserved) and decision.state == before
            return
        if isinstance(decision, Reserved):
            self.holds[order_id] = sum(l.quantity for l in lines)
            self.state = decision.state
        else:
            assert sum(l.quantity for l in lines) > before.available

    @rule(order_id=order_ids)
    def release_order(self, order_id):
        released = release(self.state, order_id)
        held = self.holds.pop(order_id, None)
        if held is None:
            assert released is None
        else:
            assert released is not None and released.quantity == held
            self.state = released.state

    @rule(delta=st.integers(min_value=-30, max_value=30))
    def change(self, delta):
        outcome = adjust(self.state, delta=delta)
        self.units += outcome.after - self.state.available
        self.state = StockState(P, SHOP, outcome.after, self.state.reservations)

    @rule(level=st.integers(min_value=0, max_value=40))
    def count(self, level):
        outcome = adjust(self.state, level=level)
        self.units += outcome.after - self.state.available
        self.state = StockState(P, SHOP, outcome.after, self.state.reservations)

    @invariant()
    def never_negative(self):
        assert self.state.available >= 0
        assert all(q > 0 for q in self.state.reservations.values())

    @invariant()
    def the_holds_are_the_orders(self):
        assert dict(self.state.reservations) == self.holds

    @invariant()
    def units_are_conserved(self):
        assert self.state.available + self.state.reserved == self.units


TestOneProduct = OneProduct.TestCase
TestOneProduct.settings = settings(max_examples=50, stateful_step_count=25, deadline=None)
