"""From the parcel's life at the pick-up point to the order's: each order event
once, whatever pickup sends twice.

    ParcelDeposited -> OrderReadyForPickup   (once)
    ParcelCollected -> OrderCollected        (once, unless the parcel expired)
    ParcelExpired   -> OrderExpired          (once, unless it was collected)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping

from nahnetz.records import (OrderCollected, OrderExpired, OrderReadyForPickup, ParcelCollected, ParcelDeposited,
                             ParcelExpired)

OrderEventType = type[OrderReadyForPickup] | type[OrderCollected] | type[OrderExpired]


@dataclass(frozen=True)
class ParcelProgress:
    ready: bool = False
    collected: bool = False
    expired: bool = False

    def to_dict(self) -> dict[str, Any]:
        return vars(self).copy()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ParcelProgress":
        return cls(**{k: bool(data.get(k)) for k in ("ready", "collected", "expired")})


def next_order_event(progress: ParcelProgress, parcel_event: type) -> tuple[ParcelProgress, OrderEventType | None]:
    """The type of order event a type of parcel event leads to (None: nothing new),
    and the progress after."""
    if parcel_event is ParcelDeposited and not progress.ready:
        return replace(progress, ready=True), OrderReadyForPickup
    finished = progress.collected or progress.expired
    if parcel_event is ParcelCollected and not finished:
        return replace(progress, collected=True), OrderCollected
    if parcel_event is ParcelExpired and not finished:
        return replace(progress, expired=True), OrderExpired
    return progress, None
