"""Routing's view of the hub's shipments and the figures planning uses (pure).

A shipment is one shop's part of an order (projected from logistics.shipments);
windows are half-open UTC intervals; service times are seconds at a place.

How the hub's events move routing's view of a shipment (`after_request`,
`after_report`): a newer request (a failed collection requested again, a higher
`attempt`) replaces the shipment; the same request again keeps its status; an
older one changes nothing. Reports only move the status forward
(REQUESTED < COLLECTED < AT_HUB < DELIVERED), so a redelivered or late report
never sets a shipment back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Iterable, Mapping, Sequence

from nahnetz.clock import in_berlin
from nahnetz.records import GeoPoint, ShipmentAtHub, ShipmentCollected, ShipmentDelivered, ShipmentRequested


@dataclass(frozen=True)
class ServiceTimes:
    """Seconds at a place. A visit pays its place's base time once, plus a
    little per parcel (at a shop) or per compartment (at a pick-up point)."""

    at_shop_s: int = 300
    at_point_s: int = 180
    per_compartment_s: int = 60
    at_depot_s: int = 0
    per_parcel_s: int = 30  # each labelled parcel counted and loaded at a shop
    at_hub_s: int = 120  # unloading or loading one job's roll cage at the hub
    extra_part_s: int = 60  # a further temperature part at the same place: another compartment of the van

    def at_point(self, compartments: int) -> int:
        return self.at_point_s + self.per_compartment_s * max(1, compartments)


@dataclass(frozen=True)
class Place:
    place_id: str
    name: str | None
    lat: float
    lon: float

    @property
    def location(self) -> GeoPoint:
        return GeoPoint(lat=self.lat, lon=self.lon)


@dataclass(frozen=True)
class UtcWindow:
    start: datetime
    end: datetime  # exclusive


@dataclass(frozen=True)
class ShipmentRecord:
    """Routing's view of a shipment (projected from logistics.shipments)."""

    shipment_id: str
    order_id: str
    shop: Place
    point: Place
    compartments: int
    delivery_day: date
    weight_g: int
    volume_ml: int
    temperature_class: str
    pickup_windows: tuple[UtcWindow, ...]
    delivery_windows: tuple[UtcWindow, ...]  # empty: any time
    attempt: int = 1
    status: str = "REQUESTED"
    order_cancelled: bool = False

    @classmethod
    def from_request(cls, event: ShipmentRequested) -> ShipmentRecord:
        """Routing's view of a requested shipment: what planning needs, with its status."""
        return cls(
            shipment_id=event.shipment_id, order_id=event.order_id,
            shop=Place(event.shop_id, event.shop_name, event.shop_location.lat, event.shop_location.lon),
            point=Place(event.pickup_point_id, event.pickup_point_name, event.pickup_point_location.lat,
                        event.pickup_point_location.lon),
            compartments=len(event.compartment_ids), delivery_day=event.delivery_day,
            weight_g=event.weight_g, volume_ml=event.volume_ml, temperature_class=str(event.temperature_class),
            pickup_windows=tuple(UtcWindow(w.start, w.end) for w in event.pickup_windows),
            delivery_windows=tuple(UtcWindow(w.start, w.end) for w in event.delivery_windows),
            attempt=event.attempt,
        )

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> ShipmentRecord:
        def windows(items: Iterable[Sequence[str]]) -> tuple[UtcWindow, ...]:
            return tuple(UtcWindow(datetime.fromisoformat(s), datetime.fromisoformat(e)) for s, e in items)

        return cls(
            shipment_id=doc["shipment_id"], order_id=doc["order_id"], shop=Place(**doc["shop"]),
            point=Place(**doc["point"]), compartments=doc["compartments"],
            delivery_day=date.fromisoformat(doc["delivery_day"]), weight_g=doc["weight_g"],
            volume_ml=doc["volume_ml"], temperature_class=doc["temperature_class"],
            pickup_windows=windows(doc["pickup_windows"]), delivery_windows=windows(doc["delivery_windows"]),
            attempt=doc["attempt"], status=doc["status"], order_cancelled=doc.get("order_cancelled", False),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "shipment_id": self.shipment_id, "order_id": self.order_id, "shop": self.shop.__dict__,
            "point": self.point.__dict__, "compartments": self.compartments,
            "delivery_day": self.delivery_day.isoformat(), "weight_g": self.weight_g, "volume_ml": self.volume_ml,
            "temperature_class": self.temperature_class,
            "pickup_windows": [[w.start.isoformat(), w.end.isoformat()] for w in self.pickup_windows],
            "delivery_windows": [[w.start.isoformat(), w.end.isoformat()] for w in self.delivery_windows],
            "attempt": self.attempt, "status": self.status, "order_cancelled": self.order_cancelled,
        }

    @property
    def collection_day(self) -> date | None:
        if not self.pickup_windows:
            return None
        return in_berlin(min(w.start for w in self.pickup_windows)).date()

    @property
    def days(self) -> set[date]:
        """The days whose plans may concern this shipment."""
        return {d for d in (self.collection_day, self.delivery_day) if d is not None}


@dataclass(frozen=True)
class LeftOut:
    """A job the plan does not carry, decided before solving."""

    job_id: str
    shipment_ids: tuple[str, ...]
    reason: str  # a nahnetz.logistics.DropReason symbol
    detail: str


RANK = {"REQUESTED": 0, "COLLECTED": 1, "AT_HUB": 2, "DELIVERED": 3}
REPORTED = {ShipmentCollected: "COLLECTED", ShipmentAtHub: "AT_HUB", ShipmentDelivered: "DELIVERED"}
Report = ShipmentCollected | ShipmentAtHub | ShipmentDelivered


def after_request(current: ShipmentRecord | None, event: ShipmentRequested) -> ShipmentRecord:
    """The shipment after a request; `current` itself when the request is older than it."""
    record = ShipmentRecord.from_request(event)
    if current is not None and record.attempt < current.attempt:
        return current  # an older request than the current one
    if current is not None and record.attempt == current.attempt:
        return replace(record, status=current.status)  # the same request again
    return record


def after_report(current: ShipmentRecord, event: Report) -> ShipmentRecord:
    """The shipment after a driver's report; `current` itself when it is not news."""
    reported = REPORTED[type(event)]
    return replace(current, status=reported) if RANK[reported] > RANK[current.status] else current
