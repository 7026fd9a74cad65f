"""From a confirmed order to shipments: one per shop, collected at the shop and
brought to the order's pick-up point.

When goods are collected (the rule the hub publishes as `pickup_windows`):
- on the delivery day itself, between the shop's opening and the latest
  collection time (default 15:00 local); routing consolidates the day's goods
  through the hub (one collection per shop, one delivery per pick-up point) or
  drives them straight to the point where the hub would be a detour;
- if the shop is closed that day, on its last open day before (at most
  `max_days_in_hub` days before, never before the day after confirmation): the
  goods are kept at the hub (Logistikport HX) and delivered from there on the
  delivery day;
- if neither is possible, or the pick-up point (a counter) is closed on the
  delivery day, on the next day the shop and the point are both open: the
  delivery day moves, and the request says from which day and why
  (`moved_from`, `move_reason`), so the order and the pick-up point follow.
A collection that fails at the shop (closed, goods not found) is requested again
for the next possible day in the same way, with `attempt` + 1.

Each shop's part goes into the compartments reserved for its goods (the order's
`parts`), so a driver is told only the compartments of what they carry.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from typing import Any, Iterable, Mapping, Sequence

from nahnetz.records import (DeliveryMoveReason, OrderLine, OrderPlaced, ShipmentItem, ShipmentRequested,
                             TemperatureClass)

from .opening_hours import Window, local_day, windows_of
from .places import PickupPoint, Shop

TEMPERATURE_ORDER = (TemperatureClass.AMBIENT, TemperatureClass.CHILLED, TemperatureClass.FROZEN)  # strictest last


@dataclass(frozen=True)
class CollectionRules:
    latest_on_delivery_day: time = time(15, 0)
    max_days_in_hub: int = 6
    reschedule_horizon_days: int = 14


# -- the placed order (the typed OrderPlaced, with point and day as confirmed) ----------------
def shop_ids(order: OrderPlaced) -> tuple[str, ...]:
    """The shops of the order, in the order their first line appears."""
    return tuple(dict.fromkeys(line.shop_id for line in order.lines))


def lines_of(order: OrderPlaced, shop_id: str) -> tuple[OrderLine, ...]:
    return tuple(line for line in order.lines if line.shop_id == shop_id)


def order_problems(order: OrderPlaced) -> list[str]:
    """What keeps the hub from carrying the order (an OrderPlaced that breaks the flow)."""
    found = []
    if not order.lines:
        found.append("the order has no lines")
    for line in order.lines:
        if not line.shop_id:
            found.append(f"line {line.product_id} names no shop")
        if line.weight_g < 0 or line.volume_ml < 0 or line.quantity <= 0:
            found.append(f"line {line.product_id} has a negative weight or volume or no quantity")
    return found


@dataclass(frozen=True)
class CollectionPlan:
    collection_day: date
    delivery_day: date
    pickup_windows: tuple[Window, ...]
    delivery_windows: tuple[Window, ...]  # empty: any time (a 24/7 locker)
    moved_from: date | None = None  # the day the goods were due on, when this plan moves them
    move_reason: DeliveryMoveReason | None = None

    def moved(self, due_on: date, reason: DeliveryMoveReason) -> "CollectionPlan":
        """This plan, saying it moves goods due on `due_on` (nothing when it keeps that day)."""
        if self.delivery_day == due_on:
            return self
        return replace(self, moved_from=due_on, move_reason=reason)

    @property
    def via_hub(self) -> bool:
        """Collected on an earlier day and kept at the hub until the delivery day."""
        return self.collection_day < self.delivery_day


@dataclass(frozen=True)
class ShipmentRequest:
    """One shop's part of an order, as the hub asks for it to be carried."""

    shipment_id: str
    order_id: str
    shop: Shop
    point: PickupPoint
    compartment_ids: tuple[str, ...]
    plan: CollectionPlan
    weight_g: int
    volume_ml: int
    temperature_class: TemperatureClass
    items: tuple[ShipmentItem, ...]
    attempt: int = 1

    def event_fields(self) -> dict[str, Any]:
        """The fields of ShipmentRequested."""
        return {
            "shipment_id": self.shipment_id, "order_id": self.order_id, "shop_id": self.shop.shop_id,
            "pickup_point_id": self.point.pickup_point_id, "compartment_ids": list(self.compartment_ids),
            "delivery_day": self.plan.delivery_day, "weight_g": self.weight_g, "volume_ml": self.volume_ml,
            "temperature_class": self.temperature_class,
            "pickup_windows": [w.as_record() for w in self.plan.pickup_windows],
            "delivery_windows": [w.as_record() for w in self.plan.delivery_windows],
            "shop_location": self.shop.location, "pickup_point_location": self.point.location,
            "items": list(self.items), "attempt": self.attempt,
            "shop_name": self.shop.name, "pickup_point_name": self.point.name,
            "moved_from": self.plan.moved_from, "move_reason": self.plan.move_reason,
        }


@dataclass(frozen=True)
class Unplannable:
    """A shop's part of an order the hub cannot schedule; an operator must act."""

    shipment_id: str
    shop_id: str
    reason: str


def shipment_id(order_id: str, shop_id: str) -> str:
    """Deterministic, so a redelivered confirmation names the same shipment."""
    digest = hashlib.sha256(f"{order_id}\x1f{shop_id}".encode()).hexdigest()
    return f"shp-{digest[:20]}"


def strictest(classes: Iterable[str]) -> TemperatureClass:
    """The coldest class among the items: the shipment travels at that one."""
    return TemperatureClass(max(classes, key=TEMPERATURE_ORDER.index, default=TemperatureClass.AMBIENT))


def plan_collection(shop: Shop, point: PickupPoint, delivery_day: date, earliest_collection_day: date,
                    rules: CollectionRules) -> CollectionPlan | None:
    """The collection for goods wanted at the point on `delivery_day` (see the
    module's rules); None when the shop and the point have no common day within
    the horizon."""
    delivery = point.delivery_windows(delivery_day)
    if delivery is not None:
        if delivery_day >= earliest_collection_day:
            same_day = shop.collection_windows(delivery_day, until=rules.latest_on_delivery_day)
            if same_day:
                return CollectionPlan(delivery_day, delivery_day, tuple(same_day), tuple(delivery))
        for back in range(1, rules.max_days_in_hub + 1):
            day = delivery_day - timedelta(days=back)
            if day < earliest_collection_day:
                break
            windows = shop.collection_windows(day)
            if windows:
                return CollectionPlan(day, delivery_day, tuple(windows), tuple(delivery))
    later = next_common_day(shop, point, max(delivery_day, earliest_collection_day - timedelta(days=1)), rules)
    why = DeliveryMoveReason.PICKUP_POINT_CLOSED if delivery is None else DeliveryMoveReason.SHOP_CLOSED
    return later.moved(delivery_day, why) if later else None


def next_common_day(shop: Shop, point: PickupPoint, after: date, rules: CollectionRules) -> CollectionPlan | None:
    """The first day after `after` on which the goods can be collected and delivered."""
    for ahead in range(1, rules.reschedule_horizon_days + 1):
        day = after + timedelta(days=ahead)
        delivery = point.delivery_windows(day)
        if delivery is None:
            continue
        windows = shop.collection_windows(day, until=rules.latest_on_delivery_day)
        if windows:
            return CollectionPlan(day, day, tuple(windows), tuple(delivery))
    return None


def reschedule_after_missed_collection(shop: Shop, point: PickupPoint, delivery_day: date, missed_on: date,
                                       rules: CollectionRules) -> CollectionPlan | None:
    """After a failed collection on `missed_on`: the next open day of the shop that
    still keeps the delivery day, else the next day both are open (the delivery
    day moves)."""
    delivery = point.delivery_windows(delivery_day)
    day = missed_on + timedelta(days=1)
    while delivery is not None and day <= delivery_day:
        until = rules.latest_on_delivery_day if day == delivery_day else None
        windows = shop.collection_windows(day, until=until)
        if windows:
            return CollectionPlan(day, delivery_day, tuple(windows), tuple(delivery))
        day += timedelta(days=1)
    later = next_common_day(shop, point, max(delivery_day, missed_on), rules)
    return later.moved(delivery_day, DeliveryMoveReason.MISSED_COLLECTION) if later else None


def shipment_for_shop(order: OrderPlaced, shop: Shop, point: PickupPoint, compartment_ids: Iterable[str],
                      earliest_collection_day: date, rules: CollectionRules) -> ShipmentRequest | Unplannable:
    """The shop's part of the order (its pick-up point and delivery day as
    confirmed, `compartment_ids` those of its goods): weight and volume summed over
    its lines, the strictest temperature class, the packing list and the collection
    plan."""
    sid = shipment_id(order.order_id, shop.shop_id)
    lines = lines_of(order, shop.shop_id)
    if not lines:
        return Unplannable(sid, shop.shop_id, f"order {order.order_id} has no line of shop {shop.shop_id}")
    plan = plan_collection(shop, point, order.delivery_day, earliest_collection_day, rules)
    if plan is None:
        return Unplannable(
            sid, shop.shop_id,
            f"shop {shop.name} and pick-up point {point.name} have no common open day within "
            f"{rules.reschedule_horizon_days} days of {order.delivery_day.isoformat()}")
    return ShipmentRequest(
        shipment_id=sid, order_id=order.order_id, shop=shop, point=point,
        compartment_ids=tuple(compartment_ids), plan=plan,
        weight_g=sum(line.weight_g for line in lines), volume_ml=sum(line.volume_ml for line in lines),
        temperature_class=strictest(line.temperature_class for line in lines),
        items=tuple(ShipmentItem(product_id=line.product_id, product_name=line.product_name,
                                 quantity=line.quantity, unit=line.unit) for line in lines),
    )


def rescheduled(previous: ShipmentRequested, shop: Shop, point: PickupPoint, missed_on: date,
                rules: CollectionRules) -> ShipmentRequest | None:
    """The request after a missed collection: same shipment, next possible day,
    attempt + 1. `previous` is the current ShipmentRequested."""
    plan = reschedule_after_missed_collection(shop, point, previous.delivery_day, missed_on, rules)
    if plan is None:
        return None
    return ShipmentRequest(
        shipment_id=previous.shipment_id, order_id=previous.order_id, shop=shop, point=point,
        compartment_ids=tuple(previous.compartment_ids), plan=plan, weight_g=previous.weight_g,
        volume_ml=previous.volume_ml, temperature_class=previous.temperature_class,
        items=tuple(previous.items), attempt=previous.attempt + 1,
    )


def collection_day_of(request: ShipmentRequested) -> date | None:
    """The local day of a ShipmentRequested's first collection window."""
    windows = windows_of(request.pickup_windows)
    return local_day(min(windows).start) if windows else None


def part_compartments(parts: Mapping[str, Sequence[str]], shop_id: str, all_of_order: Sequence[str]) -> tuple[str, ...]:
    """The compartments of the shop's part; all of the order's when the confirmation
    told no parts (older events)."""
    return tuple(parts.get(shop_id) or all_of_order)
