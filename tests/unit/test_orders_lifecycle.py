"""An order's status and history (domain/lifecycle.py), the parcel events that move
it (domain/parcels.py), and what the resident is told (domain/notices.py), with
real typed events built by nahnetz.events."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from nahnetz.events import Event, new_event
from nahnetz.records import (Money, OrderCancelled, OrderCollected, OrderConfirmed, OrderExpired, OrderLine,
                             OrderPlaced, OrderReadyForPickup, OrderRejected, OrderRejectionReason, ParcelCollected,
                             ParcelDeposited, ParcelExpired, PickupCodeLocked, RejectedOrderLine,
                             StockRejectionReason, TemperatureClass)
from services.orders.domain.lifecycle import OrderStatus, OrderView, advance, placed_order
from services.orders.domain.notices import format_money, format_time, notice_for
from services.orders.domain.parcels import ParcelProgress, next_order_event

DAY = date(2026, 5, 13)


def eur(cents: int) -> Money:
    return Money(amount_cents=cents, currency="EUR")


def line(product_id: str, shop_id: str, name: str, quantity: int, cents: int) -> OrderLine:
    return OrderLine(product_id=product_id, shop_id=shop_id, product_name=name, unit="Stück", quantity=quantity,
                     unit_price=eur(cents), vat_rate_bp=700, temperature_class=TemperatureClass.AMBIENT,
                     weight_g=100 * quantity, volume_ml=200 * quantity)


def placed(channel: str = "WEB", order_id: str = "o-1") -> OrderPlaced:
    return new_event(
        OrderPlaced, producer="test", order_id=order_id, resident_id="r-1",
        lines=[line("p-cheese", "shop-hof", "Ziegenkäse", 2, 450), line("p-bread", "shop-b", "Bauernbrot", 1, 380)],
        pickup_point_id="pp-brakel", delivery_day=DAY, payment_method="AT_PICKUP", channel=channel,
        delivery_fee=eur(250), total=eur(1530))


def confirmed(order_id: str = "o-1") -> OrderConfirmed:
    return new_event(OrderConfirmed, producer="test", order_id=order_id, pickup_point_id="pp-brakel",
                     delivery_day=DAY, compartment_ids=["AM01"])


def rejected_for_cheese() -> OrderRejected:
    return new_event(OrderRejected, producer="test", order_id="o-1", reason=OrderRejectionReason.OUT_OF_STOCK,
                     lines=[RejectedOrderLine(product_id="p-cheese", shop_id="shop-hof",
                                              reason=StockRejectionReason.INSUFFICIENT_STOCK, available=1)])


def step(view: OrderView, event: Event) -> OrderView:
    moved = advance(view, event)
    assert moved.changed, moved.why_not
    return moved.view


def test_placed_then_confirmed_keeps_the_history_with_times():
    event = placed()
    view = placed_order(event)
    assert view.status is OrderStatus.PLACED
    assert (view.total_cents, view.goods_cents, view.shop_ids) == (1530, 1280, ("shop-b", "shop-hof"))
    ok = confirmed()
    view = step(view, ok)
    assert view.status is OrderStatus.CONFIRMED
    assert view.compartment_ids == ("AM01",)
    assert [(c.status, c.at, c.event_id) for c in view.history] == [
        (OrderStatus.PLACED, event.meta.occurred_at, event.event_id),
        (OrderStatus.CONFIRMED, ok.meta.occurred_at, ok.event_id)]
    assert view.lines == tuple(event.lines) and view.correlation_id == event.correlation_id
    assert OrderView.from_dict(view.to_dict()) == view


def test_events_that_do_not_fit_the_status_change_nothing():
    view = placed_order(placed())
    cancelled = new_event(OrderCancelled, producer="test", order_id="o-1", reason="moved")
    view = step(view, cancelled)
    assert view.cancel_reason == "moved" and not view.cancellable
    late = advance(view, confirmed())
    assert not late.changed and late.why_not == "an order CANCELLED cannot become CONFIRMED"
    again = advance(view, cancelled)
    assert not again.changed and again.why_not == "already applied"


def test_the_whole_way_to_collection():
    view = step(placed_order(placed()), confirmed())
    assert view.cancellable
    collect_by = datetime(2026, 5, 16, 16, 0, tzinfo=timezone.utc)
    view = step(view, new_event(OrderReadyForPickup, producer="test", order_id="o-1",
                                pickup_point_id="pp-brakel", compartment_ids=["AM01"], collect_by=collect_by))
    assert view.status is OrderStatus.READY_FOR_PICKUP and view.collect_by == collect_by
    assert not view.cancellable
    view = step(view, new_event(OrderCollected, producer="test", order_id="o-1", pickup_point_id="pp-brakel",
                                paid_at_pickup=eur(1530)))
    assert view.status is OrderStatus.COLLECTED and view.paid_at_pickup_cents == 1530
    assert not advance(view, new_event(
        OrderExpired, producer="test", order_id="o-1", pickup_point_id="pp-brakel")).changed
    assert OrderView.from_dict(view.to_dict()) == view


def test_a_rejection_keeps_its_lines():
    view = placed_order(placed())
    view = step(view, rejected_for_cheese())
    assert view.rejection.reason == "OUT_OF_STOCK"
    assert view.rejection.lines[0].available == 1
    assert OrderView.from_dict(view.to_dict()) == view


# -- notices ------------------------------------------------------------------------------------
def test_confirmed_online_order_notifies_by_push_with_formatted_params():
    view = step(placed_order(placed()), confirmed())
    notice = notice_for(view, "Brakel Marktplatz")
    assert notice.template == "order_confirmed"
    assert notice.recipient_id == "r-1" and notice.channel == "PUSH"
    assert notice.notification_id == "o-1:order_confirmed"
    assert notice.params["pickup_point"] == "Brakel Marktplatz"
    assert notice.params["delivery_day"] == "13.05.2026"
    assert notice.params["total"] == "15,30 €"


def test_an_order_by_phone_is_answered_by_a_call():
    view = step(placed_order(placed(channel="PHONE")), confirmed())
    assert notice_for(view).channel == "PHONE_CALL"


def test_a_rejection_names_the_products():
    view = step(placed_order(placed()), rejected_for_cheese())
    notice = notice_for(view)
    assert notice.template == "order_rejected"
    assert notice.params["reason"] == "OUT_OF_STOCK"
    assert notice.params["lines"] == "Ziegenkäse (1)"


def test_no_notice_for_placed_cancelled_or_collected():
    view = placed_order(placed())
    assert notice_for(view) is None
    assert notice_for(step(view, new_event(OrderCancelled, producer="t", order_id="o-1"))) is None


def test_formats():
    assert format_money(1530) == "15,30 €"
    assert format_money(123456) == "1.234,56 €"
    assert format_money(5, "CHF") == "0,05 CHF"
    assert format_time(datetime(2026, 5, 16, 16, 0, tzinfo=timezone.utc)) == "16.05.2026 18:00"


# -- parcels ------------------------------------------------------------------------------------
def test_each_parcel_event_becomes_an_order_event_once():
    progress = ParcelProgress()
    progress, event = next_order_event(progress, ParcelDeposited)
    assert event is OrderReadyForPickup
    assert next_order_event(progress, ParcelDeposited) == (progress, None)
    done, event = next_order_event(progress, ParcelCollected)
    assert event is OrderCollected
    assert next_order_event(done, ParcelCollected)[1] is None
    assert next_order_event(done, ParcelExpired)[1] is None, "a collected parcel cannot expire"
    expired, event = next_order_event(progress, ParcelExpired)
    assert event is OrderExpired
    assert next_order_event(expired, ParcelCollected)[1] is None
    assert ParcelProgress.from_dict(expired.to_dict()) == expired


@pytest.mark.parametrize("parcel_event", [PickupCodeLocked, OrderPlaced])
def test_other_parcel_events_lead_nowhere(parcel_event):
    assert next_order_event(ParcelProgress(), parcel_event) == (ParcelProgress(), None)
