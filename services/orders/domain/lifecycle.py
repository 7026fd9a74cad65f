"""An order's life: its status, the history of status changes, and which event
may move it where.

    PLACED ──► CONFIRMED ──► READY_FOR_PICKUP ──► COLLECTED
      │  │        │                 └──────────► EXPIRED
      │  └────────┴──► CANCELLED   (the resident or an operator, before the parcel is in the locker)
      └──► REJECTED

The read model is this view, projected from orders.orders in topic order. An
event that does not fit the current status (a late OrderConfirmed after a
cancellation) changes nothing.

A confirmed order has its parts (one per shop, `parts.py`), each with its day;
OrderDeliveryMoved moves one part without changing the status, and the order's
delivery day is then its last part's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from enum import Enum
from typing import Any, Mapping

from nahnetz.records import (OrderCancelled, OrderCollected, OrderConfirmed, OrderDeliveryMoved, OrderExpired,
                             OrderLine, OrderPlaced, OrderReadyForPickup, OrderRejected, OrderRejectionReason,
                             PickupAlternative, RejectedOrderLine)

from .parts import Part, after_move, confirmed_parts, order_day, part_of
from .placement import line_total_cents


class OrderStatus(str, Enum):
    PLACED = "PLACED"
    CONFIRMED = "CONFIRMED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"
    READY_FOR_PICKUP = "READY_FOR_PICKUP"
    COLLECTED = "COLLECTED"
    EXPIRED = "EXPIRED"


# Every event of orders.orders.
OrderEvent = (OrderPlaced | OrderConfirmed | OrderRejected | OrderCancelled | OrderReadyForPickup
              | OrderCollected | OrderExpired | OrderDeliveryMoved)

STATUS_OF_EVENT: dict[type, OrderStatus] = {
    OrderPlaced: OrderStatus.PLACED,
    OrderConfirmed: OrderStatus.CONFIRMED,
    OrderRejected: OrderStatus.REJECTED,
    OrderCancelled: OrderStatus.CANCELLED,
    OrderReadyForPickup: OrderStatus.READY_FOR_PICKUP,
    OrderCollected: OrderStatus.COLLECTED,
    OrderExpired: OrderStatus.EXPIRED,
}

NEXT = {
    OrderStatus.PLACED: {OrderStatus.CONFIRMED, OrderStatus.REJECTED, OrderStatus.CANCELLED},
    OrderStatus.CONFIRMED: {OrderStatus.READY_FOR_PICKUP, OrderStatus.CANCELLED},
    OrderStatus.READY_FOR_PICKUP: {OrderStatus.COLLECTED, OrderStatus.EXPIRED},
}
# Once the parcel is in the locker the goods have travelled: no cancelling then.
CANCELLABLE = frozenset({OrderStatus.PLACED, OrderStatus.CONFIRMED})


@dataclass(frozen=True)
class StatusChange:
    status: OrderStatus
    at: datetime  # UTC
    event_id: str

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status.value, "at": self.at.isoformat(), "event_id": self.event_id}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "StatusChange":
        return cls(OrderStatus(data["status"]), datetime.fromisoformat(data["at"]), data["event_id"])


@dataclass(frozen=True)
class Rejection:
    reason: OrderRejectionReason
    lines: tuple[RejectedOrderLine, ...] = ()
    message: str | None = None
    # Where and when the goods would have fitted, as the pick-up point saw it.
    alternatives: tuple[PickupAlternative, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"reason": str(self.reason), "lines": [line.to_avro() for line in self.lines],
                "message": self.message, "alternatives": [alternative_dict(a) for a in self.alternatives]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Rejection":
        return cls(OrderRejectionReason(data["reason"]),
                   tuple(RejectedOrderLine.from_avro(line) for line in data.get("lines", [])), data.get("message"),
                   tuple(alternative_of(a) for a in data.get("alternatives", [])))


def alternative_dict(alternative: PickupAlternative) -> dict[str, Any]:
    return {"pickup_point_id": alternative.pickup_point_id, "delivery_day": alternative.delivery_day.isoformat(),
            "distance_m": alternative.distance_m}


def alternative_of(data: Mapping[str, Any]) -> PickupAlternative:
    return PickupAlternative(pickup_point_id=data["pickup_point_id"],
                             delivery_day=date.fromisoformat(data["delivery_day"]), distance_m=data.get("distance_m"))


@dataclass(frozen=True)
class OrderView:
    order_id: str
    resident_id: str
    lines: tuple[OrderLine, ...]
    pickup_point_id: str
    delivery_day: date
    payment_method: str
    channel: str
    delivery_fee_cents: int
    total_cents: int
    currency: str
    placed_at: datetime
    history: tuple[StatusChange, ...]
    entered_by: str | None = None
    note: str | None = None
    compartment_ids: tuple[str, ...] = ()
    rejection: Rejection | None = None
    collect_by: datetime | None = None
    cancel_reason: str | None = None
    paid_at_pickup_cents: int | None = None
    correlation_id: str | None = None
    parts: tuple[Part, ...] = ()   # from the confirmation on: each shop's part and its day
    replaces: str | None = None       # the rejected order this one was placed instead of
    replaced_by: str | None = None    # the order placed instead of this rejected one

    @property
    def status(self) -> OrderStatus:
        return self.history[-1].status

    @property
    def cancellable(self) -> bool:
        return self.status in CANCELLABLE

    @property
    def shop_ids(self) -> tuple[str, ...]:
        return tuple(sorted({line.shop_id for line in self.lines}))

    @property
    def shops_in_order(self) -> tuple[str, ...]:
        """The shops in the order their first line appears: one part each."""
        return tuple(dict.fromkeys(line.shop_id for line in self.lines))

    @property
    def goods_cents(self) -> int:
        return sum(line_total_cents(line) for line in self.lines)

    def lines_of_shop(self, shop_id: str) -> tuple[OrderLine, ...]:
        return tuple(line for line in self.lines if line.shop_id == shop_id)

    def part_day(self, shop_id: str) -> date:
        """The day the shop's part arrives (the order's day until parts are known)."""
        return part_of(self.parts, shop_id, self.delivery_day).delivery_day

    def product_name(self, product_id: str) -> str:
        return next((line.product_name for line in self.lines if line.product_id == product_id), product_id)

    # -- storage ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            lines=[line.to_avro() for line in self.lines],
            delivery_day=self.delivery_day.isoformat(),
            placed_at=self.placed_at.isoformat(),
            history=[change.to_dict() for change in self.history],
            compartment_ids=list(self.compartment_ids),
            rejection=self.rejection.to_dict() if self.rejection else None,
            collect_by=self.collect_by.isoformat() if self.collect_by else None,
            parts=[part.to_dict() for part in self.parts],
        )
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "OrderView":
        values = dict(data)
        values.update(
            lines=tuple(OrderLine.from_avro(line) for line in data["lines"]),
            delivery_day=date.fromisoformat(data["delivery_day"]),
            placed_at=datetime.fromisoformat(data["placed_at"]),
            history=tuple(StatusChange.from_dict(c) for c in data["history"]),
            compartment_ids=tuple(data.get("compartment_ids") or ()),
            rejection=Rejection.from_dict(data["rejection"]) if data.get("rejection") else None,
            collect_by=datetime.fromisoformat(data["collect_by"]) if data.get("collect_by") else None,
            parts=tuple(Part.from_dict(part) for part in data.get("parts") or ()),
        )
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})


def placed_order(event: OrderPlaced) -> OrderView:
    """The view of an order as its OrderPlaced event placed it."""
    placed_at = event.meta.occurred_at
    return OrderView(
        order_id=event.order_id, resident_id=event.resident_id, lines=tuple(event.lines),
        pickup_point_id=event.pickup_point_id, delivery_day=event.delivery_day,
        payment_method=event.payment_method.value, channel=event.channel.value,
        delivery_fee_cents=event.delivery_fee.amount_cents, total_cents=event.total.amount_cents,
        currency=event.total.currency, placed_at=placed_at,
        history=(StatusChange(OrderStatus.PLACED, placed_at, event.event_id),),
        entered_by=event.entered_by, note=event.note, correlation_id=event.correlation_id,
        replaces=event.replaces,
    )


@dataclass(frozen=True)
class Advance:
    view: OrderView
    changed: bool
    why_not: str | None = None


def advance(view: OrderView, event: OrderEvent) -> Advance:
    """Apply a later event of the order to its view."""
    target = STATUS_OF_EVENT.get(type(event))
    if target is None or target is OrderStatus.PLACED:
        return Advance(view, False, f"{event.type} does not change an order's status")
    if any(change.event_id == event.event_id for change in view.history):
        return Advance(view, False, "already applied")
    if target not in NEXT.get(view.status, set()):
        return Advance(view, False, f"an order {view.status.value} cannot become {target.value}")
    change = StatusChange(target, event.meta.occurred_at, event.event_id)
    updated = replace(view, history=view.history + (change,), **_details(view, event))
    return Advance(updated, True)


def move_part(view: OrderView, event: OrderDeliveryMoved) -> Advance:
    """A part of the confirmed order arrives on another day: the part's day, and the
    order's (its last part's), move; the status stays."""
    if view.status is not OrderStatus.CONFIRMED:
        return Advance(view, False, f"a part of an order {view.status.value} does not move")
    # A view confirmed before parts were kept: every shop's part on the order's day.
    known = view.parts or confirmed_parts(view.shops_in_order, view.delivery_day, (), view.compartment_ids)
    parts = after_move(known, view.delivery_day, event)
    return Advance(replace(view, parts=parts, delivery_day=order_day(parts, view.delivery_day)), True)


def _details(view: OrderView, event: OrderEvent) -> dict[str, Any]:
    """What each event adds to the view besides the status."""
    match event:
        case OrderConfirmed():
            return {"compartment_ids": tuple(event.compartment_ids),
                    "parts": confirmed_parts(view.shops_in_order, event.delivery_day, event.parts,
                                             event.compartment_ids)}
        case OrderRejected():
            return {"rejection": Rejection(event.reason, tuple(event.lines), event.message,
                                           tuple(event.alternatives))}
        case OrderCancelled():
            return {"cancel_reason": event.reason}
        case OrderReadyForPickup():
            return {"compartment_ids": tuple(event.compartment_ids), "collect_by": event.collect_by}
        case OrderCollected():
            paid = event.paid_at_pickup
            return {"paid_at_pickup_cents": paid.amount_cents if paid else None}
    return {}
