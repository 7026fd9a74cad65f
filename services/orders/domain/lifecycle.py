"""An order's life: its status, the history of status changes, and which event
may move it where.

    PLACED ──► CONFIRMED ──► READY_FOR_PICKUP ──► COLLECTED
      │  │        │                 └──────────► EXPIRED
      │  └────────┴──► CANCELLED   (the resident or an operator, before the parcel is in the locker)
      └──► REJECTED

The read model is this view, projected from orders.orders in topic order. An
event that does not fit the current status (a late OrderConfirmed after a
cancellation) changes nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from enum import Enum
from typing import Any, Mapping

from .placement import PricedLine


class OrderStatus(str, Enum):
    PLACED = "PLACED"
    CONFIRMED = "CONFIRMED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"
    READY_FOR_PICKUP = "READY_FOR_PICKUP"
    COLLECTED = "COLLECTED"
    EXPIRED = "EXPIRED"


STATUS_OF_EVENT = {
    "OrderPlaced": OrderStatus.PLACED,
    "OrderConfirmed": OrderStatus.CONFIRMED,
    "OrderRejected": OrderStatus.REJECTED,
    "OrderCancelled": OrderStatus.CANCELLED,
    "OrderReadyForPickup": OrderStatus.READY_FOR_PICKUP,
    "OrderCollected": OrderStatus.COLLECTED,
    "OrderExpired": OrderStatus.EXPIRED,
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
class RejectedLine:
    product_id: str
    shop_id: str
    reason: str          # nahnetz.catalog.StockRejectionReason
    available: int | None = None


@dataclass(frozen=True)
class Rejection:
    reason: str          # nahnetz.orders.OrderRejectionReason
    lines: tuple[RejectedLine, ...] = ()
    message: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"reason": self.reason, "lines": [asdict(line) for line in self.lines], "message": self.message}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Rejection":
        return cls(data["reason"], tuple(RejectedLine(**line) for line in data.get("lines", [])),
                   data.get("message"))


@dataclass(frozen=True)
class OrderView:
    order_id: str
    resident_id: str
    lines: tuple[PricedLine, ...]
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
    def goods_cents(self) -> int:
        return sum(line.total_cents for line in self.lines)

    def lines_of_shop(self, shop_id: str) -> tuple[PricedLine, ...]:
        return tuple(line for line in self.lines if line.shop_id == shop_id)

    def product_name(self, product_id: str) -> str:
        return next((line.product_name for line in self.lines if line.product_id == product_id), product_id)

    # -- storage ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            lines=[asdict(line) for line in self.lines],
            delivery_day=self.delivery_day.isoformat(),
            placed_at=self.placed_at.isoformat(),
            history=[change.to_dict() for change in self.history],
            compartment_ids=list(self.compartment_ids),
            rejection=self.rejection.to_dict() if self.rejection else None,
            collect_by=self.collect_by.isoformat() if self.collect_by else None,
        )
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "OrderView":
        values = dict(data)
        values.update(
            lines=tuple(PricedLine(**line) for line in data["lines"]),
            delivery_day=date.fromisoformat(data["delivery_day"]),
            placed_at=datetime.fromisoformat(data["placed_at"]),
            history=tuple(StatusChange.from_dict(c) for c in data["history"]),
            compartment_ids=tuple(data.get("compartment_ids") or ()),
            rejection=Rejection.from_dict(data["rejection"]) if data.get("rejection") else None,
            collect_by=datetime.fromisoformat(data["collect_by"]) if data.get("collect_by") else None,
        )
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})


def line_from_record(record: Mapping[str, Any]) -> PricedLine:
    """An OrderLine record of OrderPlaced as a priced line."""
    price = record["unit_price"]
    return PricedLine(
        product_id=record["product_id"], shop_id=record["shop_id"], product_name=record["product_name"],
        unit=record["unit"], quantity=int(record["quantity"]), unit_price_cents=int(price["amount_cents"]),
        currency=price["currency"], vat_rate_bp=int(record["vat_rate_bp"]),
        temperature_class=record["temperature_class"], weight_g=int(record["weight_g"]),
        volume_ml=int(record["volume_ml"]),
    )


def placed_order(data: Mapping[str, Any]) -> OrderView:
    """The view of an order from its OrderPlaced event's fields (meta included)."""
    meta = data["meta"]
    placed_at: datetime = meta["occurred_at"]
    return OrderView(
        order_id=data["order_id"], resident_id=data["resident_id"],
        lines=tuple(line_from_record(r) for r in data["lines"]),
        pickup_point_id=data["pickup_point_id"], delivery_day=data["delivery_day"],
        payment_method=data["payment_method"], channel=data["channel"],
        delivery_fee_cents=int(data["delivery_fee"]["amount_cents"]),
        total_cents=int(data["total"]["amount_cents"]), currency=data["total"]["currency"],
        placed_at=placed_at, history=(StatusChange(OrderStatus.PLACED, placed_at, meta["event_id"]),),
        entered_by=data.get("entered_by"), note=data.get("note"), correlation_id=meta["correlation_id"],
    )


@dataclass(frozen=True)
class Advance:
    view: OrderView
    changed: bool
    why_not: str | None = None


def advance(view: OrderView, event_type: str, data: Mapping[str, Any]) -> Advance:
    """Apply a later event of the order (fields with meta) to its view."""
    target = STATUS_OF_EVENT.get(event_type)
    if target is None or target is OrderStatus.PLACED:
        return Advance(view, False, f"{event_type} does not change an order's status")
    meta = data["meta"]
    if any(change.event_id == meta["event_id"] for change in view.history):
        return Advance(view, False, "already applied")
    if target not in NEXT.get(view.status, set()):
        return Advance(view, False, f"an order {view.status.value} cannot become {target.value}")
    change = StatusChange(target, meta["occurred_at"], meta["event_id"])
    updated = replace(view, history=view.history + (change,), **_details(target, data))
    return Advance(updated, True)


def _details(status: OrderStatus, data: Mapping[str, Any]) -> dict[str, Any]:
    """What each event adds to the view besides the status."""
    if status is OrderStatus.CONFIRMED:
        return {"compartment_ids": tuple(data["compartment_ids"])}
    if status is OrderStatus.REJECTED:
        lines = tuple(RejectedLine(line["product_id"], line["shop_id"], line["reason"], line.get("available"))
                      for line in data.get("lines", ()))
        return {"rejection": Rejection(data["reason"], lines, data.get("message"))}
    if status is OrderStatus.CANCELLED:
        return {"cancel_reason": data.get("reason")}
    if status is OrderStatus.READY_FOR_PICKUP:
        return {"compartment_ids": tuple(data["compartment_ids"]), "collect_by": data["collect_by"]}
    if status is OrderStatus.COLLECTED:
        paid = data.get("paid_at_pickup")
        return {"paid_at_pickup_cents": int(paid["amount_cents"]) if paid else None}
    return {}
