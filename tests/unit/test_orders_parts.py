"""An order's parts (domain/parts.py): one per shop, each with its compartments and
day; a shipment the hub moves becomes the order's OrderDeliveryMoved, the order's
day is its last part's, the shop packs it for the new day, and the resident is
told in German and English (domain/move_notice.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone

from nahnetz.events import new_event
from nahnetz.records import (DeliveryMoveReason, GeoPoint, Money, OrderConfirmed, OrderDeliveryMoved, OrderLine,
                             OrderPart, OrderPlaced, OrderReadyForPickup, ShipmentRequested, TemperatureClass)
from services.notify.domain.templates import render
from services.orders.domain.lifecycle import OrderStatus, OrderView, advance, move_part, placed_order
from services.orders.domain.move_notice import moved_notice
from services.orders.domain.packing_list import build_packing_list
from services.orders.domain.parts import Part, move_of

WEDNESDAY, THURSDAY = date(2026, 5, 13), date(2026, 5, 14)


def eur(cents: int) -> Money:
    return Money(amount_cents=cents, currency="EUR")


def line(product_id: str, shop_id: str, temperature: TemperatureClass = TemperatureClass.AMBIENT) -> OrderLine:
    return OrderLine(product_id=product_id, shop_id=shop_id, product_name=product_id, unit="Stück", quantity=1,
                     unit_price=eur(300), vat_rate_bp=700, temperature_class=temperature, weight_g=100,
                     volume_ml=200)


def confirmed_view(parts: list[OrderPart] | None = None, channel: str = "WEB") -> OrderView:
    placed = new_event(OrderPlaced, producer="test", order_id="o-1", resident_id="r-1",
                       lines=[line("p-cheese", "shop-kaese", TemperatureClass.CHILLED), line("p-bread", "shop-baecker")],
                       pickup_point_id="pp-brakel", delivery_day=WEDNESDAY, channel=channel, delivery_fee=eur(250),
                       total=eur(850))
    confirmed = new_event(OrderConfirmed, producer="test", order_id="o-1", pickup_point_id="pp-brakel",
                          delivery_day=WEDNESDAY, compartment_ids=["K1", "A1"],
                          parts=parts if parts is not None else [OrderPart(shop_id="shop-kaese", compartment_ids=["K1"]),
                                                                 OrderPart(shop_id="shop-baecker", compartment_ids=["A1"])])
    moved = advance(placed_order(placed), confirmed)
    assert moved.changed
    return moved.view


def request(day: date, moved_from: date | None, reason: DeliveryMoveReason | None = None,
            shop: str = "shop-baecker", attempt: int = 1) -> ShipmentRequested:
    return new_event(ShipmentRequested, producer="hub-worker", shipment_id=f"shp-{shop}", order_id="o-1", shop_id=shop,
                     pickup_point_id="pp-brakel", compartment_ids=["A1"], delivery_day=day, weight_g=100,
                     volume_ml=200, pickup_windows=[], shop_location=GeoPoint(lat=51.7, lon=9.3),
                     pickup_point_location=GeoPoint(lat=51.7, lon=9.2), attempt=attempt, moved_from=moved_from,
                     move_reason=reason)


def moved(to_day: date = THURSDAY, reason=DeliveryMoveReason.SHOP_CLOSED) -> OrderDeliveryMoved:
    return new_event(OrderDeliveryMoved, producer="orders-worker", order_id="o-1", shop_id="shop-baecker",
                     shipment_id="shp-shop-baecker", pickup_point_id="pp-brakel", from_day=WEDNESDAY, to_day=to_day,
                     reason=reason)


def test_a_confirmed_order_has_one_part_per_shop_in_its_own_compartments_on_its_day():
    view = confirmed_view()
    assert view.parts == (Part("shop-kaese", WEDNESDAY, ("K1",)), Part("shop-baecker", WEDNESDAY, ("A1",)))
    assert OrderView.from_dict(view.to_dict()) == view
    # A confirmation that told no parts: each part uses all of the order's compartments.
    assert confirmed_view(parts=[]).parts[0] == Part("shop-kaese", WEDNESDAY, ("K1", "A1"))


def test_a_request_for_another_day_is_a_move_of_that_part_and_one_for_its_day_is_none():
    view = confirmed_view()
    assert move_of(view.parts, view.delivery_day, request(WEDNESDAY, None)) is None
    move = move_of(view.parts, view.delivery_day, request(THURSDAY, WEDNESDAY, DeliveryMoveReason.MISSED_COLLECTION))
    assert (move.shop_id, move.from_day, move.to_day, move.reason) == (
        "shop-baecker", WEDNESDAY, THURSDAY, DeliveryMoveReason.MISSED_COLLECTION)


def test_a_moved_part_moves_the_order_s_day_to_its_last_part_and_the_shop_packs_it_then():
    view = confirmed_view()
    after = move_part(view, moved())
    assert after.changed and after.view.status is OrderStatus.CONFIRMED
    assert after.view.delivery_day == THURSDAY
    assert after.view.part_day("shop-kaese") == WEDNESDAY and after.view.part_day("shop-baecker") == THURSDAY
    assert after.view.parts[1].moved_from == WEDNESDAY and after.view.parts[1].move_reason == "SHOP_CLOSED"
    assert OrderView.from_dict(after.view.to_dict()) == after.view
    # The bakery packs the order for Thursday now, the cheese dairy still for Wednesday.
    assert [o.order_id for o in build_packing_list("shop-baecker", THURSDAY, [after.view]).orders] == ["o-1"]
    assert build_packing_list("shop-baecker", WEDNESDAY, [after.view]).orders == ()
    assert [o.order_id for o in build_packing_list("shop-kaese", WEDNESDAY, [after.view]).orders] == ["o-1"]


def test_a_part_of_an_order_no_longer_waiting_does_not_move():
    ready = advance(confirmed_view(), new_event(OrderReadyForPickup, producer="test", order_id="o-1",
                                                pickup_point_id="pp-brakel", compartment_ids=["K1", "A1"],
                                                collect_by=datetime(2026, 5, 16, tzinfo=timezone.utc))).view
    assert not move_part(ready, moved()).changed


def test_the_resident_is_told_which_part_comes_when_and_why_in_german_and_english():
    view = move_part(confirmed_view(), moved()).view
    notice = moved_notice(view, moved(), "Bäckerei Krome", "Pick-up-Point HX Brakel")
    assert notice.recipient_id == "r-1" and notice.channel == "PUSH" and notice.template == "order_moved"
    assert notice.notification_id == "o-1:order_moved:shop-baecker:2026-05-14"
    # Rendered by notify from its template, wholly in each language.
    text_de = render(notice.template, "de", notice.params).text
    text_en = render(notice.template, "en", notice.params).text
    assert "Bäckerei Krome" in text_de and "Do, 14.05.2026" in text_de and "Mi, 13.05.2026" in text_de
    assert "geschlossen" in text_de and "Abholcode" in text_de
    assert "Thu 14 May 2026" in text_en and "Wed 13 May 2026" in text_en and "closed" in text_en
    # Someone who ordered by phone is called back.
    by_phone = move_part(confirmed_view(channel="PHONE"), moved()).view
    assert moved_notice(by_phone, moved()).channel == "PHONE_CALL"


def test_an_order_confirmed_before_parts_were_kept_moves_one_part_and_keeps_the_others():
    legacy = replace(confirmed_view(), parts=())
    after = move_part(legacy, moved()).view
    assert {p.shop_id: p.delivery_day for p in after.parts} == {"shop-kaese": WEDNESDAY, "shop-baecker": THURSDAY}
    assert after.delivery_day == THURSDAY
