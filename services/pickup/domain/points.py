"""Pick-up points and their compartments, as the service keeps them.

A locker's compartments and a counter's shelf places are the same thing to the
rest of the service: a place of some volume and temperature class. The read model
is a plain dict (stored as JSON); `PickupPoint` is built from it or from the
PickupPointRegistered/Updated event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from typing import Any, Mapping, Sequence

from nahnetz.geo.bounds import MAX_LATITUDE, MAX_LONGITUDE
from nahnetz.records import PickupPointRegistered, PickupPointUpdated

TEMPERATURE_CLASSES = ("AMBIENT", "CHILLED", "FROZEN")
SIZES = ("S", "M", "L", "XL", "OTHER")
KINDS = ("LOCKER", "COUNTER", "OTHER")
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


@dataclass(frozen=True)
class Compartment:
    compartment_id: str
    volume_ml: int
    temperature_class: str = "AMBIENT"
    size: str = "OTHER"
    label: str | None = None
    max_weight_g: int | None = None

    @property
    def door(self) -> str:
        """What a person looks for at the locker."""
        return self.label or self.compartment_id


@dataclass(frozen=True)
class OpeningInterval:
    weekday: str
    opens: time
    closes: time


@dataclass(frozen=True)
class OpeningHours:
    intervals: tuple[OpeningInterval, ...] = ()
    closed_on: tuple[date, ...] = ()
    note: str | None = None

    def open_on(self, day: date) -> bool:
        if day in self.closed_on:
            return False
        return any(i.weekday == WEEKDAYS[day.weekday()] for i in self.intervals)


@dataclass(frozen=True)
class PickupPoint:
    pickup_point_id: str
    name: str
    kind: str
    lat: float
    lon: float
    municipality: str
    compartments: tuple[Compartment, ...]
    street: str = ""
    postal_code: str = ""
    locality: str = ""
    opening_hours: OpeningHours | None = None  # None: open 24/7
    host_shop_id: str | None = None
    hold_days: int = 3
    access_note: str | None = None
    in_service: bool = True
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def address_line(self) -> str:
        return ", ".join(p for p in (self.street, f"{self.postal_code} {self.locality}".strip()) if p)

    def compartment(self, compartment_id: str) -> Compartment | None:
        return next((c for c in self.compartments if c.compartment_id == compartment_id), None)

    def doors(self, compartment_ids: Sequence[str]) -> list[str]:
        """What a person looks for at the locker, for each compartment (its id if unknown)."""
        return [c.door if (c := self.compartment(i)) else i for i in compartment_ids]

    def takes_orders_on(self, day: date) -> bool:
        """A locker is open every day; a counter on the days its hours say."""
        return self.opening_hours is None or self.opening_hours.open_on(day)

    def classes(self) -> tuple[str, ...]:
        present = {c.temperature_class for c in self.compartments}
        return tuple(t for t in TEMPERATURE_CLASSES if t in present)

    # -- the read model (JSON in Redis) -------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        hours = None
        if self.opening_hours is not None:
            hours = {
                "intervals": [{"weekday": i.weekday, "opens": i.opens.strftime("%H:%M"),
                               "closes": i.closes.strftime("%H:%M")} for i in self.opening_hours.intervals],
                "closed_on": [d.isoformat() for d in self.opening_hours.closed_on],
                "note": self.opening_hours.note,
            }
        return {
            "pickup_point_id": self.pickup_point_id, "name": self.name, "kind": self.kind,
            "location": {"lat": self.lat, "lon": self.lon}, "municipality": self.municipality,
            "address": {"street": self.street, "postal_code": self.postal_code, "locality": self.locality},
            "opening_hours": hours, "host_shop_id": self.host_shop_id, "hold_days": self.hold_days,
            "access_note": self.access_note, "in_service": self.in_service,
            "compartments": [
                {"compartment_id": c.compartment_id, "label": c.label, "size": c.size,
                 "temperature_class": c.temperature_class, "volume_ml": c.volume_ml,
                 "max_weight_g": c.max_weight_g}
                for c in self.compartments
            ],
            **dict(self.extra),
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> "PickupPoint":
        hours = doc.get("opening_hours")
        return cls(
            pickup_point_id=doc["pickup_point_id"], name=doc["name"], kind=doc.get("kind", "OTHER"),
            lat=float(doc["location"]["lat"]), lon=float(doc["location"]["lon"]),
            municipality=doc.get("municipality", ""),
            compartments=tuple(Compartment(
                compartment_id=c["compartment_id"], volume_ml=int(c["volume_ml"]),
                temperature_class=c.get("temperature_class", "AMBIENT"), size=c.get("size", "OTHER"),
                label=c.get("label"), max_weight_g=c.get("max_weight_g"),
            ) for c in doc.get("compartments", ())),
            street=doc.get("address", {}).get("street", ""),
            postal_code=doc.get("address", {}).get("postal_code", ""),
            locality=doc.get("address", {}).get("locality", ""),
            opening_hours=None if hours is None else OpeningHours(
                intervals=tuple(OpeningInterval(i["weekday"], time.fromisoformat(i["opens"]),
                                                time.fromisoformat(i["closes"])) for i in hours["intervals"]),
                closed_on=tuple(date.fromisoformat(d) for d in hours.get("closed_on", ())),
                note=hours.get("note"),
            ),
            host_shop_id=doc.get("host_shop_id"), hold_days=int(doc.get("hold_days", 3)),
            access_note=doc.get("access_note"), in_service=bool(doc.get("in_service", True)),
            extra={k: doc[k] for k in ("updated_at", "version") if k in doc},
        )

    @classmethod
    def from_event(cls, event: PickupPointRegistered | PickupPointUpdated) -> "PickupPoint":
        """The point as a registration or update describes it (an update says whether it is in service)."""
        hours = event.opening_hours
        return cls(
            pickup_point_id=event.pickup_point_id, name=event.name, kind=event.kind,
            lat=event.location.lat, lon=event.location.lon, municipality=event.municipality,
            compartments=tuple(Compartment(c.compartment_id, c.volume_ml, c.temperature_class, c.size, c.label,
                                           c.max_weight_g) for c in event.compartments),
            street=event.address.street, postal_code=event.address.postal_code, locality=event.address.locality,
            opening_hours=None if hours is None else OpeningHours(
                intervals=tuple(OpeningInterval(i.weekday, i.opens, i.closes) for i in hours.intervals),
                closed_on=tuple(hours.closed_on), note=hours.note,
            ),
            host_shop_id=event.host_shop_id, hold_days=event.hold_days, access_note=event.access_note,
            in_service=event.in_service if isinstance(event, PickupPointUpdated) else True,
        )

    def event_fields(self) -> dict[str, Any]:
        """The fields of a PickupPointRegistered/Updated record (without meta and in_service)."""
        hours = None
        if self.opening_hours is not None:
            hours = {"intervals": [{"weekday": i.weekday, "opens": i.opens, "closes": i.closes}
                                   for i in self.opening_hours.intervals],
                     "closed_on": list(self.opening_hours.closed_on), "note": self.opening_hours.note}
        return {
            "pickup_point_id": self.pickup_point_id, "kind": self.kind, "name": self.name,
            "address": {"street": self.street, "postal_code": self.postal_code, "locality": self.locality,
                        "country": "DE"},
            "location": {"lat": self.lat, "lon": self.lon}, "municipality": self.municipality,
            "opening_hours": hours, "host_shop_id": self.host_shop_id,
            "compartments": [{"compartment_id": c.compartment_id, "label": c.label, "size": c.size,
                              "temperature_class": c.temperature_class, "volume_ml": c.volume_ml,
                              "max_weight_g": c.max_weight_g} for c in self.compartments],
            "hold_days": self.hold_days, "access_note": self.access_note,
        }


def description_problems(point: PickupPoint) -> list[str]:
    """What makes a description unusable; empty when it is fine."""
    problems = []
    if not point.compartments:
        problems.append("a pick-up point needs at least one compartment (or shelf place)")
    seen: set[str] = set()
    for c in point.compartments:
        if c.compartment_id in seen:
            problems.append(f"compartment id {c.compartment_id!r} appears twice")
        seen.add(c.compartment_id)
        if c.volume_ml <= 0:
            problems.append(f"compartment {c.compartment_id!r} needs a positive volume")
        if c.temperature_class not in TEMPERATURE_CLASSES:
            problems.append(f"compartment {c.compartment_id!r}: unknown temperature class {c.temperature_class!r}")
    # The GEO index holds less than WGS84 allows; a point it refuses would be half stored.
    if not (-MAX_LATITUDE <= point.lat <= MAX_LATITUDE and -MAX_LONGITUDE <= point.lon <= MAX_LONGITUDE):
        problems.append(f"the location must lie within latitude ±{MAX_LATITUDE} and longitude ±{MAX_LONGITUDE}")
    if point.hold_days < 1:
        problems.append("hold_days must be at least 1")
    if point.opening_hours is not None:
        for i in point.opening_hours.intervals:
            if i.closes <= i.opens:
                problems.append(f"{i.weekday}: an interval must close after it opens")
    return problems
