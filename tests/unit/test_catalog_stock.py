"""Stock decisions of one product: reserve all or nothing per order, reject with
the reason and the units available, release once, adjust with open reservations."""

from __future__ import annotations

import pytest

from nahnetz.records import Money, OrderLine, RejectedStockLine, StockLine
from services.catalog.domain.stock import (DELISTED, Rejected, Released, Reserved, Sold, StockState, adjust, decide,
                                           lines_of, release, sell)

P, SHOP = "p-cheese", "shop-hof"


def state(available: int = 10, **kw) -> StockState:
    return StockState(product_id=P, shop_id=SHOP, available=available, **kw)


def line(quantity: int, shop_id: str = SHOP) -> StockLine:
    return StockLine(product_id=P, shop_id=shop_id, quantity=quantity)


def rejected(product_id: str, shop_id: str, quantity: int, reason: str,
                 available: int | None = None) -> RejectedStockLine:
    return RejectedStockLine(product_id=product_id, shop_id=shop_id, quantity=quantity, reason=reason,
                             available=available)


def order_line(product_id: str, quantity: int, shop_id: str = SHOP) -> OrderLine:
    return OrderLine(product_id=product_id, shop_id=shop_id, product_name="Käse", unit="200 g", quantity=quantity,
                     unit_price=Money(amount_cents=449), vat_rate_bp=700, weight_g=200, volume_ml=250)


def test_the_decider_sees_the_lines_of_its_product_only_in_order():
    lines = [order_line(P, 2), order_line("p-butter", 1), order_line(P, 1, shop_id="shop-other")]
    assert lines_of(lines, P) == (line(2), line(1, shop_id="shop-other"))
    assert lines_of(lines, "p-unknown") == ()


def test_a_reservation_takes_the_units_and_holds_them_for_the_order():
    decision = decide(state(10), "o-1", [line(3)])
    assert isinstance(decision, Reserved)
    assert decision.lines == (line(3),) and decision.quantity == 3
    assert decision.state.available == 7
    assert decision.state.reservations == {"o-1": 3}
    assert decision.state.reserved == 3


def test_lines_of_one_product_in_one_order_are_decided_together():
    decision = decide(state(5), "o-1", [line(2), line(3)])
    assert isinstance(decision, Reserved) and decision.state.reservations == {"o-1": 5}
    too_many = decide(state(4), "o-1", [line(2), line(3)])
    assert too_many == Rejected("o-1", (rejected(P, SHOP, 2, "INSUFFICIENT_STOCK", 4),
                                        rejected(P, SHOP, 3, "INSUFFICIENT_STOCK", 4)))


def test_the_last_units_go_and_then_the_product_is_out_of_stock():
    last = decide(state(2), "o-1", [line(2)])
    assert isinstance(last, Reserved) and last.state.available == 0
    assert decide(last.state, "o-2", [line(1)]) == Rejected("o-2", (rejected(P, SHOP, 1, "OUT_OF_STOCK", 0),))


def test_more_than_available_is_rejected_naming_the_units_there_are():
    assert decide(state(3), "o-1", [line(4)]) == Rejected(
        "o-1", (rejected(P, SHOP, 4, "INSUFFICIENT_STOCK", 3),))


def test_an_unknown_product_is_rejected():
    assert decide(None, "o-1", [line(1)]) == Rejected("o-1", (rejected(P, SHOP, 1, "UNKNOWN_PRODUCT"),))


@pytest.mark.parametrize("delisting_reason, reason", [("DISCONTINUED", "DELISTED"), (None, "DELISTED"),
                                                      ("SHOP_CLOSED", "SHOP_CLOSED")])
def test_a_delisted_product_is_rejected_with_why(delisting_reason, reason):
    delisted = state(10, status=DELISTED, delisting_reason=delisting_reason)
    assert decide(delisted, "o-1", [line(1)]) == Rejected("o-1", (rejected(P, SHOP, 1, reason),))


def test_a_wrong_shop_or_quantity_rejects_the_products_lines_and_says_which():
    decision = decide(state(10), "o-1", [line(0), line(2), line(1, shop_id="shop-other")])
    assert decision == Rejected("o-1", (rejected(P, SHOP, 0, "INVALID_QUANTITY"),
                                        rejected(P, SHOP, 2, "OTHER"),
                                        rejected(P, "shop-other", 1, "WRONG_SHOP")))


def test_deciding_an_order_again_changes_nothing():
    first = decide(state(10), "o-1", [line(3)])
    again = decide(first.state, "o-1", [line(3)])
    assert isinstance(again, Reserved)
    assert again.state is first.state  # the very same state: nothing to write
    assert again.state.available == 7


def test_an_order_without_lines_is_a_programming_error():
    with pytest.raises(ValueError):
        decide(state(1), "o-1", [])


def test_release_gives_back_what_the_order_holds():
    held = decide(state(10), "o-1", [line(3)]).state
    held = decide(held, "o-2", [line(2)]).state
    released = release(held, "o-1")
    assert released == Released("o-1", 3, state(8, reservations={"o-2": 2}))


@pytest.mark.parametrize("stock", [None, state(10), state(0)])
def test_releasing_what_was_never_held_is_a_no_op(stock):
    assert release(stock, "o-rejected") is None


def test_releasing_twice_gives_back_once():
    held = decide(state(10), "o-1", [line(3)]).state
    first = release(held, "o-1")
    assert first is not None and first.state.available == 10
    assert release(first.state, "o-1") is None


def test_a_collected_order_s_units_are_sold_not_given_back():
    held = decide(state(10), "o-1", [line(3)]).state
    held = decide(held, "o-2", [line(2)]).state
    sold = sell(held, "o-1")
    assert sold == Sold("o-1", 3, state(5, reservations={"o-2": 2}))
    # Sold once: a second sale, or a release after it, finds nothing held.
    assert sell(sold.state, "o-1") is None and release(sold.state, "o-1") is None


@pytest.mark.parametrize("stock", [None, state(10)])
def test_selling_what_was_never_held_is_a_no_op(stock):
    assert sell(stock, "o-released") is None


def test_a_counted_level_replaces_the_available_units_and_reservations_stay_held():
    held = decide(state(10), "o-1", [line(4)]).state          # 6 available, 4 held
    counted = adjust(held, level=12)
    assert (counted.before, counted.after, counted.delta, counted.clamped) == (6, 12, 6, False)
    # The held units are not counted again, and still go back when their order ends.
    after = StockState(P, SHOP, counted.after, held.reservations)
    assert release(after, "o-1").state.available == 16


def test_a_change_by_units_moves_the_available_units_and_stops_at_zero():
    held = decide(state(10), "o-1", [line(4)]).state          # 6 available
    assert adjust(held, delta=5).after == 11
    sold = adjust(held, delta=-8)
    assert (sold.after, sold.delta, sold.clamped) == (0, -6, True)


def test_an_adjustment_needs_a_level_or_a_delta_and_a_sane_level():
    with pytest.raises(ValueError):
        adjust(state(1))
    with pytest.raises(ValueError):
        adjust(state(1), delta=1, level=1)
    with pytest.raises(ValueError):
        adjust(state(1), level=-1)


def test_orderable_means_listed_and_in_stock():
    assert state(1).orderable
    assert not state(0).orderable
    assert not state(5, status=DELISTED).orderable
