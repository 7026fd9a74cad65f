"""What the catalog API accepts, as pydantic models. They are the HTTP side
only: routes turn them into domain values and event records at the edge."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, StrictInt, field_validator, model_validator

from nahnetz.geo import Latitude, Longitude
from nahnetz.kit.request_model import RequestModel

from .domain.products import ProductDraft
from .domain.shops import OpeningInterval, ProfileError, check_opening_hours
from .domain.vocabulary import CATEGORIES, TEMPERATURE_CLASSES, UnknownWord, parse_category, parse_temperature

Channel = Literal["WEB", "APP", "PHONE", "PAPER", "COUNTER", "MARKET"]
Weekday = Literal["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
ShopKind = Literal["VILLAGE_SHOP", "GROCERY", "BAKERY", "BUTCHER", "FARM", "MARKET_STALL", "BEVERAGES",
                   "PHARMACY", "OTHER"]
VatRate = Literal[0, 700, 1900]
AdjustmentReason = Literal["RESTOCKED", "COUNTED", "SOLD_IN_SHOP", "SPOILED", "DAMAGED", "CORRECTION", "OTHER"]
DelistingReason = Literal["DISCONTINUED", "SEASON_OVER", "REMOVED_BY_OPERATOR", "OTHER"]
ClosureReason = Literal["BUSINESS_CLOSED", "LEFT_PLATFORM", "REMOVED_BY_OPERATOR", "OTHER"]
SHOP_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{2,62}$"
# The symbols, as an enum in the OpenAPI; a shop's German or English word for one is taken too.
Category = Literal[CATEGORIES]  # type: ignore[valid-type]
TemperatureClass = Literal[TEMPERATURE_CLASSES]  # type: ignore[valid-type]
CATEGORY_HELP = ("A ProductCategory symbol; its German or English name (e.g. 'Milch & Eier', 'dairy') "
                 "is understood too")
TEMPERATURE_HELP = "AMBIENT, CHILLED or FROZEN; 'ungekühlt', 'gekühlt' or 'tiefgekühlt' are understood too"


class Strict(RequestModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Address(Strict):
    street: str = Field(min_length=1, max_length=120)
    postal_code: str = Field(pattern=r"^\d{5}$", description="German postal code (PLZ)")
    locality: str = Field(min_length=1, max_length=80)
    country: Literal["DE"] = "DE"


class Location(Strict):
    lat: Latitude  # the range Redis GEO can index
    lon: Longitude


class Interval(Strict):
    weekday: Weekday
    opens: time
    closes: time


class OpeningHours(Strict):
    intervals: list[Interval] = Field(default_factory=list, max_length=50)
    closed_on: list[date] = Field(default_factory=list, max_length=400)
    note: str | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def _intervals_fit(self) -> "OpeningHours":
        try:
            ordered = check_opening_hours(OpeningInterval(i.weekday, i.opens, i.closes) for i in self.intervals)
        except ProfileError as exc:
            raise ValueError(str(exc)) from None
        self.intervals = [Interval(weekday=i.weekday, opens=i.opens, closes=i.closes) for i in ordered]
        return self

    def record(self) -> dict[str, Any]:
        return {"intervals": [{"weekday": i.weekday, "opens": i.opens.replace(tzinfo=None),
                               "closes": i.closes.replace(tzinfo=None)} for i in self.intervals],
                "closed_on": sorted(set(self.closed_on)), "note": self.note}


class Contact(Strict):
    person: str | None = Field(None, max_length=120)
    phone: str | None = Field(None, pattern=r"^\+?[0-9 /()-]{5,30}$")
    email: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=200)


class ShopProfile(Strict):
    name: str = Field(min_length=1, max_length=120)
    kind: ShopKind = "OTHER"
    description: str | None = Field(None, max_length=2000)
    address: Address
    location: Location
    municipality: str = Field(min_length=1, max_length=80)
    opening_hours: OpeningHours = Field(default_factory=OpeningHours)
    contact: Contact = Field(default_factory=Contact)
    accepts_phone_listing: bool = False
    collection_note: str | None = Field(None, max_length=500)

    def record(self) -> dict[str, Any]:
        """The profile fields of ShopRegistered / ShopUpdated."""
        return {"name": self.name, "kind": self.kind, "description": self.description,
                "address": self.address.model_dump(), "location": self.location.model_dump(),
                "municipality": self.municipality, "opening_hours": self.opening_hours.record(),
                "contact": self.contact.model_dump(), "accepts_phone_listing": self.accepts_phone_listing,
                "collection_note": self.collection_note}


class RegisterShop(ShopProfile):
    shop_id: str | None = Field(None, pattern=SHOP_ID_PATTERN,
                                description="The shop's id; a shop registers its own (the token's shop_id)")
    channel: Channel = "WEB"


class UpdateShop(Strict):
    """The fields to change; the others stay as they are."""

    name: str | None = Field(None, min_length=1, max_length=120)
    kind: ShopKind | None = None
    description: str | None = Field(None, max_length=2000)
    address: Address | None = None
    location: Location | None = None
    municipality: str | None = Field(None, min_length=1, max_length=80)
    opening_hours: OpeningHours | None = None
    contact: Contact | None = None
    accepts_phone_listing: bool | None = None
    collection_note: str | None = Field(None, max_length=500)
    channel: Channel = "WEB"

    def changes(self) -> dict[str, Any]:
        """The given fields, shaped like the profile fields of the events."""
        given = self.model_dump(exclude_unset=True, exclude={"channel"})
        for name in ("address", "location", "contact"):
            if name in given and given[name] is not None:
                # Whole, defaults included (country "DE"): the event carries the whole value.
                given[name] = getattr(self, name).model_dump()
        if self.opening_hours is not None:
            given["opening_hours"] = self.opening_hours.record()
        return given

    @model_validator(mode="after")
    def _required_stay(self) -> "UpdateShop":
        for name in ("name", "kind", "address", "location", "municipality", "opening_hours", "contact",
                     "accepts_phone_listing"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be removed, only changed")
        return self


class CloseShop(Strict):
    reason: ClosureReason | None = None
    note: str | None = Field(None, max_length=500)
    channel: Channel = "WEB"


def known_category(value: Any) -> str:
    """The symbol `value` names; the error lists the valid ones."""
    try:
        return parse_category(value)
    except UnknownWord as exc:
        raise ValueError(f"{exc}; known: {', '.join(CATEGORIES)} (or their German/English names)") from None


# A search's category, as its query parameter takes it.
SearchCategory = Annotated[Category, BeforeValidator(known_category)]


def _temperature(value: Any) -> str:
    try:
        return parse_temperature(value)
    except UnknownWord as exc:
        raise ValueError(f"{exc}; known: {', '.join(TEMPERATURE_CLASSES)}") from None


class ListingFields(Strict):
    @field_validator("category", mode="before", check_fields=False)
    @classmethod
    def _known_category(cls, value: Any) -> Any:
        return None if value is None else known_category(value)

    @field_validator("temperature_class", mode="before", check_fields=False)
    @classmethod
    def _known_temperature(cls, value: Any) -> Any:
        return None if value is None else _temperature(value)


class ListProduct(ListingFields):
    name: str = Field(min_length=1, max_length=120)
    description: str | None = Field(None, max_length=2000)
    category: Category = Field("OTHER", description=CATEGORY_HELP)
    unit: str = Field(min_length=1, max_length=30, description="Sale unit, e.g. 'Stück', '500 g', 'kg'")
    price_cents: StrictInt = Field(gt=0, le=10_000_000, description="Gross price of one unit in cents, VAT included")
    vat_rate_bp: VatRate = Field(description="VAT rate in basis points: 700 = 7 %, 1900 = 19 %")
    stock: StrictInt = Field(0, ge=0, le=1_000_000)
    temperature_class: TemperatureClass = Field("AMBIENT", description=TEMPERATURE_HELP)
    weight_g: StrictInt = Field(gt=0, le=1_000_000)
    volume_ml: StrictInt = Field(gt=0, le=2_000_000)
    image_ref: str | None = Field(None, max_length=300)
    channel: Channel = "WEB"

    def draft(self) -> ProductDraft:
        return ProductDraft(name=self.name, unit=self.unit, price_cents=self.price_cents,
                            vat_rate_bp=self.vat_rate_bp, weight_g=self.weight_g, volume_ml=self.volume_ml,
                            category=self.category, temperature_class=self.temperature_class,
                            description=self.description, image_ref=self.image_ref)


class UpdateProduct(ListingFields):
    """The listing fields to change; stock changes go to POST .../stock."""

    name: str | None = Field(None, min_length=1, max_length=120)
    description: str | None = Field(None, max_length=2000)
    category: Category | None = Field(None, description=CATEGORY_HELP)
    unit: str | None = Field(None, min_length=1, max_length=30)
    price_cents: StrictInt | None = Field(None, gt=0, le=10_000_000)
    vat_rate_bp: VatRate | None = None
    temperature_class: TemperatureClass | None = Field(None, description=TEMPERATURE_HELP)
    weight_g: StrictInt | None = Field(None, gt=0, le=1_000_000)
    volume_ml: StrictInt | None = Field(None, gt=0, le=2_000_000)
    image_ref: str | None = Field(None, max_length=300)
    channel: Channel = "WEB"

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True, exclude={"channel"})


class AdjustStock(Strict):
    """Either the counted level (units on the shelf for sale) or a change in units."""

    # Stated in the OpenAPI too: exactly one of level and delta, and a delta is never 0.
    model_config = ConfigDict(json_schema_extra={"oneOf": [
        {"required": ["level"], "properties": {"level": {"type": "integer"}, "delta": {"type": "null"}}},
        {"required": ["delta"], "properties": {"delta": {"type": "integer"}, "level": {"type": "null"}}}]})

    level: StrictInt | None = Field(None, ge=0, le=1_000_000, description="The counted stock; not with delta")
    delta: StrictInt | None = Field(None, ge=-1_000_000, le=1_000_000, json_schema_extra={"not": {"const": 0}},
                                    description="A change in units, not 0; not with level")
    reason: AdjustmentReason | None = None
    note: str | None = Field(None, max_length=500)
    channel: Channel = "WEB"

    @model_validator(mode="after")
    def _level_or_delta(self) -> "AdjustStock":
        if (self.level is None) == (self.delta is None):
            raise ValueError("give either level (the counted stock) or delta (a change in units)")
        if self.delta == 0:
            raise ValueError("a delta of 0 changes nothing")
        return self


class DelistProduct(Strict):
    reason: DelistingReason | None = None
    note: str | None = Field(None, max_length=500)
    channel: Channel = "WEB"
