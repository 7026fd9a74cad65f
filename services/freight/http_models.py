"""HTTP request models of the freight API (pydantic), converted to event fields at
the edge. Weights are kilograms and volumes litres for people; events keep grams
and millilitres. Times carry their offset (ISO 8601), days are YYYY-MM-DD."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field, model_validator

from nahnetz.geo import Latitude, Longitude
from nahnetz.kit.request_model import Day, RequestModel

Temperature = Literal["AMBIENT", "CHILLED", "FROZEN"]
Weekday = Literal["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
ParticipantKind = Literal["CRAFTSMAN", "FARMER", "COMMUTER", "CARRIER", "SHOP", "CARE_SERVICE", "ASSOCIATION",
                          "MUNICIPALITY", "PRIVATE", "OTHER"]
PriceRule = Literal["PER_KM", "FIXED", "FREE", "ON_REQUEST"]
Channel = Literal["WEB", "APP", "PHONE", "COUNTER", "MARKET", "PAPER"]
Side = Literal["TRIP_PROVIDER", "LOAD_PROVIDER"]
WithdrawalReason = Literal["PLANS_CHANGED", "SENT_OTHERWISE", "NO_CAPACITY_LEFT", "EXPIRED", "REMOVED_BY_OPERATOR",
                           "OTHER"]
DeclineReason = Literal["PRICE", "TIMING", "DETOUR_TOO_LONG", "NO_LONGER_AVAILABLE", "OTHER"]
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)


def _plausible_time(value: datetime) -> datetime:
    if not EARLIEST.year <= value.year <= LATEST.year:
        raise ValueError(f"a time between the years {EARLIEST.year} and {LATEST.year}")
    return value


def _plausible_day(value: date) -> date:
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"a day between {EARLIEST} and {LATEST}")
    return value


When = Annotated[AwareDatetime, AfterValidator(_plausible_time)]
"""A time with its offset (ISO 8601), e.g. 2026-12-08T07:00:00+01:00."""
PlausibleDay = Annotated[Day, AfterValidator(_plausible_day)]
Text = Field(min_length=1, max_length=200)


class LocationIn(RequestModel):
    lat: Latitude
    lon: Longitude


class PlaceIn(RequestModel):
    """A known place by id (a town or village, a pick-up point, a shop, the hub), or a
    name with coordinates."""

    place_id: str | None = Field(None, min_length=1, max_length=100,
                                 description="E.g. 'Brakel', a pick-up point id or a shop id.")
    name: str | None = Field(None, min_length=1, max_length=200)
    location: LocationIn | None = None

    @model_validator(mode="after")
    def _one_way(self) -> "PlaceIn":
        if self.place_id is None and (self.name is None or self.location is None):
            raise ValueError("give a place_id, or a name with a location")
        return self


class WindowIn(RequestModel):
    start: When
    end: When


class WeeklyIn(RequestModel):
    """A trip driven every week: 'every Tuesday 7:00' (local time, Europe/Berlin)."""

    weekday: Weekday
    leave_at: time
    flexible_min: int = Field(0, ge=0, le=720, description="How much later than leave_at the driver may leave.")
    drive_max_min: int | None = Field(None, gt=0, le=1440, description="Latest arrival after the departure window.")
    first_day: PlausibleDay
    weeks: int = Field(4, ge=1, le=12)


class OnBehalf(RequestModel):
    participant_id: str | None = Field(None, pattern=ID_PATTERN,
                                       description="Staff (an assistant) only: for whom; a participant acts for themself.")
    participant_name: str | None = Field(None, min_length=1, max_length=120)
    participant_kind: ParticipantKind = "OTHER"
    channel: Channel | None = Field(None, description="How it reached us; an assistant gives PHONE, COUNTER, MARKET or PAPER.")


class TripIn(OnBehalf):
    trip_id: str | None = Field(None, pattern=ID_PATTERN)
    origin: PlaceIn
    destination: PlaceIn
    via: list[PlaceIn] = Field(default_factory=list, max_length=5)
    departure: WindowIn | None = None
    arrive_by: When | None = None
    weekly: WeeklyIn | None = None
    spare_weight_kg: float = Field(gt=0, le=40_000)
    spare_volume_litres: float = Field(0, ge=0, le=100_000, description="0: not counted")
    spare_parcels: int | None = Field(None, ge=0, le=1000)
    temperature: Temperature = "AMBIENT"
    max_detour_km: float | None = Field(None, ge=0, le=500)
    max_detour_min: int | None = Field(None, ge=0, le=600)
    price_rule: PriceRule = "ON_REQUEST"
    price_per_km_cents: int | None = Field(None, ge=0, le=100_000)
    fixed_price_cents: int | None = Field(None, ge=0, le=10_000_000)
    note: str | None = Field(None, max_length=500)

    @model_validator(mode="after")
    def _when(self) -> "TripIn":
        if (self.departure is None) == (self.weekly is None):
            raise ValueError("give either a departure window or a weekly schedule")
        return self


class LoadIn(OnBehalf):
    load_id: str | None = Field(None, pattern=ID_PATTERN)
    origin: PlaceIn
    destination: PlaceIn
    pickup_window: WindowIn
    delivery_window: WindowIn
    description: str = Text
    weight_kg: float = Field(gt=0, le=100_000)
    volume_litres: float = Field(0, ge=0, le=1_000_000)
    parcels: int = Field(1, ge=1, le=1000)
    temperature: Temperature = "AMBIENT"
    handling_notes: str | None = Field(None, max_length=500)
    max_price_cents: int | None = Field(None, ge=0, le=10_000_000, description="What the sender pays at most.")
    recipient_name: str | None = Field(None, min_length=1, max_length=120)


class WithdrawIn(RequestModel):
    reason: WithdrawalReason = "PLANS_CHANGED"
    note: str | None = Field(None, max_length=500)
    later_in_series: bool = Field(False, description="A weekly trip: also every later week's trip of its series.")


class AnswerIn(RequestModel):
    side: Side | None = Field(None, description="Staff only: for which side they answer.")
    channel: Channel | None = None


class DeclineIn(AnswerIn):
    reason: DeclineReason = "OTHER"
    note: str | None = Field(None, max_length=500)


class PickUpIn(RequestModel):
    code: str = Field(pattern=r"^[0-9 ]{6,8}$", description="The hand-over code the sender gives the driver.")


class DeliverIn(RequestModel):
    code: str = Field(pattern=r"^[0-9 ]{6,8}$", description="The hand-over code on the load slip.")
    received_by: str = Field(min_length=1, max_length=120, description="Name of the person who took the load.")
    photo_ref: str | None = Field(None, min_length=1, max_length=300, description="Key of the photo in the object store.")
