"""The places a shipment travels between, as the hub knows them: shops (from
catalog.shops) and pick-up points (from pickup.points). Only what planning a
shipment needs: name, location and when the place can be visited; the opening
hours are the events' own typed records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from nahnetz.records import GeoPoint, OpeningHours

from .opening_hours import Window, windows_on


@dataclass(frozen=True)
class Shop:
    shop_id: str
    name: str
    location: GeoPoint
    opening_hours: OpeningHours
    closed_for_good: bool = False

    def collection_windows(self, day: date, until: time | None = None) -> list[Window]:
        """When goods can be taken over at the shop on `day`: its opening hours."""
        if self.closed_for_good:
            return []
        return windows_on(self.opening_hours, day, until=until)


@dataclass(frozen=True)
class PickupPoint:
    pickup_point_id: str
    name: str
    kind: str  # LOCKER, COUNTER, OTHER
    location: GeoPoint
    opening_hours: OpeningHours | None  # None: open 24/7 (a locker)

    @property
    def always_open(self) -> bool:
        return self.opening_hours is None

    def delivery_windows(self, day: date) -> list[Window] | None:
        """When goods can be put in on `day`: [] means any time (24/7), None closed all day."""
        if self.opening_hours is None:
            return []
        windows = windows_on(self.opening_hours, day)
        return windows or None
