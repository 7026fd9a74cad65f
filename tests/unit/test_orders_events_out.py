"""The events the orders worker publishes (services/orders/order_events.py) and how
a step's events are packed for its processed marker (outbox.py)."""

from __future__ import annotations

from datetime import date, datetime, timezone

from nahnetz.events import new_event, read_event
from services.orders.domain.lifecycle import RejectedLine, Rejection
from services.orders.domain.notices import Notice
from services.orders.domain.saga import Confirm
from services.orders.order_events import EventRef, decision_event, notification_event, parcel_order_event
from services.orders.outbox import pack, unpack

DAY = date(2026, 5, 13)


def test_a_decision_has_an_id_derived_from_the_order_and_joins_the_flow():
    cause = new_event("StockReserved", producer="catalog-worker", order_id="o-1",
                      lines=[{"product_id": "p-1", "shop_id": "s-1", "quantity": 2}])
    first = decision_event("o-1", Confirm("pp-1", DAY, ("AM01",)), caused_by=cause)
    again = decision_event("o-1", Confirm("pp-1", DAY, ("AM01",)), caused_by=cause)
    assert first.type == "OrderConfirmed" and first.event_id == again.event_id
    assert first.correlation_id == cause.correlation_id
    assert first.meta["causation_id"] == cause.event_id
    other = decision_event("o-2", Confirm("pp-1", DAY, ()), caused_by=cause)
    assert other.event_id != first.event_id


def test_a_timeout_rejection_is_caused_by_the_order_placed():
    rejected = decision_event("o-1", Rejection("TIMEOUT", (), "no compartment answer"),
                              caused_by=EventRef("ev-placed", "corr-7"))
    assert rejected.type == "OrderRejected" and rejected.reason == "TIMEOUT"
    assert (rejected.correlation_id, rejected.meta["causation_id"]) == ("corr-7", "ev-placed")


def test_a_rejection_carries_its_lines():
    event = decision_event("o-1", Rejection("OUT_OF_STOCK", (RejectedLine("p-1", "s-1", "OUT_OF_STOCK", 0),)),
                           caused_by=EventRef("e", "c"))
    assert event.lines == [{"product_id": "p-1", "shop_id": "s-1", "reason": "OUT_OF_STOCK", "available": 0}]


def test_parcel_deposited_becomes_ready_for_pickup_until_it_expires():
    expires = datetime(2026, 5, 16, 16, 0, tzinfo=timezone.utc)
    deposited = new_event("ParcelDeposited", producer="pickup-worker", order_id="o-1", pickup_point_id="pp-1",
                          compartment_ids=["AM01"], code_hash="h", qr_hash="q", deposited_by="d-1",
                          expires_at=expires)
    ready = parcel_order_event("OrderReadyForPickup", deposited, None)
    assert (ready.type, ready.collect_by, ready.compartment_ids) == ("OrderReadyForPickup", expires, ["AM01"])
    assert ready.meta["causation_id"] == deposited.event_id


def test_a_notification_request_has_a_stable_id():
    cause = new_event("OrderCancelled", producer="t", order_id="o-1")
    notice = Notice("o-1:order_confirmed", "r-1", "PUSH", "order_confirmed", {"order_ref": "O1"})
    first, again = notification_event(notice, cause), notification_event(notice, cause)
    assert first.event_id == again.event_id and first.recipient_id == "r-1"
    assert first.recipient_role == "RESIDENT" and first.params == {"order_ref": "O1"}


def test_pack_and_unpack():
    events = [new_event("OrderCancelled", producer="t", order_id=f"o-{n}") for n in range(3)]
    packed = pack(events)
    assert unpack(packed) == events
    assert unpack(packed.decode("latin-1")) == events, "as a str from a decoding Redis client"
    assert pack([]) is None and unpack(None) == [] and unpack(b"") == []
    assert read_event(events[0].encode()) == unpack(packed)[0]

