"""Depositing an order's parcel: whether it may go in, into which compartments,
and until when it waits.

The order must hold compartments (its reservation decided RESERVED). The goods
go into the reserved compartments, unless the depositor names others of the same
point that are free that day or held for this very order. Two checks, because the
handler reads the point and the day's occupancy only for an order reserved somewhere.

An order of several shops comes in parts (one shipment per shop), possibly on
different days. A delivered part goes into its own compartments and waits; the
parcel (its code, the resident's message, the order ready for pick-up) is
deposited only once every part is in (`parts_missing`), so no code opens a
compartment before the whole order is there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Collection, Mapping, Sequence

from nahnetz.kit.errors import Conflict, NotFound, Unprocessable

from .allocation import RESERVED
from .expiry import expires_at
from .points import PickupPoint


@dataclass(frozen=True)
class PartHold:
    """Where one shop's part of an order is held: the day and its compartments."""

    day: str
    compartment_ids: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {"day": self.day, "compartment_ids": list(self.compartment_ids)}


@dataclass(frozen=True)
class Reservation:
    """What the service knows of an order (`pickup:order:<order_id>`): written when it
    was placed (point, day, resident, flow, its shops), when its compartments were
    decided (per part), when a part moved to another day and when a part was delivered.
    `delivery_day` is the day its last part arrives."""

    order_id: str
    pickup_point_id: str | None = None
    status: str | None = None
    delivery_day: str = ""
    resident_id: str = ""
    correlation_id: str | None = None
    compartment_ids: tuple[str, ...] = ()
    shops: tuple[str, ...] = ()                  # the order's parts (empty: not told, one whole)
    parts: Mapping[str, PartHold] = field(default_factory=dict)
    delivered: tuple[str, ...] = ()              # parts in their compartments so far

    @classmethod
    def from_record(cls, order_id: str, record: Mapping[str, str]) -> "Reservation":
        parts = {shop: PartHold(hold["day"], tuple(hold["compartment_ids"]))
                 for shop, hold in json.loads(record.get("parts") or "{}").items()}
        return cls(order_id, record.get("pickup_point_id") or None, record.get("status"),
                   record.get("delivery_day", ""), record.get("resident_id", ""), record.get("correlation_id"),
                   tuple(json.loads(record.get("compartment_ids") or "[]")),
                   tuple(json.loads(record.get("shops") or "[]")), parts,
                   tuple(json.loads(record.get("delivered") or "[]")))

    def part(self, shop_id: str) -> PartHold:
        """Where the shop's part is held; the whole order's hold when parts were not told."""
        return self.parts.get(shop_id) or PartHold(self.delivery_day, self.compartment_ids)

    def held_on(self) -> dict[str, tuple[str, ...]]:
        """Day -> the compartments the order holds that day."""
        if not self.parts:
            return {self.delivery_day: self.compartment_ids} if self.delivery_day else {}
        days: dict[str, list[str]] = {}
        for hold in self.parts.values():
            held = days.setdefault(hold.day, [])
            held.extend(c for c in hold.compartment_ids if c not in held)
        return {day: tuple(ids) for day, ids in sorted(days.items())}


def parts_record(parts: Mapping[str, PartHold]) -> dict[str, str]:
    """The order record's fields for its parts' holds: each part, all compartments, the last day."""
    compartments = list(dict.fromkeys(c for hold in parts.values() for c in hold.compartment_ids))
    return {"parts": json.dumps({shop: hold.to_json() for shop, hold in parts.items()}),
            "compartment_ids": json.dumps(compartments),
            "delivery_day": max(hold.day for hold in parts.values())}


def parts_missing(reservation: Reservation, delivered: Collection[str]) -> tuple[str, ...]:
    """The order's parts not in their compartments yet, `delivered` being those that are.
    An order whose parts were never told (or of one shop) is whole with its first delivery."""
    return tuple(shop for shop in reservation.shops if shop not in set(delivered))


def occupancy_for_deposit(reservation: Reservation, by_day: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """Compartment -> holder as a deposit judges it (`by_day`: each day's occupancy of
    the days the order holds something): the collection day's, where a compartment
    held for this order on any of its days counts as the order's (a part delivered
    earlier waits there)."""
    occupancy = dict(by_day.get(reservation.delivery_day, {}))
    for day, held in reservation.held_on().items():
        for compartment_id in held:
            if by_day.get(day, {}).get(compartment_id) == reservation.order_id:
                occupancy[compartment_id] = reservation.order_id
    return occupancy


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
