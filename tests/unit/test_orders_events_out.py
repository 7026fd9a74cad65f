"""The events the orders worker publishes (services/orders/handlers/events_out.py):
typed, with ids derived from the order so a decision made again is the same event."""

from __future__ import annotations

from datetime import date, datetime, timezone

from nahnetz.events import new_event, read_event
from nahnetz.records import (Money, NotificationRequested, OrderCancelled, OrderCollected, OrderConfirmed, OrderExpired,
                             OrderReadyForPickup, OrderRejected, OrderRejectionReason, ParcelCollected,
                             ParcelDeposited, ParcelExpired, RejectedOrderLine, Role, StockLine,
                             StockRejectionReason, StockReserved)
from services.orders.domain.lifecycle import OrderStatus, OrderView, Rejection, StatusChange
from services.orders.domain.notices import Notice
from services.orders.domain.saga import Confirm
from services.orders.handlers.events_out import EventRef, decision_event, notification_event, parcel_order_event

DAY = date(2026, 5, 13)
AT = datetime(2026, 5, 12, 8, 0, tzinfo=timezone.utc)


def test_a_decision_has_an_id_derived_from_the_order_and_joins_the_flow():
    cause = new_event(StockReserved, producer="catalog-worker", order_id="o-1",
                      lines=[StockLine(product_id="p-1", shop_id="s-1", quantity=2)])
    first = decision_event("o-1", Confirm("pp-1", DAY, ("AM01",)), caused_by=cause)
    again = decision_event("o-1", Confirm("pp-1", DAY, ("AM01",)), caused_by=cause)
    assert isinstance(first, OrderConfirmed) and first.event_id == again.event_id
    assert (first.pickup_point_id, first.delivery_day, first.compartment_ids) == ("pp-1", DAY, ["AM01"])
    assert first.correlation_id == cause.correlation_id
    assert first.meta.causation_id == cause.event_id
    other = decision_event("o-2", Confirm("pp-1", DAY, ()), caused_by=cause)
    assert other.event_id != first.event_id


def test_a_timeout_rejection_is_caused_by_the_order_placed():
    rejected = decision_event("o-1", Rejection(OrderRejectionReason.TIMEOUT, (), "no compartment answer"),
                              caused_by=EventRef("ev-placed", "corr-7"))
    assert isinstance(rejected, OrderRejected) and rejected.reason is OrderRejectionReason.TIMEOUT
    assert (rejected.correlation_id, rejected.meta.causation_id) == ("corr-7", "ev-placed")


def test_a_rejection_carries_its_lines_and_survives_encoding():
    line = RejectedOrderLine(product_id="p-1", shop_id="s-1", reason=StockRejectionReason.OUT_OF_STOCK, available=0)
    event = decision_event("o-1", Rejection(OrderRejectionReason.OUT_OF_STOCK, (line,)),
                           caused_by=EventRef("e", "c"))
    assert event.lines == [line]
    assert read_event(event.encode()) == event


def test_parcel_deposited_becomes_ready_for_pickup_until_it_expires():
    expires = datetime(2026, 5, 16, 16, 0, tzinfo=timezone.utc)
    deposited = new_event(ParcelDeposited, producer="pickup-worker", order_id="o-1", pickup_point_id="pp-1",
                          compartment_ids=["AM01"], code_hash="h", qr_hash="q", deposited_by="d-1",
                          expires_at=expires)
    ready = parcel_order_event(OrderReadyForPickup, deposited, None)
    assert isinstance(ready, OrderReadyForPickup)
    assert (ready.collect_by, ready.compartment_ids) == (expires, ["AM01"])
    assert ready.meta.causation_id == deposited.event_id
    assert ready.event_id == parcel_order_event(OrderReadyForPickup, deposited, None).event_id


def test_an_expired_parcel_names_its_compartments():
    expired = new_event(ParcelExpired, producer="pickup-worker", order_id="o-1", pickup_point_id="pp-1",
                        compartment_ids=["AM01", "AM02"], expired_at=AT)
    event = parcel_order_event(OrderExpired, expired, None)
    assert isinstance(event, OrderExpired) and event.compartment_ids == ["AM01", "AM02"]


def test_a_collection_paid_at_pickup_carries_the_amount():
    collected = new_event(ParcelCollected, producer="pickup-worker", order_id="o-1", pickup_point_id="pp-1",
                          compartment_ids=["AM01"])

    def view(payment_method: str) -> OrderView:
        return OrderView("o-1", "r-1", (), "pp-1", DAY, payment_method, "WEB", 250, 1530, "EUR", AT,
                         (StatusChange(OrderStatus.PLACED, AT, "e0"),))

    at_pickup = parcel_order_event(OrderCollected, collected, view("AT_PICKUP"))
    assert at_pickup.paid_at_pickup == Money(amount_cents=1530, currency="EUR")
    assert parcel_order_event(OrderCollected, collected, view("ONLINE")).paid_at_pickup is None
    assert parcel_order_event(OrderCollected, collected, None).paid_at_pickup is None


def test_a_notification_request_has_a_stable_id():
    cause = new_event(OrderCancelled, producer="t", order_id="o-1")
    notice = Notice("o-1:order_confirmed", "r-1", "PUSH", "order_confirmed", {"order_ref": "O1"})
    first, again = notification_event(notice, cause), notification_event(notice, cause)
    assert isinstance(first, NotificationRequested)
    assert first.event_id == again.event_id and first.recipient_id == "r-1"
    assert first.recipient_role is Role.RESIDENT and first.params == {"order_ref": "O1"}
