"""Seed a region through the public APIs: the operator registers pick-up points
and shops, each shop lists its goods (by phone through the operator where the
shop has no IT), then we wait until the read models show all of it."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from ..regions import OpeningInterval, Region
from .client import OPERATOR, DemoError, Platform

WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
SHOP_KINDS = {
    "hofladen": "FARM", "kaeserei": "FARM", "imkerei": "FARM", "obsthof": "FARM", "gefluegelhof": "FARM",
    "baeckerei": "BAKERY", "metzgerei": "BUTCHER", "getraenke": "BEVERAGES", "dorfladen": "VILLAGE_SHOP",
    "muehle": "OTHER",
}


@dataclass(frozen=True)
class ListedProduct:
    product_id: str
    sku: str
    shop_id: str
    name: str
    temperature: str
    price_cents: int


@dataclass
class SeededRegion:
    region: Region
    products: list[ListedProduct] = field(default_factory=list)

    def products_of(self, shop_id: str) -> list[ListedProduct]:
        return [p for p in self.products if p.shop_id == shop_id]


def _hours(intervals: tuple[OpeningInterval, ...]) -> dict:
    return {"intervals": [{"weekday": WEEKDAYS[i.weekday - 1], "opens": i.opens.isoformat("minutes"),
                           "closes": i.closes.isoformat("minutes")} for i in intervals]}


async def seed(platform: Platform, region: Region, say) -> SeededRegion:
    operator = platform.token(OPERATOR, "operator")
    began = time.monotonic()
    await asyncio.gather(*(_register_point(platform, operator, p) for p in region.pickup_points))
    say(f"  {len(region.pickup_points)} Abholstellen registriert / pick-up points registered")
    await asyncio.gather(*(_register_shop(platform, operator, s) for s in region.shops))
    say(f"  {len(region.shops)} Läden registriert / shops registered")
    # A shop lists goods once the catalog knows it (the worker projected its registration).
    await _wait_for(platform, [f"/v1/shops/{s.id}" for s in region.shops], "the registered shops")
    seeded = SeededRegion(region)
    listed = await asyncio.gather(*(_list_goods(platform, operator, s) for s in region.shops))
    for goods in listed:
        seeded.products.extend(goods)
    phone = sum(1 for s in region.shops if s.phone_listing)
    say(f"  {len(seeded.products)} Waren gelistet / goods listed ({phone} Läden per Telefon / shops by phone)")
    await _wait_until_visible(platform, seeded)
    say(f"  Lesemodelle aktuell / read models up to date ({time.monotonic() - began:.1f} s)")
    return seeded


async def _register_point(platform: Platform, operator: dict, point) -> None:
    body = {
        "pickup_point_id": point.id, "kind": point.kind, "name": point.name,
        "address": {"street": point.street, "postal_code": point.place.postal_code,
                    "locality": point.place.name},
        "location": {"lat": point.lat, "lon": point.lon}, "municipality": point.place.municipality,
        "host_shop_id": point.shop_id,
        "compartments": [{"compartment_id": c.id, "size": c.size, "temperature_class": c.temperature,
                          "volume_ml": c.volume_ml} for c in point.compartments],
    }
    if point.opening_hours:
        body["opening_hours"] = _hours(point.opening_hours)
    await platform.call("pickup", "POST", "/v1/pickup-points", who=operator, json=body,
                        ok=(202, 409))  # 409: seeded by an earlier run of the demo


async def _register_shop(platform: Platform, operator: dict, shop) -> None:
    body = {
        "shop_id": shop.id, "name": shop.name, "kind": SHOP_KINDS.get(shop.kind, "OTHER"),
        "address": {"street": shop.street, "postal_code": shop.place.postal_code, "locality": shop.place.name},
        "location": {"lat": shop.lat, "lon": shop.lon}, "municipality": shop.place.municipality,
        "opening_hours": _hours(shop.opening_hours),
        "contact": {"phone": shop.phone, "email": shop.email},
        "accepts_phone_listing": shop.phone_listing,
        "channel": "PHONE" if shop.phone_listing else "WEB",
    }
    await platform.call("catalog", "POST", "/v1/shops", who=operator, json=body, ok=(202, 409))


async def _list_goods(platform: Platform, operator: dict, shop) -> list[ListedProduct]:
    # A shop with IT lists its own goods; for the others the operator takes them by phone.
    who = operator if shop.phone_listing else platform.token(f"staff-{shop.id}", "shop", shop_id=shop.id)
    listed = []
    for p in shop.products:
        body = {"name": p.name, "category": p.category, "unit": p.unit, "price_cents": p.price_cents,
                "vat_rate_bp": p.vat_percent * 100, "stock": p.stock, "temperature_class": p.temperature,
                "weight_g": p.weight_g, "volume_ml": p.volume_ml,
                "channel": "PHONE" if shop.phone_listing else "WEB"}
        answer = (await platform.call("catalog", "POST", f"/v1/shops/{shop.id}/products", who=who,
                                      json=body, headers={"Idempotency-Key": p.sku})).json()
        listed.append(ListedProduct(answer["product_id"], p.sku, shop.id, p.name, p.temperature,
                                    p.price_cents))
    return listed


async def _wait_for(platform: Platform, paths: list[str], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    pending = list(paths)
    while pending and time.monotonic() < deadline:
        answers = await asyncio.gather(*(platform.send("catalog", "GET", p) for p in pending))
        pending = [p for p, a in zip(pending, answers) if a.status_code != 200]
        if pending:
            await asyncio.sleep(0.2)
    if pending:
        raise DemoError(f"the catalog did not show {what} within {timeout:.0f} s: {pending[:3]}")


async def _wait_until_visible(platform: Platform, seeded: SeededRegion, timeout: float = 60.0) -> None:
    """The catalog's shop pages list every product once the worker projected them."""
    deadline = time.monotonic() + timeout
    pending = {s.id: len(seeded.products_of(s.id)) for s in seeded.region.shops}
    while pending and time.monotonic() < deadline:
        for shop_id, count in list(pending.items()):
            page = await platform.send("catalog", "GET", f"/v1/shops/{shop_id}")
            if page.status_code == 200 and len(page.json().get("products", [])) >= count:
                del pending[shop_id]
        if pending:
            await asyncio.sleep(0.2)
    if pending:
        raise DemoError(f"the catalog did not show the goods of {sorted(pending)} within {timeout:.0f} s")
