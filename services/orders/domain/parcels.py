"""From the parcel's life at the pick-up point to the order's: each order event
once, whatever pickup sends twice.

    ParcelDeposited -> OrderReadyForPickup   (once)
    ParcelCollected -> OrderCollected        (once, unless the parcel expired)
    ParcelExpired   -> OrderExpired          (once, unless it was collected)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping

ORDER_EVENT_OF = {
    "ParcelDeposited": "OrderReadyForPickup",
    "ParcelCollected": "OrderCollected",
    "ParcelExpired": "OrderExpired",
}


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


def next_order_event(progress: ParcelProgress, parcel_event: str) -> tuple[ParcelProgress, str | None]:
    """The order event a parcel event leads to (None: nothing new), and the progress after."""
    if parcel_event == "ParcelDeposited" and not progress.ready:
        return replace(progress, ready=True), ORDER_EVENT_OF[parcel_event]
    finished = progress.collected or progress.expired
    if parcel_event == "ParcelCollected" and not finished:
        return replace(progress, collected=True), ORDER_EVENT_OF[parcel_event]
    if parcel_event == "ParcelExpired" and not finished:
        return replace(progress, expired=True), ORDER_EVENT_OF[parcel_event]
    return progress, None
