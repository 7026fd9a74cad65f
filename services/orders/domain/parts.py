"""An order's parts: one per shop, each carried by the hub as one shipment into the
compartments reserved for its goods, each with its own delivery day.

A confirmed order's parts are all due on its delivery day. When the hub moves a
shop's shipment to another day (the shop cannot hand the goods over in time, the
counter is closed, the driver found the shop closed), the hub's ShipmentRequested
says so; `move_of` turns it into the order's OrderDeliveryMoved, once. The order's
own delivery day is then the day its last part arrives: it is ready for pick-up
(the pick-up service sends the code) only when every part is in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Iterable, Mapping, Sequence

from nahnetz.records import DeliveryMoveReason, OrderDeliveryMoved, OrderPart, ShipmentRequested


@dataclass(frozen=True)
class Part:
    shop_id: str
    delivery_day: date
    compartment_ids: tuple[str, ...] = ()
    moved_from: date | None = None    # the day it was due on before it last moved
    move_reason: str | None = None    # a DeliveryMoveReason symbol

    def to_dict(self) -> dict[str, Any]:
        return {"shop_id": self.shop_id, "delivery_day": self.delivery_day.isoformat(),
                "compartment_ids": list(self.compartment_ids),
                "moved_from": self.moved_from.isoformat() if self.moved_from else None,
                "move_reason": self.move_reason}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Part":
        return cls(data["shop_id"], date.fromisoformat(data["delivery_day"]), tuple(data.get("compartment_ids") or ()),
                   date.fromisoformat(data["moved_from"]) if data.get("moved_from") else None,
                   data.get("move_reason"))


def confirmed_parts(shop_ids: Sequence[str], day: date, told: Iterable[OrderPart],
                    all_compartments: Sequence[str]) -> tuple[Part, ...]:
    """Each shop's part on the confirmed day, in its compartments (all of the order's when
    the confirmation told no parts)."""
    by_shop = {part.shop_id: tuple(part.compartment_ids) for part in told}
    return tuple(Part(shop, day, by_shop.get(shop) or tuple(all_compartments)) for shop in shop_ids)


def part_of(parts: Sequence[Part], shop_id: str, day: date) -> Part:
    """The shop's part; an order confirmed before parts were kept has all its parts on `day`."""
    return next((p for p in parts if p.shop_id == shop_id), Part(shop_id, day))


def order_day(parts: Sequence[Part], day: date) -> date:
    """The day the whole order is in: its last part's (`day` for an order without parts)."""
    return max((p.delivery_day for p in parts), default=day)


@dataclass(frozen=True)
class Move:
    """What OrderDeliveryMoved says."""

    shop_id: str
    shipment_id: str
    from_day: date
    to_day: date
    reason: DeliveryMoveReason


def move_of(parts: Sequence[Part], day: date, request: ShipmentRequested) -> Move | None:
    """The move a shipment request means for the order whose parts are `parts` (`day`:
    its delivery day), or None when the part keeps its day. The request's own
    `moved_from` is the day it was due on, when the hub says; else the part's day as
    the order knows it."""
    part = part_of(parts, request.shop_id, day)
    if request.delivery_day == part.delivery_day:
        return None
    return Move(request.shop_id, request.shipment_id, request.moved_from or part.delivery_day,
                request.delivery_day, request.move_reason or DeliveryMoveReason.OTHER)


def after_move(parts: Sequence[Part], day: date, event: OrderDeliveryMoved) -> tuple[Part, ...]:
    """The parts once the event's part arrives on its new day."""
    known = tuple(parts) or (Part(event.shop_id, day),)
    if not any(p.shop_id == event.shop_id for p in known):
        known += (Part(event.shop_id, day),)
    return tuple(replace(p, delivery_day=event.to_day, moved_from=event.from_day, move_reason=str(event.reason))
                 if p.shop_id == event.shop_id else p for p in known)
