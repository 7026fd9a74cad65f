"""What the orders service knows of other services' things, projected from their
public topics: a product as listed (catalog.products), a shop's opening hours
(catalog.shops) and a pick-up point (pickup.points). Prices, shops, weights and
volumes of order lines come from here; which days a shop's goods can make, from
its opening hours (`collection_days`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date, time
from typing import Any, Mapping, Self

from nahnetz.records import (PickupPointRegistered, PickupPointUpdated, ProductListed, ProductUpdated, ShopRegistered,
                             ShopUpdated)


class _Stored:
    """A listing as it is kept in Redis (JSON): fields a stored copy lacks take their defaults."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass(frozen=True)
class ProductListing(_Stored):
    product_id: str
    shop_id: str
    name: str
    unit: str
    price_cents: int
    currency: str
    vat_rate_bp: int
    temperature_class: str
    weight_g: int      # one unit, packed
    volume_ml: int     # one unit, packed
    stock: int = 0     # as last adjusted; the catalog decides reservations, not this
    delisted: bool = False

    @classmethod
    def from_listing(cls, event: ProductListed | ProductUpdated, previous: "ProductListing | None" = None
                     ) -> "ProductListing":
        """From ProductListed or ProductUpdated (each carries the whole listing)."""
        if isinstance(event, ProductListed):
            stock, delisted = event.stock, False  # a re-listing is listed again
        else:  # ProductUpdated carries no stock
            stock = previous.stock if previous else 0
            delisted = previous.delisted if previous else False
        return cls(
            product_id=event.product_id, shop_id=event.shop_id, name=event.name, unit=event.unit,
            price_cents=event.price.amount_cents, currency=event.price.currency,
            vat_rate_bp=event.vat_rate_bp, temperature_class=event.temperature_class,
            weight_g=event.weight_g, volume_ml=event.volume_ml, stock=stock, delisted=delisted,
        )

    def with_stock(self, level: int) -> "ProductListing":
        return replace(self, stock=level)

    def delist(self) -> "ProductListing":
        return replace(self, delisted=True)


@dataclass(frozen=True)
class PickupPointListing(_Stored):
    pickup_point_id: str
    name: str
    kind: str
    municipality: str
    locality: str
    hold_days: int = 3
    in_service: bool = True

    @classmethod
    def from_description(cls, event: PickupPointRegistered | PickupPointUpdated) -> "PickupPointListing":
        """From PickupPointRegistered or PickupPointUpdated (the whole description)."""
        return cls(
            pickup_point_id=event.pickup_point_id, name=event.name, kind=event.kind,
            municipality=event.municipality, locality=event.address.locality, hold_days=event.hold_days,
            in_service=event.in_service if isinstance(event, PickupPointUpdated) else True,
        )


@dataclass(frozen=True)
class ShopListing(_Stored):
    """A shop's name and opening hours (local time, Europe/Berlin), as JSON values:
    intervals are [weekday, opens, closes] with times as HH:MM:SS."""

    shop_id: str
    name: str
    intervals: list[list[str]]
    closed_on: list[str]           # days closed against the weekly rule (ISO)
    closed_for_good: bool = False

    @classmethod
    def from_profile(cls, event: ShopRegistered | ShopUpdated) -> "ShopListing":
        """From ShopRegistered or ShopUpdated (each carries the whole profile)."""
        hours = event.opening_hours
        return cls(shop_id=event.shop_id, name=event.name,
                   intervals=[[str(i.weekday), i.opens.isoformat(), i.closes.isoformat()] for i in hours.intervals],
                   closed_on=[day.isoformat() for day in hours.closed_on])

    def close_for_good(self) -> "ShopListing":
        return replace(self, closed_for_good=True)

    def hours_on(self, day: date) -> list[tuple[time, time]]:
        """The day's opening intervals (opens, closes) in local time; none on a closed day."""
        if self.closed_for_good or day.isoformat() in self.closed_on:
            return []
        weekday = WEEKDAYS[day.weekday()]
        return sorted((time.fromisoformat(opens), time.fromisoformat(closes))
                      for wd, opens, closes in self.intervals if wd == weekday and closes > opens)


WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
