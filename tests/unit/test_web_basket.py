"""The web front's basket and what the resident's and assistant's pages show of goods
and orders (services/web/domain/basket.py), and the pick-up code's QR code (qr.py)."""

from __future__ import annotations

import re

import pytest

from services.web.domain import basket as baskets
from services.web.domain.qr import qr_svg


def product(product_id: str, shop_id: str, cents: int, temperature: str = "AMBIENT") -> dict:
    return {"product_id": product_id, "shop_id": shop_id, "name": f"Ware {product_id}", "unit": "Stück",
            "price": {"amount_cents": cents, "currency": "EUR"}, "temperature_class": temperature,
            "shop": {"shop_id": shop_id, "name": f"Laden {shop_id}", "location": {"lat": 51.7, "lon": 9.3}}}


@pytest.mark.parametrize("cents, text", [(0, "0,00 €"), (270, "2,70 €"), (123456, "1.234,56 €"),
                                         (100000000, "1.000.000,00 €"), (-5, "-0,05 €"), (None, "–")])
def test_euros_are_written_the_german_way(cents, text):
    assert baskets.euro(cents) == text


@pytest.mark.parametrize("typed, quantity", [("1", 1), (" 12 ", 12), ("999", 999)])
def test_a_quantity_is_a_whole_number_from_one_to_the_maximum(typed, quantity):
    assert baskets.quantity_of(typed) == quantity


@pytest.mark.parametrize("typed", ["0", "-1", "1000", "1,5", "", "zwei", None])
def test_anything_else_is_refused_in_both_languages(typed):
    with pytest.raises(baskets.BasketError) as refused:
        baskets.quantity_of(typed)
    assert refused.value.german and refused.value.english


def test_the_basket_groups_lines_by_shop_adds_up_and_the_same_product_again_adds_to_its_line():
    basket = baskets.add({}, baskets.line_from_product(product("p1", "shop-a", 270), 2))
    basket = baskets.add(basket, baskets.line_from_product(product("p2", "shop-b", 150, "CHILLED"), 1))
    basket = baskets.add(basket, baskets.line_from_product(product("p1", "shop-a", 270), 1))
    assert [line["quantity"] for line in basket["lines"]] == [3, 1]
    groups = baskets.by_shop(basket["lines"])
    assert [(g.shop_id, g.shop_name, g.subtotal_cents) for g in groups] == [
        ("shop-a", "Laden shop-a", 810), ("shop-b", "Laden shop-b", 150)]
    assert baskets.total_cents(basket) == 960
    assert baskets.shop_ids(basket) == ["shop-a", "shop-b"]
    assert baskets.needed_classes(basket) == {"AMBIENT", "CHILLED"}
    assert baskets.centre(basket) == pytest.approx((51.7, 9.3))


def test_quantities_change_lines_go_and_a_broken_session_value_is_an_empty_basket():
    basket = baskets.add({}, baskets.line_from_product(product("p1", "shop-a", 100), 1))
    basket = baskets.set_quantity(basket, "p1", 5)
    assert basket["lines"][0]["quantity"] == 5
    assert baskets.remove(basket, "p1")["lines"] == []
    assert baskets.of(None) == baskets.of({"lines": "x"}) == {"lines": []}
    assert baskets.centre({}) is None


def test_the_basket_has_limits():
    basket = baskets.add({}, baskets.line_from_product(product("p1", "shop-a", 100), 999))
    with pytest.raises(baskets.BasketError):
        baskets.add(basket, baskets.line_from_product(product("p1", "shop-a", 100), 1))
    many = {"lines": [baskets.line_from_product(product(f"p{i}", "shop-a", 1), 1) for i in range(baskets.MAX_LINES)]}
    with pytest.raises(baskets.BasketError):
        baskets.add(many, baskets.line_from_product(product("one-more", "shop-a", 1), 1))


def test_the_order_body_is_what_the_orders_api_takes_for_residents_and_assistants():
    basket = baskets.add({}, baskets.line_from_product(product("p1", "shop-a", 100), 2))
    own = baskets.order_body(basket, pickup_point_id="pp-1", delivery_day="2026-12-08", payment_method="AT_PICKUP")
    assert own == {"lines": [{"product_id": "p1", "quantity": 2}], "pickup_point_id": "pp-1",
                   "delivery_day": "2026-12-08", "payment_method": "AT_PICKUP"}
    assisted = baskets.order_body(basket, pickup_point_id="pp-1", delivery_day="2026-12-08",
                                  payment_method="AT_PICKUP", resident_id="res-1", channel="PHONE", note="klingeln")
    assert assisted["resident_id"] == "res-1" and assisted["channel"] == "phone" and assisted["note"] == "klingeln"


def test_free_room_and_whether_a_point_fits_the_basket():
    free = {"AMBIENT": {"free": 3, "total": 10}, "CHILLED": {"free": 0, "total": 4}}
    assert baskets.free_room(free) == [("AMBIENT", 3, 10), ("CHILLED", 0, 4)]
    assert baskets.has_room(free, {"AMBIENT"}) and not baskets.has_room(free, {"AMBIENT", "CHILLED"})
    assert not baskets.has_room(None, {"FROZEN"})


def test_days_times_statuses_and_api_problems_in_words():
    assert baskets.day_label("2026-12-08") == "Di, 08.12.2026"
    assert baskets.day_label("2026-12-08", english=True) == "Tue, 08/12/2026"
    assert baskets.day_label("kein Tag") == "kein Tag"
    assert baskets.local_time("2026-12-10T00:53:00+01:00") == "10.12.2026, 00:53"
    assert baskets.status_words("READY_FOR_PICKUP") == ("Abholbereit", "Ready for pick-up")
    assert baskets.status_words("SOMETHING_NEW") == ("SOMETHING_NEW", "SOMETHING_NEW")
    assert baskets.problems_of([{"field": "delivery_day", "message": "too early"}, "other", {"field": "x"}]) == [
        "too early", "other", "x"]
    assert baskets.problems_of({"errors": [{"loc": ["body", "lines", 0], "msg": "bad"}]}) == ["bad"]
    assert baskets.problems_of(None) == []


def test_the_qr_code_is_inline_svg_without_style_attributes_and_named_for_screen_readers():
    svg = qr_svg("NAHNETZ1:o-1:abcdef", "Abholcode <Bestellung>")
    assert svg.startswith('<svg role="img" aria-label="Abholcode &lt;Bestellung&gt;"')
    assert "<title>Abholcode &lt;Bestellung&gt;</title>" in svg
    assert not re.search(r"\sstyle\s*=", svg) and "<script" not in svg
    assert 'class="qr-code"' in svg and "viewBox" in svg
