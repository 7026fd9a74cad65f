"""Folding pickup.reservations into compartment use, and a point's day read back.

A compartment held for an order counts on its delivery day (not the day the hold
was made): `held:<compartment_id>` +1 per compartment, `reservations` +1 per order.
A hold given up before the day (order cancelled or rejected) is taken back; one
ended by collection or expiry was used and stays. A part arriving on another day
moves its hold. `full_refusals` counts orders refused because the point was FULL.

    fold_reservation(CompartmentReserved(...)) -> [Add(Cell(day, "point", id), "held:A-S01"), ...]
    point_day(counters, capacity, hours_open) -> derived counters for the KPIs

What the events lack: the hour a compartment is emptied (use is per day, not per
hour), so "peak occupancy" is the fullest day, not the fullest moment.
"""

from __future__ import annotations

from collections import Counter
from typing import Callable, Mapping

from nahnetz.records import CompartmentHoldMoved, CompartmentRejected, CompartmentReleased, CompartmentReserved
from nahnetz.records.base import EventRecord
from nahnetz.records.pickup import CompartmentRejectionReason, CompartmentReleaseReason

from .changes import POINT, Add, Cell, Change

# Holds given up before they were used: the compartment was free that day after all.
UNUSED = {CompartmentReleaseReason.CANCELLED, CompartmentReleaseReason.ORDER_REJECTED}
HELD = "held:"
AT = "at:"


def fold_reservation(event: EventRecord) -> list[Change]:
    if isinstance(event, CompartmentReserved):
        cell = Cell(event.delivery_day, POINT, event.pickup_point_id)
        return [Add(cell, "reservations"), *(Add(cell, HELD + c) for c in event.compartment_ids)]
    if isinstance(event, CompartmentReleased):
        if event.reason not in UNUSED:
            return []
        cell = Cell(event.delivery_day, POINT, event.pickup_point_id)
        return [Add(cell, "reservations", -1), *(Add(cell, HELD + c, -1) for c in event.compartment_ids)]
    if isinstance(event, CompartmentHoldMoved):
        before = Cell(event.from_day, POINT, event.pickup_point_id)
        after = Cell(event.to_day, POINT, event.pickup_point_id)
        return ([Add(before, HELD + c, -1) for c in event.released_compartment_ids]
                + [Add(after, HELD + c) for c in event.compartment_ids])
    if isinstance(event, CompartmentRejected) and event.reason is CompartmentRejectionReason.FULL:
        return [Add(Cell(event.delivery_day, POINT, event.pickup_point_id), "full_refusals")]
    return []


def point_day(counters: Mapping[str, float], compartments: Mapping[str, tuple[str, str]],
              shops_open_at: Callable[[str], bool] | None) -> Counter:
    """A point's day cell with what the KPIs need derived from it.

    `compartments`: the point's compartments, id -> (size, temperature class).
    `shops_open_at("HH:MM")`: whether a shop of the point's municipality is open
    then (None: the point is a staffed counter, collected only while open)."""
    out: Counter = Counter({k: v for k, v in counters.items() if not k.startswith((HELD, AT))})
    held = {k[len(HELD):] for k, v in counters.items() if k.startswith(HELD) and v > 0}
    held &= set(compartments)
    capacity = len(compartments)
    out["point_days"] = 1
    out["capacity"] = capacity
    out["held"] = len(held)
    for compartment, (size, temperature) in compartments.items():
        out[f"capacity:{size}"] += 1
        out[f"capacity:{temperature}"] += 1
        if compartment in held:
            out[f"held:{size}"] += 1
            out[f"held:{temperature}"] += 1
    if capacity and (len(held) >= capacity or counters.get("full_refusals", 0) > 0):
        out["days_full"] = 1
    if shops_open_at is not None:
        for key, count in counters.items():
            if key.startswith(AT) and count > 0:
                out["collected_timed"] += count
                if not shops_open_at(key[len(AT):]):
                    out["collected_outside_hours"] += count
    return out


def occupancy(day_cell: Mapping[str, float]) -> float | None:
    """Share of the point's compartments held that day (for the peak)."""
    capacity = day_cell.get("capacity", 0)
    return day_cell.get("held", 0) / capacity if capacity else None
