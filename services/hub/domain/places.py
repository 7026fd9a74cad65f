"""The places a shipment travels between, as the hub knows them: shops (from
catalog.shops) and pick-up points (from pickup.points). Only what planning a
shipment needs: name, location and when the place can be visited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Any, Mapping

from .opening_hours import OpeningHours, Window


@dataclass(frozen=True)
class Shop:
    shop_id: str
    name: str
    lat: float
    lon: float
    opening_hours: OpeningHours
    closed_for_good: bool = False

    @classmethod
    def from_event(cls, data: Mapping[str, Any]) -> Shop:
        """From ShopRegistered or ShopUpdated (both carry the whole profile)."""
        return cls(data["shop_id"], data["name"], data["location"]["lat"], data["location"]["lon"],
                   OpeningHours.from_record(data["opening_hours"]))

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Shop:
        return cls(doc["shop_id"], doc["name"], doc["lat"], doc["lon"],
                   OpeningHours.from_record(doc["opening_hours"]), doc.get("closed_for_good", False))

    def as_json(self) -> dict[str, Any]:
        return {"shop_id": self.shop_id, "name": self.name, "lat": self.lat, "lon": self.lon,
                "opening_hours": self.opening_hours.as_json(), "closed_for_good": self.closed_for_good}

    def collection_windows(self, day: date, until: time | None = None) -> list[Window]:
        """When goods can be taken over at the shop on `day`: its opening hours."""
        if self.closed_for_good:
            return []
        return self.opening_hours.windows_on(day, until=until)

    @property
    def location(self) -> dict[str, float]:
        return {"lat": self.lat, "lon": self.lon}


@dataclass(frozen=True)
class PickupPoint:
    pickup_point_id: str
    name: str
    kind: str  # LOCKER, COUNTER, OTHER
    lat: float
    lon: float
    opening_hours: OpeningHours | None  # None: open 24/7 (a locker)

    @classmethod
    def from_event(cls, data: Mapping[str, Any]) -> PickupPoint:
        """From PickupPointRegistered or PickupPointUpdated."""
        hours = data.get("opening_hours")
        return cls(data["pickup_point_id"], data["name"], data.get("kind") or "OTHER",
                   data["location"]["lat"], data["location"]["lon"],
                   None if hours is None else OpeningHours.from_record(hours))

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> PickupPoint:
        hours = doc.get("opening_hours")
        return cls(doc["pickup_point_id"], doc["name"], doc["kind"], doc["lat"], doc["lon"],
                   None if hours is None else OpeningHours.from_record(hours))

    def as_json(self) -> dict[str, Any]:
        return {"pickup_point_id": self.pickup_point_id, "name": self.name, "kind": self.kind,
                "lat": self.lat, "lon": self.lon,
                "opening_hours": None if self.opening_hours is None else self.opening_hours.as_json()}

    @property
    def always_open(self) -> bool:
        return self.opening_hours is None

    def delivery_windows(self, day: date) -> list[Window] | None:
        """When goods can be put in on `day`: [] means any time (24/7), None closed all day."""
        if self.opening_hours is None:
            return []
        windows = self.opening_hours.windows_on(day)
        return windows or None

    @property
    def location(self) -> dict[str, float]:
        return {"lat": self.lat, "lon": self.lon}
