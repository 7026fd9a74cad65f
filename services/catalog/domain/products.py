"""A product as a shop lists it, checked against the rules every listing keeps,
whether it came over HTTP, from a CSV file or from an operator on the phone."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Mapping

from .money import MAX_PRICE_CENTS, VAT_RATES_BP
from .stock import MAX_LEVEL
from .vocabulary import CATEGORIES, TEMPERATURE_CLASSES

MAX_NAME = 120
MAX_DESCRIPTION = 2000
MAX_UNIT = 30
MAX_WEIGHT_G = 1_000_000     # one unit of a tonne: not a parcel for a pick-up point
MAX_VOLUME_ML = 2_000_000
# A cell starting with these is run by spreadsheets as a formula (`=HYPERLINK(...)`, `@SUM(...)`):
# no product's name, unit or description needs to, and a shop opens its list in one.
FORMULA_STARTS = ("=", "@")


class ListingError(ValueError):
    """A listing that breaks a rule; the message names the field, for people."""


@dataclass(frozen=True)
class ProductDraft:
    """The shop's side of a listing; ids, shop and stock decisions come from elsewhere."""

    name: str
    unit: str
    price_cents: int
    vat_rate_bp: int
    weight_g: int
    volume_ml: int
    category: str = "OTHER"
    temperature_class: str = "AMBIENT"
    description: str | None = None
    image_ref: str | None = None

    def checked(self) -> "ProductDraft":
        """The same draft tidied (spaces trimmed), or ListingError naming what is wrong."""
        name = " ".join(self.name.split())
        unit = " ".join(self.unit.split())
        description = (self.description or "").strip() or None
        if not name:
            raise ListingError("Name fehlt (name is missing)")
        if len(name) > MAX_NAME:
            raise ListingError(f"Name ist länger als {MAX_NAME} Zeichen (name too long)")
        if not unit:
            raise ListingError("Einheit fehlt (unit is missing)")
        if len(unit) > MAX_UNIT:
            raise ListingError(f"Einheit ist länger als {MAX_UNIT} Zeichen (unit too long)")
        if description and len(description) > MAX_DESCRIPTION:
            raise ListingError(f"Beschreibung ist länger als {MAX_DESCRIPTION} Zeichen (description too long)")
        for label, text in (("Name", name), ("Einheit", unit), ("Beschreibung", description or "")):
            if text.startswith(FORMULA_STARTS):
                raise ListingError(f"{label} beginnt mit {text[0]!r} wie eine Tabellenformel; bitte ohne "
                                   f"({label.lower()} must not start with {text[0]!r}, a spreadsheet formula)")
        if not 0 < self.price_cents <= MAX_PRICE_CENTS:
            raise ListingError("Preis muss größer als 0 und plausibel sein (price must be positive)")
        if self.vat_rate_bp not in VAT_RATES_BP:
            raise ListingError("MwSt muss 0, 7 oder 19 % sein (VAT rate must be 0, 700 or 1900 bp)")
        if not 0 < self.weight_g <= MAX_WEIGHT_G:
            raise ListingError("Gewicht muss größer als 0 g sein (weight must be positive)")
        if not 0 < self.volume_ml <= MAX_VOLUME_ML:
            raise ListingError("Volumen muss größer als 0 ml sein (volume must be positive)")
        if self.category not in CATEGORIES:
            raise ListingError(f"unbekannte Kategorie {self.category!r} (unknown category)")
        if self.temperature_class not in TEMPERATURE_CLASSES:
            raise ListingError(f"unbekannte Temperatur {self.temperature_class!r} (unknown temperature class)")
        return replace(self, name=name, unit=unit, description=description)

    def listing_record(self) -> dict[str, Any]:
        """The fields of ProductListed / ProductUpdated this draft fills."""
        record = asdict(self)
        record["price"] = {"amount_cents": record.pop("price_cents"), "currency": "EUR"}
        return record

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "ProductDraft":
        """Back from an event or a read model (price as Money)."""
        names = {f.name for f in fields(cls)} - {"price_cents"}
        return cls(price_cents=int(record["price"]["amount_cents"]),
                   **{k: record[k] for k in names if k in record})


def check_stock(stock: int) -> int:
    if not 0 <= stock <= MAX_LEVEL:
        raise ListingError(f"Bestand muss zwischen 0 und {MAX_LEVEL} liegen (stock out of range)")
    return stock


def changed_fields(before: ProductDraft, after: ProductDraft) -> list[str]:
    """Names of the listing fields that differ, as ProductUpdated.changed spells them."""
    out = []
    for f in fields(ProductDraft):
        if getattr(before, f.name) != getattr(after, f.name):
            out.append("price" if f.name == "price_cents" else f.name)
    return out
