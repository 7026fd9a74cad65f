"""The order saga as a state machine (services/orders/domain/saga.py): joins one
stock answer per product and the compartment answer into one decision."""

from __future__ import annotations

from datetime import date

from nahnetz.events import new_event
from nahnetz.records import (CompartmentRejected, CompartmentRejectionReason, CompartmentReserved, OrderPart,
                             OrderRejectionReason, RejectedOrderLine, RejectedStockLine, StockLine, StockRejected,
                             StockRejectionReason, StockReserved)
from services.orders.domain.lifecycle import Rejection
from services.orders.domain.saga import (CompartmentAnswer, Confirm, Phase, Placement, SagaState, StockAnswer,
                                         close, compartment_answer, record_compartment, record_stock, start,
                                         stock_answers, time_out)

DAY = date(2026, 5, 13)
PLACEMENT = Placement(frozenset({"p-cheese", "p-bread", "p-eggs"}), "pp-brakel", DAY, "corr-1", "ev-placed")
DEADLINE = 1000.0


def reserved(product_id: str) -> StockAnswer:
    return StockAnswer(product_id, True)


def rejected(product_id: str, reason: str = "INSUFFICIENT_STOCK", available: int | None = 1) -> StockAnswer:
    return StockAnswer(product_id, False, RejectedOrderLine(product_id=product_id, shop_id="shop-hof",
                                                            reason=StockRejectionReason(reason), available=available))


FULL = CompartmentRejectionReason.FULL


COMPARTMENT = CompartmentAnswer(True, ("CM01", "AS02"))


def started() -> SagaState:
    state, decision = start(SagaState("o-1"), PLACEMENT, DEADLINE)
    assert decision is None and state.awaiting
    return state


def test_all_reserved_confirms_with_the_compartments():
    state = started()
    for product in ("p-cheese", "p-bread"):
        state, decision = record_stock(state, [reserved(product)])
        assert decision is None
    state, decision = record_compartment(state, COMPARTMENT)
    assert decision is None, "one product has not answered yet"
    state, decision = record_stock(state, [reserved("p-eggs")])
    assert decision == Confirm("pp-brakel", DAY, ("CM01", "AS02"))
    assert state.phase is Phase.CONFIRMED


def test_the_confirmation_tells_which_compartments_take_each_shop_s_part():
    answer = compartment_answer(new_event(
        CompartmentReserved, producer="pickup-worker", order_id="o-1", pickup_point_id="pp-brakel",
        delivery_day=DAY, compartment_ids=["CM01", "AS02"],
        parts=[OrderPart(shop_id="shop-hof", compartment_ids=["CM01"]),
               OrderPart(shop_id="shop-b", compartment_ids=["AS02"])]))
    state, _ = record_stock(started(), [reserved(p) for p in PLACEMENT.products])
    state, decision = record_compartment(state, answer)
    assert decision.parts == (OrderPart(shop_id="shop-hof", compartment_ids=["CM01"]),
                              OrderPart(shop_id="shop-b", compartment_ids=["AS02"]))
    assert SagaState.from_dict(state.to_dict()) == state


def test_one_line_rejected_rejects_at_once_with_that_lines_reason():
    state = started()
    state, _ = record_stock(state, [reserved("p-cheese")])
    state, decision = record_stock(state, [rejected("p-bread", available=2)])
    assert decision == Rejection(
        OrderRejectionReason.OUT_OF_STOCK,
        (RejectedOrderLine(product_id="p-bread", shop_id="shop-hof", reason=StockRejectionReason.INSUFFICIENT_STOCK,
                           available=2),),
        "stock rejected for p-bread (INSUFFICIENT_STOCK, 2 available)")
    assert state.phase is Phase.REJECTED


def test_stock_reasons_map_to_the_orders_reason():
    for stock_reason, order_reason in [("OUT_OF_STOCK", "OUT_OF_STOCK"), ("DELISTED", "UNKNOWN_PRODUCT"),
                                       ("SHOP_CLOSED", "DELIVERY_DAY_UNAVAILABLE"),
                                       ("INVALID_QUANTITY", "INVALID_ORDER"), ("OTHER", "OTHER")]:
        _, decision = record_stock(started(), [rejected("p-eggs", stock_reason, None)])
        assert decision.reason == order_reason


def test_the_compartment_rejected():
    state, decision = record_compartment(started(), CompartmentAnswer(False, (), FULL))
    assert decision == Rejection(OrderRejectionReason.NO_COMPARTMENT, (), "compartment rejected: FULL")
    _, decision = record_compartment(started(), CompartmentAnswer(False, (), CompartmentRejectionReason.CLOSED_ON_DAY))
    assert decision.reason == "DELIVERY_DAY_UNAVAILABLE"
    _, decision = record_compartment(started(), CompartmentAnswer(
        False, (), CompartmentRejectionReason.UNKNOWN_PICKUP_POINT))
    assert decision.reason == "UNKNOWN_PICKUP_POINT"


def test_late_answers_after_a_decision_are_ignored():
    state, decision = record_stock(started(), [rejected("p-bread")])
    assert decision is not None
    for late in (lambda s: record_stock(s, [reserved("p-cheese")]),
                 lambda s: record_compartment(s, COMPARTMENT),
                 lambda s: time_out(s, DEADLINE + 1)):
        after, decision = late(state)
        assert decision is None and after == state


def test_a_confirmed_order_ignores_a_later_rejection():
    state = started()
    state, _ = record_compartment(state, COMPARTMENT)
    state, decision = record_stock(state, [reserved(p) for p in ("p-cheese", "p-bread", "p-eggs")])
    assert isinstance(decision, Confirm)
    after, decision = record_stock(state, [rejected("p-cheese")])
    assert decision is None and after.phase is Phase.CONFIRMED


def test_duplicate_decisions_count_once_and_the_first_answer_stands():
    state = started()
    state, _ = record_stock(state, [reserved("p-cheese")])
    again, decision = record_stock(state, [reserved("p-cheese")])
    assert decision is None and again == state
    # A contradicting second answer for the same product does not overturn the first.
    again, decision = record_stock(state, [rejected("p-cheese")])
    assert decision is None and again == state
    state, _ = record_compartment(state, COMPARTMENT)
    again, decision = record_compartment(state, CompartmentAnswer(False, (), FULL))
    assert decision is None and again == state


def test_timeout_rejects_once_the_deadline_passed_and_says_what_is_missing():
    state = started()
    state, _ = record_stock(state, [reserved("p-cheese")])
    assert time_out(state, DEADLINE - 0.5) == (state, None)
    after, decision = time_out(state, DEADLINE)
    assert decision == Rejection(OrderRejectionReason.TIMEOUT, (),
                                 "no stock answer for p-bread, p-eggs; no compartment answer")
    assert after.phase is Phase.REJECTED
    # Exactly once: an answer after the timeout changes nothing.
    assert record_stock(after, [reserved("p-bread")]) == (after, None)
    assert time_out(after, DEADLINE + 5) == (after, None)


def test_answers_before_the_order_are_kept_and_decide_when_it_arrives():
    state = SagaState("o-1")
    state, decision = record_compartment(state, COMPARTMENT)
    state, decision = record_stock(state, [reserved(p) for p in ("p-cheese", "p-bread", "p-eggs")])
    assert decision is None, "without the order we do not know every product has answered"
    state, decision = start(state, PLACEMENT, DEADLINE)
    assert decision == Confirm("pp-brakel", DAY, ("CM01", "AS02"))


def test_an_early_rejection_decides_without_the_order():
    state, decision = record_stock(SagaState("o-1"), [rejected("p-eggs", "OUT_OF_STOCK", 0)])
    assert decision.reason == "OUT_OF_STOCK"
    assert start(state, PLACEMENT, DEADLINE) == (state, None)


def test_an_answer_for_a_product_not_in_the_order_does_not_count():
    state, decision = record_stock(started(), [rejected("p-foreign")])
    assert decision is None and "p-foreign" not in state.stock


def test_an_order_started_twice_keeps_its_first_deadline():
    state = started()
    again, decision = start(state, PLACEMENT, DEADLINE + 60)
    assert again == state and decision is None


def test_cancelled_while_waiting_closes_the_saga():
    state = close(started(), Phase.CANCELLED)
    assert state.phase is Phase.CANCELLED
    assert record_compartment(state, COMPARTMENT) == (state, None)
    assert time_out(state, DEADLINE + 1) == (state, None)
    # Closing a decided saga keeps its decision.
    decided, _ = record_stock(started(), [rejected("p-bread")])
    assert close(decided, Phase.CANCELLED).phase is Phase.REJECTED


def test_the_state_survives_storage():
    state = started()
    state, _ = record_stock(state, [reserved("p-cheese"), rejected("p-bread")])
    state, _ = record_compartment(state, CompartmentAnswer(False, (), FULL))
    stored = SagaState.from_dict(state.to_dict())
    assert stored == state
    assert stored.stock["p-bread"].rejected.reason is StockRejectionReason.INSUFFICIENT_STOCK
    no_room, _ = record_compartment(started(), CompartmentAnswer(False, (), FULL))
    assert SagaState.from_dict(no_room.to_dict()).compartment.reason is FULL
    early, _ = record_stock(SagaState("o-2"), [reserved("p-x")])
    assert SagaState.from_dict(early.to_dict()) == early


# -- the answers as the catalog and pickup send them --------------------------------------------
def test_stock_events_become_one_answer_per_product():
    reserved_event = new_event(StockReserved, producer="catalog-worker", order_id="o-1", lines=[
        StockLine(product_id="p-cheese", shop_id="shop-hof", quantity=2),
        StockLine(product_id="p-eggs", shop_id="shop-hof", quantity=1)])
    assert stock_answers(reserved_event) == [reserved("p-cheese"), reserved("p-eggs")]
    rejected_event = new_event(StockRejected, producer="catalog-worker", order_id="o-1", lines=[
        RejectedStockLine(product_id="p-bread", shop_id="shop-hof", quantity=3,
                          reason=StockRejectionReason.INSUFFICIENT_STOCK, available=2)])
    assert stock_answers(rejected_event) == [rejected("p-bread", available=2)]


def test_compartment_events_become_the_compartment_answer():
    reserved_event = new_event(CompartmentReserved, producer="pickup-worker", order_id="o-1",
                               pickup_point_id="pp-brakel", delivery_day=DAY, compartment_ids=["CM01", "AS02"])
    assert compartment_answer(reserved_event) == COMPARTMENT
    rejected_event = new_event(CompartmentRejected, producer="pickup-worker", order_id="o-1",
                               pickup_point_id="pp-brakel", delivery_day=DAY, reason=FULL)
    assert compartment_answer(rejected_event) == CompartmentAnswer(False, (), FULL)
