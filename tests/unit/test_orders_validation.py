"""Validating and pricing an order (services/orders/domain/placement.py, booking.py):
every rule with its message and field, the cut-off and the horizon with an
injected clock."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from nahnetz.clock import BERLIN
from nahnetz.records import Channel, Money
from services.orders.domain.booking import BookingRules, booking_window, delivery_day_problem
from services.orders.domain.channels import Ordering, cancel_channel, who_orders
from services.orders.domain.listings import PickupPointListing, ProductListing
from services.orders.domain.placement import (LineRequest, OrderInvalid, OrderRequest, Problem, line_total_cents,
                                              validate_order)

RULES = BookingRules()
# A Tuesday in May (CEST, UTC+2).
MORNING = datetime(2026, 5, 12, 9, 30, tzinfo=BERLIN)
TODAY = date(2026, 5, 12)
TOMORROW = TODAY + timedelta(days=1)

CHEESE = ProductListing("p-cheese", "shop-hof", "Ziegenkäse", "Stück", 450, "EUR", 700, "CHILLED", 200, 300)
BREAD = ProductListing("p-bread", "shop-baecker", "Bauernbrot", "Stück", 380, "EUR", 700, "AMBIENT", 1000, 2500)
GONE = ProductListing("p-gone", "shop-hof", "Bärlauch", "Bund", 150, "EUR", 700, "AMBIENT", 100, 200,
                      delisted=True)
PRODUCTS = {p.product_id: p for p in (CHEESE, BREAD, GONE)}
POINT = PickupPointListing("pp-brakel", "Pick-up-Point HX Brakel Marktplatz", "LOCKER", "Brakel", "Brakel")


def request(**changes) -> OrderRequest:
    base = dict(resident_id="r-1", lines=(LineRequest("p-cheese", 2), LineRequest("p-bread", 1)),
                pickup_point_id="pp-brakel", delivery_day=TOMORROW, payment_method="ONLINE", channel="WEB")
    return OrderRequest(**{**base, **changes})


def problems_of(req: OrderRequest, now: datetime = MORNING, point=POINT, rules=RULES) -> list[Problem]:
    with pytest.raises(OrderInvalid) as caught:
        validate_order(req, {pid: PRODUCTS.get(pid) for pid in {l.product_id for l in req.lines}},
                       point, rules, now)
    return list(caught.value.problems)


def test_a_valid_basket_across_two_shops_is_priced_from_the_listings():
    priced = validate_order(request(), PRODUCTS, POINT, RULES, MORNING)
    assert [(l.product_id, l.shop_id, l.quantity, line_total_cents(l)) for l in priced.lines] == [
        ("p-cheese", "shop-hof", 2, 900), ("p-bread", "shop-baecker", 1, 380)]
    assert priced.goods_cents == 1280
    assert priced.delivery_fee_cents == 250
    assert priced.total_cents == 1530
    assert priced.shop_ids == ("shop-baecker", "shop-hof")
    cheese = priced.lines[0]
    assert (cheese.weight_g, cheese.volume_ml, cheese.temperature_class) == (400, 600, "CHILLED")
    assert cheese.unit_price == Money(amount_cents=450, currency="EUR")


def test_the_delivery_fee_comes_from_the_rules():
    priced = validate_order(request(), PRODUCTS, POINT, BookingRules(delivery_fee_cents=0), MORNING)
    assert priced.total_cents == priced.goods_cents == 1280


@pytest.mark.parametrize("lines, field, message", [
    ((LineRequest("p-nope", 1),), "lines[0].product_id", "there is no product 'p-nope'"),
    ((LineRequest("p-cheese", 1), LineRequest("p-gone", 1)), "lines[1].product_id",
     "'Bärlauch' is no longer offered by its shop"),
    ((LineRequest("p-cheese", 0),), "lines[0].quantity", "the quantity must be at least 1"),
    ((LineRequest("p-cheese", -3),), "lines[0].quantity", "the quantity must be at least 1"),
    ((LineRequest("p-cheese", 1000),), "lines[0].quantity", "the quantity can be at most 999"),
    ((LineRequest("p-cheese", 1), LineRequest("p-cheese", 2)), "lines[1].product_id",
     "the product is already in line 0; order it in one line with the total quantity"),
    ((), "lines", "the order needs at least one line"),
])
def test_each_line_rule_names_its_field(lines, field, message):
    assert Problem(field, message) in problems_of(request(lines=lines))


def test_too_many_lines():
    lines = tuple(LineRequest("p-cheese", 1) for _ in range(51))
    assert problems_of(request(lines=lines)) == [Problem("lines", "an order may have at most 50 lines")]


def test_an_unknown_pick_up_point():
    assert problems_of(request(pickup_point_id="pp-nowhere"), point=None) == [
        Problem("pickup_point_id", "there is no pick-up point 'pp-nowhere'")]


def test_a_pick_up_point_out_of_service():
    closed = PickupPointListing("pp-brakel", "Brakel Markt", "LOCKER", "Brakel", "Brakel", in_service=False)
    assert problems_of(request(), point=closed) == [
        Problem("pickup_point_id", "the pick-up point 'Brakel Markt' takes no orders at the moment")]


def test_payment_channel_and_note():
    found = problems_of(request(payment_method="CASH", channel="PIGEON", note="x" * 501))
    assert [p.field for p in found] == ["payment_method", "channel", "note"]
    assert found[0].message == "payment must be one of ONLINE, SIMULATED, AT_PICKUP"


def test_every_problem_is_reported_at_once_and_as_a_422_body():
    req = request(lines=(LineRequest("p-nope", 0),), delivery_day=TODAY)
    with pytest.raises(OrderInvalid) as caught:
        validate_order(req, {"p-nope": None}, None, RULES, MORNING)
    error = caught.value
    assert error.status_code == 422
    body = error.as_body()
    assert body["error"] == "validation_failed"
    assert [d["field"] for d in body["detail"]] == [
        "lines[0].product_id", "lines[0].quantity", "pickup_point_id", "delivery_day"]
    assert all(d["in"] == "body" for d in body["detail"])
    assert body["message"].startswith("the order is invalid: lines[0].product_id: there is no product")


# -- delivery days: cut-off and horizon -----------------------------------------------------
@pytest.mark.parametrize("clock, bookable", [
    (time(17, 59), True), (time(18, 1), False), (time(18, 0), False), (time(0, 5), True)])
def test_tomorrow_only_before_the_cut_off_in_berlin(clock, bookable):
    now = datetime.combine(TODAY, clock, tzinfo=BERLIN)
    problem = delivery_day_problem(TOMORROW, now, RULES)
    assert (problem is None) is bookable
    if not bookable:
        assert problem == ("orders for 2026-05-13 closed at 18:00 (Europe/Berlin); "
                           "the earliest delivery day now is 2026-05-14")
        assert Problem("delivery_day", problem) in problems_of(request(), now=now)
    else:
        assert validate_order(request(), PRODUCTS, POINT, RULES, now).request.delivery_day == TOMORROW


def test_the_cut_off_is_berlin_time_whatever_the_clock_zone():
    # 16:01 UTC is 18:01 in Berlin in summer: too late for tomorrow.
    now_utc = datetime(2026, 5, 12, 16, 1, tzinfo=timezone.utc)
    assert delivery_day_problem(TOMORROW, now_utc, RULES) is not None
    # In winter (CET, UTC+1) 16:59 UTC is 17:59 in Berlin: still in time.
    winter = datetime(2026, 1, 13, 16, 59, tzinfo=timezone.utc)
    assert delivery_day_problem(date(2026, 1, 14), winter, RULES) is None


def test_a_later_cut_off_from_the_rules():
    evening = datetime.combine(TODAY, time(19, 0), tzinfo=BERLIN)
    assert delivery_day_problem(TOMORROW, evening, BookingRules(cutoff=time(20, 0))) is None


def test_today_and_the_past_are_not_bookable():
    for day in (TODAY, TODAY - timedelta(days=3)):
        assert delivery_day_problem(day, MORNING, RULES) == (
            "the delivery day must be in the future; the earliest is 2026-05-13")


def test_the_horizon():
    assert delivery_day_problem(TODAY + timedelta(days=14), MORNING, RULES) is None
    assert delivery_day_problem(TODAY + timedelta(days=15), MORNING, RULES) == (
        "the delivery day can be at most 14 days ahead (until 2026-05-26)")
    assert delivery_day_problem(TODAY + timedelta(days=4), MORNING, BookingRules(horizon_days=3)) is not None


def test_the_booking_window():
    window = booking_window(MORNING, RULES)
    assert (window.earliest, window.latest) == (TOMORROW, date(2026, 5, 26))
    assert len(window.days()) == 14
    late = booking_window(datetime.combine(TODAY, time(18, 5), tzinfo=BERLIN), RULES)
    assert late.earliest == TODAY + timedelta(days=2)
    with pytest.raises(ValueError):
        booking_window(datetime(2026, 5, 12, 9, 0), RULES)


# -- who orders, by which channel ---------------------------------------------------------------
def test_a_resident_orders_for_themself_online_unless_they_say_otherwise():
    assert who_orders("r-1", True, None, None) == Ordering("r-1", Channel.WEB)
    assert who_orders("r-1", True, "r-1", Channel.APP) == Ordering("r-1", Channel.APP)


def test_an_assistant_orders_for_the_resident_they_name_by_phone_unless_they_say_otherwise():
    assert who_orders("op-1", False, "r-1", None) == Ordering("r-1", Channel.PHONE, entered_by="op-1")
    assert who_orders("op-1", False, "r-1", Channel.COUNTER) == Ordering("r-1", Channel.COUNTER, entered_by="op-1")
    with pytest.raises(OrderInvalid) as caught:
        who_orders("op-1", False, None, None)
    assert caught.value.problems == (Problem("resident_id", "an assisted order needs the resident it is for"),)


def test_cancelling_defaults_to_web_for_residents_and_phone_for_assistants():
    assert cancel_channel(True, None) is Channel.WEB
    assert cancel_channel(False, None) is Channel.PHONE
    assert cancel_channel(False, Channel.MARKET) is Channel.MARKET
