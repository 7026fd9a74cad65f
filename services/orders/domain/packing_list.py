"""What a shop packs for a delivery day: its lines of the confirmed orders for that
day, grouped by order (with the pick-up point the parcel goes to), and the total
of each product, so the shop can take the goods off the shelf once. The day is
the shop's part's: when the hub moved it, the order is packed for the new day.

Orders that were confirmed and not cancelled count, also once they are in the
locker or collected: the list of a past day still shows what was packed.
Residents are not named; the order reference is enough for the label.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable, Mapping

from .lifecycle import OrderStatus, OrderView

PACKED_STATUSES = frozenset({OrderStatus.CONFIRMED, OrderStatus.READY_FOR_PICKUP,
                             OrderStatus.COLLECTED, OrderStatus.EXPIRED})


@dataclass(frozen=True)
class PackingLine:
    product_id: str
    product_name: str
    unit: str
    quantity: int
    temperature_class: str


@dataclass(frozen=True)
class PackedOrder:
    order_id: str
    order_ref: str
    status: str
    pickup_point_id: str
    pickup_point_name: str
    lines: tuple[PackingLine, ...]
    weight_g: int
    volume_ml: int


@dataclass(frozen=True)
class ProductTotal:
    product_id: str
    product_name: str
    unit: str
    quantity: int
    orders: int


@dataclass(frozen=True)
class PackingList:
    shop_id: str
    day: date
    orders: tuple[PackedOrder, ...]
    totals: tuple[ProductTotal, ...]


def order_ref(order_id: str) -> str:
    """A short reference for labels and phone calls."""
    return order_id.replace("-", "")[:8].upper()


def build_packing_list(shop_id: str, day: date, orders: Iterable[OrderView],
                       point_names: Mapping[str, str] | None = None) -> PackingList:
    names = point_names or {}
    packed: list[PackedOrder] = []
    totals: dict[str, ProductTotal] = {}
    for order in orders:
        lines = order.lines_of_shop(shop_id)
        if order.part_day(shop_id) != day or order.status not in PACKED_STATUSES or not lines:
            continue
        packed.append(PackedOrder(
            order_id=order.order_id, order_ref=order_ref(order.order_id), status=order.status.value,
            pickup_point_id=order.pickup_point_id,
            pickup_point_name=names.get(order.pickup_point_id, order.pickup_point_id),
            lines=tuple(PackingLine(line.product_id, line.product_name, line.unit, line.quantity,
                                    line.temperature_class) for line in lines),
            weight_g=sum(line.weight_g for line in lines), volume_ml=sum(line.volume_ml for line in lines),
        ))
        for line in lines:
            before = totals.get(line.product_id)
            totals[line.product_id] = ProductTotal(
                line.product_id, line.product_name, line.unit,
                line.quantity + (before.quantity if before else 0), 1 + (before.orders if before else 0))
    packed.sort(key=lambda o: (o.pickup_point_name, o.order_id))
    return PackingList(shop_id, day, tuple(packed),
                       tuple(sorted(totals.values(), key=lambda t: (t.product_name, t.product_id))))
