"""An order books only a day its shops' goods can make (services/orders/domain/
collection_days.py, placement.py): the hub's collection rule against the shops'
opening hours, and the refusal names the next possible day."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from nahnetz.clock import BERLIN
from services.orders.domain.booking import BookingRules, booking_window
from services.orders.domain.collection_days import collection_day, unreachable
from services.orders.domain.listings import PickupPointListing, ProductListing, ShopListing
from services.orders.domain.placement import LineRequest, OrderInvalid, OrderRequest, validate_order

RULES = BookingRules()
NOW = datetime(2026, 5, 12, 9, 30, tzinfo=BERLIN)  # a Tuesday morning
TOMORROW = date(2026, 5, 13)                       # Wednesday
THURSDAY, FRIDAY = date(2026, 5, 14), date(2026, 5, 15)
WEEK = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


def shop(shop_id: str, days=WEEK, opens: str = "08:00:00", closes: str = "18:00:00", closed_on=(),
         name: str | None = None) -> ShopListing:
    return ShopListing(shop_id, name or f"Laden {shop_id}", [[d, opens, closes] for d in days],
                       [d.isoformat() for d in closed_on])


BAKERY = shop("shop-baecker", name="Bäckerei Krome")
# Open Thursday to Saturday only: goods for Wednesday cannot be collected on any day before it.
CHEESE_DAIRY = shop("shop-kaese", ("THURSDAY", "FRIDAY", "SATURDAY"), name="Käserei Hohehaus")
CHEESE = ProductListing("p-cheese", "shop-kaese", "Ziegenkäse", "Stück", 450, "EUR", 700, "CHILLED", 200, 300)
BREAD = ProductListing("p-bread", "shop-baecker", "Bauernbrot", "Stück", 380, "EUR", 700, "AMBIENT", 1000, 2500)
PRODUCTS = {p.product_id: p for p in (CHEESE, BREAD)}
POINT = PickupPointListing("pp-brakel", "Pick-up-Point HX Brakel Marktplatz", "LOCKER", "Brakel", "Brakel")


def order_for(day: date) -> OrderRequest:
    return OrderRequest(resident_id="r-1", lines=(LineRequest("p-cheese", 1), LineRequest("p-bread", 1)),
                        pickup_point_id="pp-brakel", delivery_day=day, payment_method="ONLINE", channel="WEB")


def test_goods_are_collected_on_the_delivery_day_before_the_latest_collection_time():
    assert collection_day(BAKERY, TOMORROW, TOMORROW, RULES) == TOMORROW
    # Opening at 15:00 is too late on the day itself; the day before serves (kept at the hub).
    afternoon = shop("shop-spaet", opens="15:00:00")
    assert collection_day(afternoon, THURSDAY, TOMORROW, RULES) == TOMORROW
    # ... but never before tomorrow.
    assert collection_day(afternoon, TOMORROW, TOMORROW, RULES) is None


def test_a_shop_closed_on_the_day_hands_over_on_an_open_day_before_within_the_hub_s_limit():
    weekend = shop("shop-wochenende", ("SATURDAY",))
    saturday, tuesday_after = date(2026, 5, 16), date(2026, 5, 19)
    assert collection_day(weekend, tuesday_after, TOMORROW, RULES) == saturday
    assert collection_day(weekend, tuesday_after, TOMORROW, BookingRules(max_days_in_hub=2)) is None
    holiday = shop("shop-urlaub", closed_on=(THURSDAY,))
    assert collection_day(holiday, THURSDAY, TOMORROW, RULES) == TOMORROW
    assert collection_day(holiday.close_for_good(), FRIDAY, TOMORROW, RULES) is None


def test_the_shops_that_cannot_make_the_day_are_named_with_the_next_day_all_can():
    window = booking_window(NOW, RULES)
    late = unreachable([BAKERY, CHEESE_DAIRY], TOMORROW, TOMORROW, window, RULES)
    assert late is not None and [s.shop_id for s in late.shops] == ["shop-kaese"]
    assert late.next_day == THURSDAY
    assert unreachable([BAKERY, CHEESE_DAIRY], THURSDAY, TOMORROW, window, RULES) is None
    never = shop("shop-zu", ())
    assert unreachable([never], TOMORROW, TOMORROW, window, RULES).next_day is None


def test_an_order_for_a_day_a_shop_cannot_make_is_refused_naming_the_next_possible_day():
    shops = {"shop-kaese": CHEESE_DAIRY, "shop-baecker": BAKERY}
    with pytest.raises(OrderInvalid) as refused:
        validate_order(order_for(TOMORROW), PRODUCTS, POINT, RULES, NOW, shops=shops)
    [problem] = refused.value.problems
    assert problem.field == "delivery_day"
    assert "Käserei Hohehaus" in problem.message and "Bäckerei" not in problem.message
    assert "2026-05-14" in problem.message and "14.05.2026" in problem.message  # English and German
    assert validate_order(order_for(THURSDAY), PRODUCTS, POINT, RULES, NOW, shops=shops).lines


def test_a_shop_not_known_yet_is_not_judged():
    assert validate_order(order_for(TOMORROW), PRODUCTS, POINT, RULES, NOW, shops={"shop-baecker": BAKERY,
                                                                                  "shop-kaese": None}).lines
    assert validate_order(order_for(TOMORROW), PRODUCTS, POINT, RULES, NOW).lines


def test_a_day_past_the_booking_window_is_not_offered_as_the_next_day():
    rules = BookingRules(horizon_days=2)  # Wednesday and Thursday only
    friday_only = shop("shop-freitag", ("FRIDAY",))
    late = unreachable([friday_only], TOMORROW, TOMORROW, booking_window(NOW, rules), rules)
    assert booking_window(NOW, rules).latest == THURSDAY
    assert late is not None and late.next_day is None
