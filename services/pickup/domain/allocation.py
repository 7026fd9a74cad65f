"""Which compartments of a pick-up point hold an order's goods on a day.

Per temperature class, the goods are packed into the compartments of that class
that are free on the day: first-fit decreasing, where a new compartment is the
smallest free one that takes everything still to place, else the largest free
one. A line may be split by its units across compartments (three of six bottles
in one, three in the next), never a unit itself. Weights do not matter for
compartments.

The lines are the order's own `OrderLine` records (or `Goods` in tests): only
their temperature class, volume, quantity and shop matter here. Each shop's part
of the order learns which compartments its goods went into (`Reserved.parts`;
parts may share one), so a driver bringing one part is told only its own.

A part that arrives on another day moves its hold (`move_hold`): to the same
compartments where they are free that day, else to free ones of the same
temperature class and at least the same size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Collection, Iterable, Mapping, Protocol, Sequence

from .points import TEMPERATURE_CLASSES, Compartment, PickupPoint

# A line of 1000 "g" would otherwise become 1000 items; units are grouped beyond this.
MAX_ITEMS_PER_LINE = 50

# An order's reservation status (`pickup:order:<order_id>`).
RESERVED = "reserved"
REJECTED = "rejected"
RELEASED = "released"

# What frees an order's compartments, as a CompartmentReleaseReason symbol.
RELEASE_REASONS = {
    "OrderRejected": "ORDER_REJECTED",
    "OrderCancelled": "CANCELLED",
    "OrderExpired": "EXPIRED",
    "ParcelCollected": "COLLECTED",
    "ParcelExpired": "EXPIRED",
}


class GoodsLine(Protocol):
    """What one order line needs: its temperature class and volume (an `OrderLine` is one)."""

    @property
    def temperature_class(self) -> str: ...

    @property
    def volume_ml(self) -> int: ...

    @property
    def quantity(self) -> int: ...

    @property
    def shop_id(self) -> str: ...


@dataclass(frozen=True)
class Goods:
    """A line written down by hand (tests, tools)."""

    temperature_class: str
    volume_ml: int
    quantity: int = 1
    shop_id: str = ""


def pieces(line: GoodsLine) -> list[int]:
    """The line as the pieces that can go into different compartments."""
    count = max(1, min(line.quantity, MAX_ITEMS_PER_LINE))
    # A line without volume still needs a place of its class.
    volume = max(line.volume_ml, 1)
    base, rest = divmod(volume, count)
    sizes = (base + (1 if i < rest else 0) for i in range(count))
    return [size for size in sizes if size > 0]


@dataclass(frozen=True)
class Reserved:
    compartment_ids: tuple[str, ...]
    # shop id -> the compartments its part's goods go into (a compartment may serve two parts)
    parts: Mapping[str, tuple[str, ...]] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Rejected:
    reason: str  # a CompartmentRejectionReason symbol
    temperature_class: str | None = None


Allocation = Reserved | Rejected


class InvalidGoods(ValueError):
    """The order's lines cannot be right (negative volume, no quantity, unknown class)."""


def check_goods(goods: Sequence[GoodsLine]) -> None:
    if not goods:
        raise InvalidGoods("the order has no lines")
    for g in goods:
        if g.volume_ml < 0:
            raise InvalidGoods(f"a line has a negative volume ({g.volume_ml} ml)")
        if g.quantity <= 0:
            raise InvalidGoods(f"a line has no positive quantity ({g.quantity})")
        if g.temperature_class not in TEMPERATURE_CLASSES:
            raise InvalidGoods(f"unknown temperature class {g.temperature_class!r}")


def decide_compartments(point: PickupPoint | None, occupied: Collection[str], goods: Sequence[GoodsLine],
                        day: date) -> Allocation:
    """The decision for an order at a point on its delivery day (`point` None: not known here)."""
    if point is None:
        return Rejected("UNKNOWN_PICKUP_POINT")
    if not point.in_service:
        return Rejected("OUT_OF_SERVICE")
    if not point.takes_orders_on(day):
        return Rejected("CLOSED_ON_DAY")
    return allocate(point.compartments, occupied, goods)


def allocate(compartments: Sequence[Compartment], occupied: Collection[str],
             goods: Sequence[GoodsLine]) -> Allocation:
    """Compartments for `goods` among those not `occupied` on the day, or why not."""
    check_goods(goods)
    chosen: list[str] = []
    parts: dict[str, list[str]] = {}
    for temperature in TEMPERATURE_CLASSES:
        items = sorted(((v, getattr(g, "shop_id", "")) for g in goods if g.temperature_class == temperature
                        for v in pieces(g)), reverse=True)
        if not items:
            continue
        of_class = [c for c in compartments if c.temperature_class == temperature]
        if not of_class:
            return Rejected("NO_TEMPERATURE_CLASS", temperature)
        if items[0][0] > max(c.volume_ml for c in of_class):
            return Rejected("TOO_LARGE", temperature)
        free = [c for c in of_class if c.compartment_id not in occupied]
        packed = pack_owned(items, free)
        if packed is None:
            return Rejected("FULL", temperature)
        for compartment_id, owners in packed:
            chosen.append(compartment_id)
            for owner in sorted(owners):
                parts.setdefault(owner, []).append(compartment_id)
    return Reserved(tuple(chosen), {shop: tuple(ids) for shop, ids in parts.items()})


def pack(items: Sequence[int], free: Iterable[Compartment]) -> list[str] | None:
    """First-fit decreasing of item volumes into free compartments; None when they do not fit."""
    packed = pack_owned([(item, "") for item in items], free)
    return None if packed is None else [compartment_id for compartment_id, _ in packed]


def pack_owned(items: Sequence[tuple[int, str]], free: Iterable[Compartment]) -> list[tuple[str, set[str]]] | None:
    """`pack` of (volume, owner) items: each opened compartment with the owners of what went in."""
    unopened = sorted(free, key=lambda c: (c.volume_ml, c.compartment_id))
    opened: list[tuple[str, int, set[str]]] = []  # (compartment id, volume left, owners)
    items = sorted(items, key=lambda item: item[0], reverse=True)
    for index, (item, owner) in enumerate(items):
        for slot, (compartment_id, left, owners) in enumerate(opened):
            if left >= item:
                opened[slot] = (compartment_id, left - item, owners | {owner})
                break
        else:
            fitting = [c for c in unopened if c.volume_ml >= item]
            if not fitting:
                return None
            still_to_place = sum(size for size, _ in items[index:])
            takes_all = [c for c in fitting if c.volume_ml >= still_to_place]
            pick = takes_all[0] if takes_all else max(fitting, key=lambda c: c.volume_ml)
            unopened.remove(pick)
            opened.append((pick.compartment_id, pick.volume_ml - item, {owner}))
    return [(compartment_id, owners) for compartment_id, _, owners in opened]


@dataclass(frozen=True)
class HoldMoved:
    """Where a part's hold goes on its new day (`compartment_ids`), and what is free again on the old day."""

    released: tuple[str, ...]
    compartment_ids: tuple[str, ...]
    missing: tuple[str, ...] = ()  # the part's compartments for which the new day has no equal


def move_hold(compartments: Sequence[Compartment], part: Sequence[str], still_needed_on_old_day: Collection[str],
              occupied_on_new_day: Mapping[str, str], order_id: str) -> HoldMoved:
    """Move a part's compartments (`part`) to its new day: each to itself where it is free
    that day (or held for this order already), else to the smallest free one of its
    temperature class that is at least as large. On the old day, release those no other
    part of the order still needs there."""
    by_id = {c.compartment_id: c for c in compartments}
    taken = {c for c, holder in occupied_on_new_day.items() if holder != order_id}
    chosen: list[str] = []
    missing: list[str] = []
    for compartment_id in part:
        own = by_id.get(compartment_id)
        if compartment_id not in taken and compartment_id not in chosen:
            chosen.append(compartment_id)
            continue
        equals = sorted((c for c in compartments
                         if own is not None and c.temperature_class == own.temperature_class
                         and c.volume_ml >= own.volume_ml and c.compartment_id not in taken
                         and c.compartment_id not in chosen and c.compartment_id not in part),
                        key=lambda c: (c.volume_ml, c.compartment_id))
        if equals:
            chosen.append(equals[0].compartment_id)
        else:
            missing.append(compartment_id)
    released = tuple(c for c in part if c not in set(still_needed_on_old_day))
    return HoldMoved(released, tuple(chosen), tuple(missing))


def held_by(occupancy: Mapping[str, str], order_id: str) -> list[str]:
    """The compartments an order holds on a day (occupancy: compartment id -> order id)."""
    return sorted(c for c, holder in occupancy.items() if holder == order_id)


def free_by_class(compartments: Sequence[Compartment], occupied: Collection[str]) -> dict[str, dict[str, int]]:
    """Free and total compartments (and free volume) per temperature class present."""
    summary: dict[str, dict[str, int]] = {}
    for c in compartments:
        entry = summary.setdefault(c.temperature_class, {"free": 0, "total": 0, "free_volume_ml": 0})
        entry["total"] += 1
        if c.compartment_id not in occupied:
            entry["free"] += 1
            entry["free_volume_ml"] += c.volume_ml
    return {t: summary[t] for t in TEMPERATURE_CLASSES if t in summary}
