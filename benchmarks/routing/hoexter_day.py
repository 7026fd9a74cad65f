"""A generated day of shipments at Logistikport HX (Kreis Höxter), for the routing
service's tests and benchmarks: residents spread by population order 1-4 goods
from shops near home to one of their nearest pick-up points (seeded), as the demo
does through the APIs."""

from __future__ import annotations

import math
import random
from datetime import date, time as clock_time

from nahnetz.regions import load_region
from services.routing.domain.fleet import local_instant
from services.routing.domain.shipments import Place, ShipmentRecord, UtcWindow

DAY = date(2031, 7, 18)  # a Friday: every shop of the region is open
REGION = load_region("kreis_hoexter")
TEMPERATURES = ("AMBIENT", "CHILLED", "FROZEN")


def _km(a_lat: float, a_lon: float, b_lat: float, b_lon: float) -> float:
    dy = (a_lat - b_lat) * 111.2
    dx = (a_lon - b_lon) * 111.2 * math.cos(math.radians(a_lat))
    return math.hypot(dx, dy)


def _opening(day: date, intervals, until: clock_time | None = None) -> tuple[UtcWindow, ...]:
    windows = []
    for interval in intervals:
        if interval.weekday != day.isoweekday():
            continue
        closes = min(interval.closes, until) if until else interval.closes
        if closes > interval.opens:
            windows.append(UtcWindow(local_instant(day, interval.opens), local_instant(day, closes)))
    return tuple(windows)


def demo_day(orders: int, seed: int) -> list[ShipmentRecord]:
    """Residents spread by population order 1-4 goods from shops near home to
    one of their nearest pick-up points; the hub makes one shipment per shop and order,
    collected on the day until 15:00 and delivered into a locker (any time) or a
    counter (its opening hours)."""
    rng = random.Random(seed)
    places = list(REGION.places)
    homes = rng.choices(places, [p.population for p in places], k=orders)
    products = [(shop, product) for shop in REGION.shops for product in shop.products]
    shipments = []
    for n, home in enumerate(homes):
        near = sorted(products, key=lambda sp: _km(home.lat, home.lon, sp[0].lat, sp[0].lon))[:40]
        basket = rng.sample(near, k=rng.randint(1, 4))
        nearest = sorted(REGION.pickup_points, key=lambda p: _km(home.lat, home.lon, p.lat, p.lon))[:3]
        point = rng.choices(nearest, (0.6, 0.25, 0.15))[0]  # the nearest one with room, mostly
        order_id = f"o-{n:04d}"
        by_shop: dict[str, list] = {}
        for shop, product in basket:
            by_shop.setdefault(shop.id, []).append((shop, product, rng.choice((1, 1, 1, 2, 2, 3))))
        for shop_id, lines in by_shop.items():
            shop = lines[0][0]
            classes = {p.temperature for _, p, _ in lines}
            shipments.append(ShipmentRecord(
                f"shp-{order_id}-{shop_id}", order_id, Place(shop.id, shop.name, shop.lat, shop.lon),
                Place(point.id, point.name, point.lat, point.lon), compartments=len(classes), delivery_day=DAY,
                weight_g=sum(p.weight_g * q for _, p, q in lines), volume_ml=sum(p.volume_ml * q for _, p, q in lines),
                temperature_class=max(classes, key=TEMPERATURES.index),
                pickup_windows=_opening(DAY, shop.opening_hours, until=clock_time(15)),
                delivery_windows=_opening(DAY, point.opening_hours)))
    return shipments

