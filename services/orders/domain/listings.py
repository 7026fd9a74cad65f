"""What the orders service knows of other services' things, projected from their
public topics: a product as listed (catalog.products) and a pick-up point
(pickup.points). Prices, shops, weights and volumes of order lines come from here."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Mapping


@dataclass(frozen=True)
class ProductListing:
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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ProductListing":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    @classmethod
    def from_listing(cls, data: Mapping[str, Any], previous: "ProductListing | None" = None
                     ) -> "ProductListing":
        """From the fields of ProductListed or ProductUpdated (the whole listing)."""
        price = data["price"]
        return cls(
            product_id=data["product_id"], shop_id=data["shop_id"], name=data["name"],
            unit=data["unit"], price_cents=int(price["amount_cents"]), currency=price["currency"],
            vat_rate_bp=int(data["vat_rate_bp"]), temperature_class=data["temperature_class"],
            weight_g=int(data["weight_g"]), volume_ml=int(data["volume_ml"]),
            # ProductUpdated carries no stock; a re-listing is listed again.
            stock=int(data["stock"]) if "stock" in data else (previous.stock if previous else 0),
            delisted=False if "stock" in data else (previous.delisted if previous else False),
        )

    def with_stock(self, level: int) -> "ProductListing":
        return replace(self, stock=level)

    def delist(self) -> "ProductListing":
        return replace(self, delisted=True)


@dataclass(frozen=True)
class PickupPointListing:
    pickup_point_id: str
    name: str
    kind: str
    municipality: str
    locality: str
    hold_days: int = 3
    in_service: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "PickupPointListing":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    @classmethod
    def from_description(cls, data: Mapping[str, Any]) -> "PickupPointListing":
        """From PickupPointRegistered or PickupPointUpdated (the whole description)."""
        return cls(
            pickup_point_id=data["pickup_point_id"], name=data["name"], kind=data["kind"],
            municipality=data["municipality"], locality=data["address"]["locality"],
            hold_days=int(data.get("hold_days", 3)), in_service=bool(data.get("in_service", True)),
        )
