"""HTTP request models of the pick-up API, separate from the event records and
converted to the domain at the edge."""

from __future__ import annotations

from datetime import date, time
from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from nahnetz.geo import Latitude, Longitude
from nahnetz.kit.request_model import RequestModel

from .domain.points import Compartment, OpeningHours, OpeningInterval, PickupPoint

Temperature = Literal["AMBIENT", "CHILLED", "FROZEN"]
Weekday = Literal["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"



class AddressIn(RequestModel):
    street: str = Field(min_length=1, max_length=200)
    postal_code: str = Field(pattern=r"^\d{5}$")
    locality: str = Field(min_length=1, max_length=100)


class LocationIn(RequestModel):
    lat: Latitude
    lon: Longitude


class IntervalIn(RequestModel):
    weekday: Weekday
    opens: time
    closes: time


class OpeningHoursIn(RequestModel):
    intervals: list[IntervalIn] = Field(default_factory=list, max_length=50)
    closed_on: list[date] = Field(default_factory=list, max_length=400)
    note: str | None = Field(None, max_length=300)


class CompartmentIn(RequestModel):
    compartment_id: str = Field(pattern=ID_PATTERN)
    label: str | None = Field(None, max_length=20)
    size: Literal["S", "M", "L", "XL", "OTHER"] = "OTHER"
    temperature_class: Temperature = "AMBIENT"
    volume_ml: int = Field(gt=0, le=10_000_000)
    max_weight_g: int | None = Field(None, gt=0)


class PointDescription(RequestModel):
    # Stated in the OpenAPI too: a staffed counter needs its opening hours.
    model_config = ConfigDict(json_schema_extra={"anyOf": [
        {"properties": {"kind": {"const": "LOCKER"}}},
        {"required": ["opening_hours"], "properties": {"opening_hours": {"type": "object"}}}]})

    kind: Literal["LOCKER", "COUNTER"]
    name: str = Field(min_length=1, max_length=200)
    address: AddressIn
    location: LocationIn
    municipality: str = Field(min_length=1, max_length=100)
    opening_hours: OpeningHoursIn | None = None
    host_shop_id: str | None = Field(None, max_length=64)
    compartments: list[CompartmentIn] = Field(min_length=1, max_length=500)
    hold_days: int | None = Field(None, ge=1, le=30)
    access_note: str | None = Field(None, max_length=300)

    @model_validator(mode="after")
    def _counter_has_hours(self) -> "PointDescription":
        if self.kind == "COUNTER" and self.opening_hours is None:
            raise ValueError("a staffed counter needs its opening hours")
        return self

    def to_point(self, pickup_point_id: str, default_hold_days: int, in_service: bool = True) -> PickupPoint:
        hours = None
        if self.opening_hours is not None:
            hours = OpeningHours(
                intervals=tuple(OpeningInterval(i.weekday, i.opens.replace(microsecond=0),
                                                i.closes.replace(microsecond=0))
                                for i in self.opening_hours.intervals),
                closed_on=tuple(self.opening_hours.closed_on), note=self.opening_hours.note)
        return PickupPoint(
            pickup_point_id=pickup_point_id, name=self.name, kind=self.kind, lat=self.location.lat,
            lon=self.location.lon, municipality=self.municipality,
            compartments=tuple(Compartment(c.compartment_id, c.volume_ml, c.temperature_class, c.size, c.label,
                                           c.max_weight_g) for c in self.compartments),
            street=self.address.street, postal_code=self.address.postal_code, locality=self.address.locality,
            opening_hours=hours, host_shop_id=self.host_shop_id, hold_days=self.hold_days or default_hold_days,
            access_note=self.access_note, in_service=in_service)


class RegisterPoint(PointDescription):
    pickup_point_id: str | None = Field(None, pattern=ID_PATTERN, description="Chosen by the API when left out.")


class UpdatePoint(PointDescription):
    in_service: bool = True


class DepositIn(RequestModel):
    compartment_ids: list[str] | None = Field(
        None, min_length=1, max_length=50, description="Where the goods went; default: the reserved compartments.")
    tour_id: str | None = Field(None, max_length=64)
    shop_ids: list[str] | None = Field(
        None, min_length=1, max_length=20, description=(
            "The parts put in, by shop, for an order of several shops that comes in parts; default: the "
            "whole order. The parcel is deposited (and the resident's code sent) with its last part."))


class CollectIn(RequestModel):
    # Stated in the OpenAPI too: the qr payload alone, or order_id and code together.
    model_config = ConfigDict(json_schema_extra={"oneOf": [
        {"required": ["qr"], "properties": {"qr": {"type": "string"}, "order_id": {"type": "null"},
                                            "code": {"type": "null"}}},
        {"required": ["order_id", "code"], "properties": {"order_id": {"type": "string"}, "code": {"type": "string"},
                                                          "qr": {"type": "null"}}}]})

    order_id: str | None = Field(None, min_length=1, max_length=100)
    code: str | None = Field(None, min_length=1, max_length=20, description="The 6-digit PIN.")
    qr: str | None = Field(None, min_length=1, max_length=300, description="The scanned QR payload.")

    @model_validator(mode="after")
    def _one_way(self) -> "CollectIn":
        if self.qr and (self.order_id or self.code):
            raise ValueError("give either the qr payload or order_id and code, not both")
        if not self.qr and not (self.order_id and self.code):
            raise ValueError("give order_id and code (the PIN), or the qr payload")
        return self


class NewCodeIn(RequestModel):
    reason: str | None = Field(None, min_length=1, max_length=200,
                               description="Why a new code is needed; required from operators (it is recorded).")
