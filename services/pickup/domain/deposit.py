"""Depositing an order's parcel: whether it may go in, into which compartments,
and until when it waits.

The order must hold compartments (its reservation decided RESERVED). The goods
go into the reserved compartments, unless the depositor names others of the same
point that are free that day or held for this very order. Two checks, because the
handler reads the point and the day's occupancy only for an order reserved somewhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Mapping, Sequence

from nahnetz.kit.errors import Conflict, NotFound, Unprocessable

from .allocation import RESERVED
from .expiry import expires_at
from .points import PickupPoint


@dataclass(frozen=True)
class Reservation:
    """What the service knows of an order (`pickup:order:<order_id>`): written when it
    was placed (point, day, resident, flow) and when its compartments were decided."""

    order_id: str
    pickup_point_id: str | None = None
    status: str | None = None
    delivery_day: str = ""
    resident_id: str = ""
    correlation_id: str | None = None
    compartment_ids: tuple[str, ...] = ()

    @classmethod
    def from_record(cls, order_id: str, record: Mapping[str, str]) -> "Reservation":
        return cls(order_id, record.get("pickup_point_id") or None, record.get("status"),
                   record.get("delivery_day", ""), record.get("resident_id", ""), record.get("correlation_id"),
                   tuple(json.loads(record.get("compartment_ids") or "[]")))


@dataclass(frozen=True)
class DepositPlan:
    compartment_ids: list[str]
    doors: list[str]
    expires_at: datetime


def check_reserved(reservation: Reservation) -> str:
    """The point the order's compartments are reserved at; 404 or 409 otherwise."""
    if not reservation.pickup_point_id:
        raise NotFound(f"no compartment reservation is known for order {reservation.order_id}")
    if reservation.status != RESERVED:
        raise Conflict(f"order {reservation.order_id} holds no compartments (its reservation is "
                       f"{reservation.status or 'not decided yet'}); nothing can be deposited")
    return reservation.pickup_point_id


def plan_deposit(reservation: Reservation, point: PickupPoint | None, occupancy: Mapping[str, str],
                 requested: Sequence[str] | None, now: datetime, expiry_seconds: int | None) -> DepositPlan:
    """Where the goods go and the deadline, for a reserved order (`occupancy`: the day's
    compartment id -> order id)."""
    if point is None:
        raise NotFound(f"pick-up point {reservation.pickup_point_id} is not known")
    chosen = list(dict.fromkeys(requested)) if requested else list(reservation.compartment_ids)
    unknown = [c for c in chosen if point.compartment(c) is None]
    if unknown:
        raise Unprocessable(f"pick-up point {point.pickup_point_id} has no compartment(s) {', '.join(unknown)}")
    taken = [c for c in chosen if occupancy.get(c) not in (None, reservation.order_id)]
    if taken:
        raise Conflict(f"compartment(s) {', '.join(taken)} are held for another order that day")
    return DepositPlan(chosen, point.doors(chosen), expires_at(now, point.hold_days, expiry_seconds))
