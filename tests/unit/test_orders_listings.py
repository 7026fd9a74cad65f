"""What the orders service keeps of other services' listings (services/orders/domain/listings.py),
from their typed events."""

from __future__ import annotations

from nahnetz.events import new_event
from nahnetz.records import (Address, Compartment, GeoPoint, Money, PickupPointKind, PickupPointRegistered,
                             PickupPointUpdated, ProductListed, ProductUpdated, TemperatureClass)
from services.orders.domain.listings import PickupPointListing, ProductListing


def listed(stock: int = 12) -> ProductListed:
    return new_event(ProductListed, producer="catalog-api", product_id="p-1", shop_id="shop-hof", name="Ziegenkäse",
                     unit="Stück", price=Money(amount_cents=450, currency="EUR"), vat_rate_bp=700, stock=stock,
                     temperature_class=TemperatureClass.CHILLED, weight_g=200, volume_ml=300)


def test_a_listing_takes_price_shop_and_stock_from_product_listed():
    listing = ProductListing.from_listing(listed())
    assert listing == ProductListing("p-1", "shop-hof", "Ziegenkäse", "Stück", 450, "EUR", 700, "CHILLED", 200, 300,
                                     stock=12)
    assert ProductListing.from_dict(listing.to_dict()) == listing


def test_an_update_keeps_the_stock_and_the_delisting_it_does_not_carry():
    before = ProductListing.from_listing(listed(stock=7)).delist()
    updated = new_event(ProductUpdated, producer="catalog-api", product_id="p-1", shop_id="shop-hof",
                        name="Ziegenkäse mild", unit="Stück", price=Money(amount_cents=480, currency="EUR"),
                        vat_rate_bp=700, temperature_class=TemperatureClass.CHILLED, weight_g=200, volume_ml=300)
    after = ProductListing.from_listing(updated, before)
    assert (after.name, after.price_cents, after.stock, after.delisted) == ("Ziegenkäse mild", 480, 7, True)
    assert ProductListing.from_listing(updated).stock == 0, "an update of a product never seen"
    assert not ProductListing.from_listing(listed(), before).delisted, "listed again"


def test_a_pick_up_point_from_its_description():
    fields = dict(pickup_point_id="pp-1", kind=PickupPointKind.LOCKER, name="Brakel Markt",
                  address=Address(street="Am Markt 1", postal_code="33034", locality="Brakel"),
                  location=GeoPoint(lat=51.717, lon=9.183), municipality="Brakel", hold_days=4,
                  compartments=[Compartment(compartment_id="AM01", volume_ml=40000)])
    registered = PickupPointListing.from_description(new_event(PickupPointRegistered, producer="pickup-api", **fields))
    assert registered == PickupPointListing("pp-1", "Brakel Markt", "LOCKER", "Brakel", "Brakel", 4, True)
    closed = new_event(PickupPointUpdated, producer="pickup-api", in_service=False, **fields)
    assert not PickupPointListing.from_description(closed).in_service
    assert PickupPointListing.from_dict(registered.to_dict()) == registered
