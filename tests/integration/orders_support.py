"""What the orders integration tests play of the other services: their events
(listings and pick-up points for the projections, stock and compartment answers).
Processes, topic readers and waiting are the test kit's, `nahnetz.testing`."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Iterable

from nahnetz.clock import today_in_berlin
from nahnetz.events import Event, new_event
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import (Address, Compartment, CompartmentRejected, CompartmentReserved, Contact, GeoPoint, Money, OpeningHours,
                             OpeningInterval, OrderPlaced, PickupAlternative, PickupPointKind, PickupPointRegistered, ProductListed,
                             RejectedStockLine, ShopRegistered, StockLine, StockRejected, StockRejectionReason,
                             StockReserved, TemperatureClass, Weekday)

SECRET = "orders-integration-secret-long-enough-for-hs256"


# -- playing catalog and pickup ---------------------------------------------------------------
def product_listed(product_id: str, shop_id: str, name: str, price_cents: int, *, stock: int = 50,
                   temperature: TemperatureClass = TemperatureClass.AMBIENT) -> ProductListed:
    return new_event(ProductListed, producer="catalog-api", product_id=product_id, shop_id=shop_id, name=name,
                     unit="Stück", price=Money(amount_cents=price_cents, currency="EUR"), vat_rate_bp=700,
                     stock=stock, temperature_class=temperature, weight_g=250, volume_ml=500)


WEEKDAYS = tuple(Weekday)


def shop_registered(shop_id: str, name: str, open_on: Iterable[date]) -> ShopRegistered:
    """A shop open 08:00-18:00 on the weekdays of `open_on` only."""
    days = sorted({WEEKDAYS[d.weekday()] for d in open_on}, key=WEEKDAYS.index)
    return new_event(ShopRegistered, producer="catalog-api", shop_id=shop_id, name=name,
                     address=Address(street="Dorfstraße 3", postal_code="37671", locality="Ottbergen"),
                     location=GeoPoint(lat=51.72, lon=9.30), municipality="Höxter", contact=Contact(),
                     opening_hours=OpeningHours(intervals=[OpeningInterval(weekday=d, opens=time(8), closes=time(18))
                                                           for d in days]))


def pickup_point_registered(pickup_point_id: str, name: str) -> PickupPointRegistered:
    return new_event(
        PickupPointRegistered, producer="pickup-api", pickup_point_id=pickup_point_id, kind=PickupPointKind.LOCKER,
        name=name, address=Address(street="Am Markt 1", postal_code="33034", locality="Brakel"),
        location=GeoPoint(lat=51.717, lon=9.183), municipality="Brakel",
        compartments=[Compartment(compartment_id="AM01", temperature_class=TemperatureClass.AMBIENT,
                                  volume_ml=40000)])


def stock_reserved(placed: OrderPlaced, product_id: str) -> StockReserved:
    lines = [StockLine(product_id=line.product_id, shop_id=line.shop_id, quantity=line.quantity)
             for line in placed.lines if line.product_id == product_id]
    return new_event(StockReserved, producer="catalog-worker", caused_by=placed, order_id=placed.order_id,
                     lines=lines)


def stock_rejected(placed: OrderPlaced, product_id: str,
                   reason: StockRejectionReason = StockRejectionReason.INSUFFICIENT_STOCK,
                   available: int | None = 1) -> StockRejected:
    lines = [RejectedStockLine(product_id=line.product_id, shop_id=line.shop_id, quantity=line.quantity,
                               reason=reason, available=available)
             for line in placed.lines if line.product_id == product_id]
    return new_event(StockRejected, producer="catalog-worker", caused_by=placed, order_id=placed.order_id,
                     lines=lines)


def compartment_reserved(placed: OrderPlaced, compartment_ids: Iterable[str] = ("AM01",)) -> CompartmentReserved:
    return new_event(CompartmentReserved, producer="pickup-worker", caused_by=placed, order_id=placed.order_id,
                     pickup_point_id=placed.pickup_point_id, delivery_day=placed.delivery_day,
                     compartment_ids=list(compartment_ids))


def compartment_full(placed: OrderPlaced, alternatives: Iterable[PickupAlternative] = ()) -> CompartmentRejected:
    """The point is full that day; it names where and when the goods would fit."""
    return new_event(CompartmentRejected, producer="pickup-worker", caused_by=placed, order_id=placed.order_id,
                     pickup_point_id=placed.pickup_point_id, delivery_day=placed.delivery_day, reason="FULL",
                     temperature_class=TemperatureClass.CHILLED, alternatives=list(alternatives))


def products_of(placed: OrderPlaced) -> list[str]:
    return sorted({line.product_id for line in placed.lines})


async def answer_all_reserved(producer: EventProducer, placed: OrderPlaced) -> list[Event]:
    answers = [stock_reserved(placed, pid) for pid in products_of(placed)] + [compartment_reserved(placed)]
    for answer in answers:
        await producer.publish(answer)
    return answers


def days_ahead(n: int) -> date:
    return today_in_berlin() + timedelta(days=n)
