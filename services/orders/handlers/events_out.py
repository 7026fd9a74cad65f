"""The events the orders worker publishes, built from domain decisions.

Their event ids are derived from the order (uuid5), not random: if a replay or a
second worker decides the same thing again, the event is the same event, and
every consumer's event-id dedupe drops it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from nahnetz.events import Event, new_event
from nahnetz.records import (Money, NotificationRequested, OrderCollected, OrderConfirmed, OrderExpired,
                             OrderReadyForPickup, OrderRejected, ParcelCollected, ParcelDeposited, ParcelExpired,
                             Role)

from ..domain.lifecycle import OrderView
from ..domain.notices import Notice
from ..domain.parcels import OrderEventType
from ..domain.saga import Confirm, Decision

PRODUCER = "orders-worker"
_NAMESPACE = uuid.UUID("6b1c2e0a-8f3d-4c55-9e0b-4f7a2d1c9e11")


@dataclass(frozen=True)
class EventRef:
    """Stands in for the causing event when only its ids are kept (a timeout)."""

    event_id: str
    correlation_id: str


def derived_id(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


def decision_event(order_id: str, decision: Decision, caused_by: Event | EventRef) -> OrderConfirmed | OrderRejected:
    """OrderConfirmed or OrderRejected for a saga's decision."""
    if isinstance(decision, Confirm):
        return new_event(
            OrderConfirmed, producer=PRODUCER, caused_by=caused_by,  # type: ignore[arg-type]
            event_id=derived_id(order_id, OrderConfirmed.__name__), order_id=order_id,
            pickup_point_id=decision.pickup_point_id, delivery_day=decision.delivery_day,
            compartment_ids=list(decision.compartment_ids), parts=list(decision.parts))
    return new_event(
        OrderRejected, producer=PRODUCER, caused_by=caused_by,  # type: ignore[arg-type]
        event_id=derived_id(order_id, OrderRejected.__name__), order_id=order_id, reason=decision.reason,
        lines=list(decision.lines), message=decision.message, alternatives=list(decision.alternatives))


def parcel_order_event(order_event: OrderEventType, parcel: ParcelDeposited | ParcelCollected | ParcelExpired,
                       order: OrderView | None) -> OrderReadyForPickup | OrderCollected | OrderExpired:
    """OrderReadyForPickup, OrderCollected or OrderExpired for a parcel event."""
    fields: dict[str, Any] = {"order_id": parcel.order_id, "pickup_point_id": parcel.pickup_point_id}
    if isinstance(parcel, ParcelDeposited):
        fields.update(compartment_ids=list(parcel.compartment_ids), collect_by=parcel.expires_at)
    elif isinstance(parcel, ParcelExpired):
        fields.update(compartment_ids=list(parcel.compartment_ids))
    elif order is not None and order.payment_method == "AT_PICKUP":
        fields.update(paid_at_pickup=Money(amount_cents=order.total_cents, currency=order.currency))
    return new_event(order_event, producer=PRODUCER, caused_by=parcel,
                     event_id=derived_id(parcel.order_id, order_event.__name__), **fields)


def notification_event(notice: Notice, caused_by: Event, language: str = "de") -> NotificationRequested:
    return new_event(
        NotificationRequested, producer=PRODUCER, caused_by=caused_by,
        event_id=derived_id(notice.notification_id), notification_id=notice.notification_id,
        recipient_id=notice.recipient_id, recipient_role=Role.RESIDENT, channel=notice.channel,
        template=notice.template, language=language, params=dict(notice.params))
