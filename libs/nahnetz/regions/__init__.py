"""Region packs: towns, villages, shops, pick-up points and the hub of a region,
as data files beside this module. Coordinates are approximate by design.

    region = load_region("kreis_hoexter")
    region.shops[0].products[0].price_cents
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import time
from functools import lru_cache
from pathlib import Path

import yaml

REGIONS_DIR = Path(__file__).parent
WEEKDAYS = (1, 2, 3, 4, 5, 6, 7)


@dataclass(frozen=True)
class Place:
    name: str
    municipality: str
    lat: float
    lon: float
    population: int
    postal_code: str
    is_town: bool


@dataclass(frozen=True)
class OpeningInterval:
    weekday: int  # 1 = Monday (ISO)
    opens: time
    closes: time


@dataclass(frozen=True)
class ProductSeed:
    sku: str
    name: str
    category: str
    unit: str
    price_cents: int
    vat_percent: int
    temperature: str
    weight_g: int
    volume_ml: int
    stock: int


@dataclass(frozen=True)
class Site:
    """What shops and pick-up points both have: a kind and an address near a place."""

    id: str
    name: str
    kind: str
    place: Place
    lat: float
    lon: float
    street: str


@dataclass(frozen=True)
class ShopSeed(Site):
    phone: str
    email: str
    phone_listing: bool
    opening_hours: tuple[OpeningInterval, ...]
    products: tuple[ProductSeed, ...]


@dataclass(frozen=True)
class CompartmentSeed:
    id: str
    size: str
    temperature: str
    volume_ml: int


@dataclass(frozen=True)
class PickupPointSeed(Site):  # kind: LOCKER or COUNTER
    shop_id: str | None
    opening_hours: tuple[OpeningInterval, ...]  # empty: open 24/7
    compartments: tuple[CompartmentSeed, ...]


@dataclass(frozen=True)
class Hub:
    id: str
    name: str
    municipality: str
    lat: float
    lon: float


@dataclass(frozen=True)
class VehicleSeed:
    id: str
    name: str
    max_kg: int
    max_litres: int
    temperatures: tuple[str, ...]
    shift_start: time  # local time, Europe/Berlin
    shift_end: time
    cost_per_km_cents: int
    cost_per_hour_cents: int
    fixed_cents: int
    breaks: bool = False   # driver breaks after Regulation (EC) 561/2006 planned
    max_trips: int = 1     # more: back to the hub to reload and out again
    reload_minutes: int = 15


@dataclass(frozen=True)
class PriceRule:
    rule: str            # PER_KM (cents per extra km), FIXED (cents), FREE (between neighbours)
    cents: int = 0


@dataclass(frozen=True)
class TripSeed:
    """A trip someone drives anyway, every week on `weekdays`, with room to spare."""

    id: str
    driver: str
    kind: str                   # COMMUTER, FARMER, SHOP_RUN, CRAFTSMAN, CARRIER
    origin: Place
    destination: Place
    via: tuple[Place, ...]
    weekdays: tuple[int, ...]   # 1 = Monday (ISO)
    departs: time               # local time, Europe/Berlin
    room_kg: int
    room_litres: int
    room_parcels: int
    detour_km: float
    detour_minutes: int
    temperature: str
    price: PriceRule
    by_phone: bool = False      # offered through an assistant


@dataclass(frozen=True)
class LoadSeed:
    """Goods someone wants carried on a freight day."""

    id: str
    sender: str
    kind: str                   # PRODUCER, SHOP, RESIDENT, ASSOCIATION, HUB
    origin: Place
    destination: Place
    weight_kg: float
    volume_litres: float
    parcels: int
    temperature: str
    max_price_cents: int
    note: str | None = None
    by_phone: bool = False      # posted through an assistant


@dataclass(frozen=True)
class Region:
    """A region pack as `load_region` reads it: hub, places, shops, pick-up points, fleet."""

    id: str
    name: str
    hub: Hub
    places: tuple[Place, ...]
    shops: tuple[ShopSeed, ...]
    pickup_points: tuple[PickupPointSeed, ...]
    coordinates_approximate: bool = True
    municipalities: tuple[str, ...] = field(default=())
    fleet: tuple[VehicleSeed, ...] = field(default=())
    # Places outside the region that trips go to (a commuter's town), not where residents live.
    outside: tuple[Place, ...] = field(default=())
    freight_trips: tuple[TripSeed, ...] = field(default=())
    freight_loads: tuple[LoadSeed, ...] = field(default=())
    phone_prefix: str = "+49 5271"

    def place(self, name: str) -> Place:
        for p in (*self.places, *self.outside):
            if p.name == name:
                return p
        raise KeyError(f"{self.name} has no place {name!r}")

    @property
    def towns(self) -> tuple[Place, ...]:
        return tuple(p for p in self.places if p.is_town)

    @property
    def villages(self) -> tuple[Place, ...]:
        return tuple(p for p in self.places if not p.is_town)


def _jitter(key: str, scale: float = 0.004) -> tuple[float, float]:
    """A small, stable offset so shops in one village do not share a point."""
    digest = hashlib.sha256(key.encode()).digest()
    return ((digest[0] / 255 - 0.5) * scale, (digest[1] / 255 - 0.5) * scale)


def _hours(spec: dict | None) -> tuple[OpeningInterval, ...]:
    if not spec:
        return ()
    opens = time.fromisoformat(spec["open"])
    closes = time.fromisoformat(spec["close"])
    return tuple(OpeningInterval(day, opens, closes) for day in spec["days"])


def _site(entry: dict, places: dict[str, Place]) -> dict:
    """The `Site` fields of a shop or pick-up point entry, placed near its locality."""
    place = places[entry["locality"]]
    dlat, dlon = _jitter(entry["id"])
    return dict(id=entry["id"], name=entry["name"], kind=entry["kind"], place=place,
                lat=round(place.lat + dlat, 5), lon=round(place.lon + dlon, 5), street=_street(entry["id"]))


def _street(key: str) -> str:
    streets = ("Hauptstraße", "Dorfstraße", "Kirchplatz", "Lange Straße", "Am Markt",
               "Mühlenweg", "Bahnhofstraße", "Schulstraße", "Im Winkel", "Brückenstraße")
    digest = hashlib.sha256(key.encode()).digest()
    return f"{streets[digest[2] % len(streets)]} {digest[3] % 40 + 1}"


def load_region(name: str = "kreis_hoexter") -> Region:
    """The region pack `name` ("ilzer_land"; the region's id "ilzer-land" works too)."""
    return _load_region(name.strip().replace("-", "_"))


@lru_cache(maxsize=None)
def _load_region(name: str) -> Region:
    path = REGIONS_DIR / f"{name}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in REGIONS_DIR.glob("*.yaml"))
        raise KeyError(f"no region pack {name!r}; known: {known}")
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    codes = {t["name"]: t.get("postal_code", "") for t in doc["towns"]}
    places = [
        Place(t["name"], t["name"], t["lat"], t["lon"], t["population"], codes[t["name"]], True)
        for t in doc["towns"]
    ] + [
        Place(v["name"], v["municipality"], v["lat"], v["lon"], v["population"],
              codes.get(v["municipality"], ""), False)
        for v in doc["villages"]
    ]
    by_name = {p.name: p for p in places}
    prefix = doc["region"].get("phone_prefix", "+49 5271")
    shops = []
    for s in doc["shops"]:
        products = tuple(
            ProductSeed(
                sku=f"{s['id']}-{i + 1:02d}", name=p["name"], category=p["category"], unit=p["unit"],
                price_cents=p["price"], vat_percent=p["vat"], temperature=p["temp"],
                weight_g=p["weight"], volume_ml=p["volume"], stock=p["stock"],
            )
            for i, p in enumerate(doc["assortments"][s["kind"]])
        )
        slug = s["id"].removeprefix("shop-")
        shops.append(ShopSeed(
            **_site(s, by_name),
            phone=f"{prefix} {int(hashlib.sha256(slug.encode()).hexdigest(), 16) % 900000 + 100000}",
            email=f"kontakt@{slug}.example", phone_listing=bool(s.get("phone_listing", False)),
            opening_hours=_hours(doc["opening_hours"].get(s["kind"])), products=products,
        ))
    shop_hours = {s.id: s.opening_hours for s in shops}
    sizes = doc["compartment_sizes"]
    points = []
    for pp in doc["pickup_points"]:
        compartments = []
        for temperature, by_size in pp["compartments"].items():
            for size, count in by_size.items():
                for n in range(count):
                    compartments.append(CompartmentSeed(
                        f"{temperature[0]}{size}{n + 1:02d}", size, temperature, sizes[size] * 1000))
        points.append(PickupPointSeed(
            **_site(pp, by_name),
            shop_id=pp.get("shop"), opening_hours=shop_hours.get(pp.get("shop"), ()),
            compartments=tuple(compartments),
        ))
    fleet = tuple(
        VehicleSeed(
            id=v["id"], name=v["name"], max_kg=v["max_kg"], max_litres=v["max_l"],
            temperatures=tuple(v["temperatures"]), shift_start=time.fromisoformat(v["shift"][0]),
            shift_end=time.fromisoformat(v["shift"][1]), cost_per_km_cents=v["cost_per_km_cents"],
            cost_per_hour_cents=v["cost_per_hour_cents"], fixed_cents=v["fixed_cents"],
            breaks=bool(v.get("breaks", False)), max_trips=int(v.get("max_trips", 1)),
            reload_minutes=int(v.get("reload_minutes", 15)),
        )
        for v in doc.get("fleet", ())
    )
    outside = tuple(Place(o["name"], o["name"], o["lat"], o["lon"], o["population"], o.get("postal_code", ""), True)
                    for o in doc.get("outside", ()))
    anywhere = {**by_name, **{p.name: p for p in outside}}
    trips = tuple(_trip(t, anywhere) for t in doc.get("freight_trips", ()))
    loads = tuple(_load(entry, anywhere) for entry in doc.get("freight_loads", ()))
    hub = doc["hub"]
    return Region(
        id=doc["region"]["id"], name=doc["region"]["name"],
        hub=Hub(hub["id"], hub["name"], hub["municipality"], hub["lat"], hub["lon"]),
        places=tuple(places), shops=tuple(shops), pickup_points=tuple(points),
        coordinates_approximate=doc["region"].get("coordinates") == "approximate",
        municipalities=tuple(t["name"] for t in doc["towns"]),
        fleet=fleet, outside=outside, freight_trips=trips, freight_loads=loads, phone_prefix=prefix,
    )


def _trip(entry: dict, places: dict[str, Place]) -> TripSeed:
    price = entry.get("price") or {"rule": "FREE"}
    return TripSeed(
        id=entry["id"], driver=entry["driver"], kind=entry["kind"], origin=places[entry["from"]],
        destination=places[entry["to"]], via=tuple(places[v] for v in entry.get("via", ())),
        weekdays=tuple(entry["weekdays"]), departs=time.fromisoformat(entry["departs"]),
        room_kg=entry["room_kg"], room_litres=entry["room_l"], room_parcels=entry["room_parcels"],
        detour_km=entry["detour_km"], detour_minutes=entry["detour_min"], temperature=entry["temperature"],
        price=PriceRule(price["rule"], price.get("cents", 0)), by_phone=bool(entry.get("by_phone", False)))


def _load(entry: dict, places: dict[str, Place]) -> LoadSeed:
    return LoadSeed(
        id=entry["id"], sender=entry["sender"], kind=entry["kind"], origin=places[entry["from"]],
        destination=places[entry["to"]], weight_kg=entry["weight_kg"], volume_litres=entry["volume_l"],
        parcels=entry["parcels"], temperature=entry["temperature"], max_price_cents=entry["max_price_cents"],
        note=entry.get("note"), by_phone=bool(entry.get("by_phone", False)))
