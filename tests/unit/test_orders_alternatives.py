"""A rejected order taken again in one step: the rules of the replacement."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from nahnetz.events import new_event
from nahnetz.kit.errors import Conflict
from nahnetz.records import (OrderConfirmed, OrderRejected, OrderRejectionReason, PickupAlternative, RejectedOrderLine,
                             StockRejectionReason)
from services.orders.domain.alternatives import (Choice, available_lines, bookable, can_take_available, replacement,
                                                 still_open)
from services.orders.domain.booking import BookingRules
from services.orders.domain.lifecycle import OrderView, advance, placed_order
from services.orders.domain.notices import Suggestion, notice_for
from services.orders.domain.placement import LineRequest, OrderInvalid
from test_orders_lifecycle import DAY, placed, rejected_for_cheese

NOW = datetime(2026, 5, 11, 9, 0, tzinfo=timezone.utc)   # two days before DAY, before the cut-off


def rejected(event: OrderRejected) -> OrderView:
    moved = advance(placed_order(placed()), event)
    assert moved.changed
    return moved.view


def full_point(*alternatives: PickupAlternative) -> OrderRejected:
    return new_event(OrderRejected, producer="test", order_id="o-1", reason=OrderRejectionReason.NO_COMPARTMENT,
                     alternatives=list(alternatives))


ELSEWHERE = PickupAlternative(pickup_point_id="pp-bahnhof", delivery_day=DAY, distance_m=1800)
LATER = PickupAlternative(pickup_point_id="pp-brakel", delivery_day=DAY + timedelta(days=1))


def test_the_same_goods_go_to_the_chosen_point_and_day():
    order = rejected(full_point(ELSEWHERE, LATER))
    request = replacement(order, Choice(pickup_point_id="pp-bahnhof"), None, "WEB")
    assert (request.pickup_point_id, request.delivery_day) == ("pp-bahnhof", DAY)
    assert request.lines == (LineRequest("p-cheese", 2), LineRequest("p-bread", 1))
    assert (request.resident_id, request.payment_method) == ("r-1", "AT_PICKUP")
    later = replacement(order, Choice(delivery_day=LATER.delivery_day), "assistant-1", "PHONE")
    assert (later.pickup_point_id, later.delivery_day, later.entered_by) == ("pp-brakel", LATER.delivery_day,
                                                                            "assistant-1")


def test_taking_what_is_available_cuts_the_short_lines():
    order = rejected(rejected_for_cheese())   # 2 cheese wanted, 1 left
    assert can_take_available(order)
    assert available_lines(order) == (LineRequest("p-cheese", 1), LineRequest("p-bread", 1))
    nothing_left = rejected(new_event(OrderRejected, producer="test", order_id="o-1",
                                      reason=OrderRejectionReason.OUT_OF_STOCK, lines=[RejectedOrderLine(
                                          product_id="p-cheese", shop_id="shop-hof",
                                          reason=StockRejectionReason.OUT_OF_STOCK, available=0)]))
    assert available_lines(nothing_left) == (LineRequest("p-bread", 1),)
    assert not can_take_available(nothing_left)


def test_a_choice_that_changes_nothing_or_an_order_not_rejected_is_refused():
    order = rejected(full_point(ELSEWHERE))
    with pytest.raises(OrderInvalid):
        replacement(order, Choice(), None, "WEB")
    with pytest.raises(OrderInvalid):
        replacement(order, Choice(pickup_point_id="pp-brakel", delivery_day=DAY), None, "WEB")
    confirmed = advance(placed_order(placed()), new_event(
        OrderConfirmed, producer="test", order_id="o-1", pickup_point_id="pp-brakel", delivery_day=DAY,
        compartment_ids=["AM01"])).view
    with pytest.raises(Conflict):
        replacement(confirmed, Choice(pickup_point_id="pp-bahnhof"), None, "WEB")


def test_only_suggestions_that_can_still_be_booked_are_shown():
    order = rejected(full_point(ELSEWHERE, LATER, replace(LATER, delivery_day=DAY + timedelta(days=30))))
    rules = BookingRules()
    shown = still_open(order, lambda day: bookable(day, NOW, rules, []))
    assert shown == [ELSEWHERE, LATER]
    after_the_day = datetime(2026, 5, 13, 20, 0, tzinfo=timezone.utc)
    assert still_open(order, lambda day: bookable(day, after_the_day, rules, [])) == []


def test_the_rejection_keeps_its_suggestions_through_storage_and_the_notice_names_the_first():
    order = rejected(full_point(ELSEWHERE, LATER))
    assert OrderView.from_dict(order.to_dict()).rejection.alternatives == (ELSEWHERE, LATER)
    notice = notice_for(order, "Brakel Markt", Suggestion("Brakel Bahnhof", DAY))
    assert notice.params["alternative"] == "Brakel Bahnhof am 13.05.2026"
    assert notice.params["alternative_en"] == "Brakel Bahnhof on 13 May 2026"
    assert "alternative" not in notice_for(order, "Brakel Markt").params


def test_unknown_shops_do_not_block_and_a_past_day_is_never_bookable():
    assert bookable(DAY, NOW, BookingRules(), [])
    assert not bookable(date(2026, 5, 10), NOW, BookingRules(), [])
