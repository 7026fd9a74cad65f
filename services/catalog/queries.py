"""The read models the API answers from Redis (see keys.py): shops, products,
availability and search. Nothing here writes.

The worker's projections (handlers/) write the JSON documents read here, in the
format of `document` and `instant`; the deciders load a product's stock with
`load_stock`, the API's availability reads it the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, time, timezone
from typing import Any, Iterable, Mapping

from redis.asyncio import Redis

from nahnetz.clock import in_berlin, utc_now
from nahnetz.kit.errors import Unprocessable

from . import keys
from .domain import search
from .domain.csv_import import listing_key
from .domain.money import format_euro
from .domain.shops import OPEN, OpeningInterval, is_open
from .domain.stock import LISTED, StockState
from .domain.vocabulary import UnknownWord, parse_category

# More candidates than this and a search must be narrowed (text, category or place).
MAX_CANDIDATES = 5000


# -- the documents as stored ------------------------------------------------------------------
def document(doc: Mapping[str, Any]) -> str:
    """A read-model document as stored (JSON, keys sorted)."""
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def read_document(raw: str | None) -> dict[str, Any] | None:
    return json.loads(raw) if raw else None


def instant(at: datetime) -> str:
    """An instant as stored: UTC, "...Z"."""
    return at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def time_of_day(at: time) -> str:
    """A time of day as stored and shown: "HH:MM"."""
    return at.strftime("%H:%M")


def berlin_time(utc_iso: str | None) -> str | None:
    """A stored UTC instant as shown to people: Europe/Berlin, with its offset."""
    if not utc_iso:
        return None
    return in_berlin(datetime.fromisoformat(utc_iso.replace("Z", "+00:00"))).isoformat()


async def load_stock(reader: Any, product_id: str) -> StockState | None:
    """The product's stock, or None when the catalog never listed it. `reader`
    is a Redis client or the read side of a transaction (keys watched)."""
    fields = await reader.hgetall(keys.stock(product_id))
    if not fields:
        return None
    held = await reader.hgetall(keys.held(product_id))
    return StockState(
        product_id=product_id,
        shop_id=fields.get("shop_id", ""),
        available=int(fields.get("available", 0)),
        reservations={order: int(units) for order, units in held.items()},
        status=fields.get("status", LISTED),
        delisting_reason=fields.get("delisting_reason") or None,
    )


# -- shops and products -----------------------------------------------------------------------


def money(price: dict[str, Any]) -> dict[str, Any]:
    return {**price, "display": format_euro(int(price["amount_cents"]))}


async def shop_doc(redis: Redis, shop_id: str) -> dict[str, Any] | None:
    return read_document(await redis.get(keys.shop(shop_id)))


async def product_doc(redis: Redis, product_id: str) -> dict[str, Any] | None:
    return read_document(await redis.get(keys.product(product_id)))


def open_now(doc: dict[str, Any], at: datetime | None = None) -> bool:
    if doc.get("status") != OPEN:
        return False
    hours = doc.get("opening_hours") or {}
    intervals = [OpeningInterval(i["weekday"], _time(i["opens"]), _time(i["closes"]))
                 for i in hours.get("intervals", [])]
    closed = [datetime.fromisoformat(d).date() for d in hours.get("closed_on", [])]
    return is_open(intervals, closed, at or utc_now())


def _time(hh_mm: str) -> time:
    return datetime.strptime(hh_mm, "%H:%M").time()


def shop_view(doc: dict[str, Any], *, at: datetime | None = None) -> dict[str, Any]:
    view = {k: v for k, v in doc.items() if k not in ("registered_at", "updated_at")}
    view.update(registered_at=berlin_time(doc.get("registered_at")), updated_at=berlin_time(doc.get("updated_at")),
                open_now=open_now(doc, at))
    return view


def shop_summary(doc: dict[str, Any]) -> dict[str, Any]:
    return {"shop_id": doc["shop_id"], "name": doc["name"], "kind": doc.get("kind"),
            "municipality": doc["municipality"], "locality": doc["address"]["locality"],
            "location": doc["location"], "status": doc["status"]}


async def availability(redis: Redis, product_id: str, shop_open: bool = True) -> dict[str, Any] | None:
    state = await load_stock(redis, product_id)
    if state is None:
        return None
    return {"product_id": product_id, "available": state.available, "reserved": state.reserved,
            "status": state.status, "orderable": state.orderable and shop_open}


async def product_availability(redis: Redis, product_id: str) -> dict[str, Any] | None:
    """Units available and held; orderable only while the product's shop is open."""
    doc = await product_doc(redis, product_id)
    shop = await shop_doc(redis, doc["shop_id"]) if doc else None
    return await availability(redis, product_id, shop_open=bool(shop and shop["status"] == OPEN))


def product_view(doc: dict[str, Any], available: dict[str, Any] | None = None) -> dict[str, Any]:
    view = {k: v for k, v in doc.items() if k not in ("terms", "listed_at", "updated_at")}
    view.update(price=money(doc["price"]), listed_at=berlin_time(doc.get("listed_at")),
                updated_at=berlin_time(doc.get("updated_at")))
    if available is not None:
        view["availability"] = {k: available[k] for k in ("available", "reserved", "orderable")}
    return view


async def product_page(redis: Redis, product_id: str) -> dict[str, Any] | None:
    doc = await product_doc(redis, product_id)
    if doc is None:
        return None
    shop = await shop_doc(redis, doc["shop_id"])
    shop_open = bool(shop) and shop["status"] == OPEN  # type: ignore[index]
    view = product_view(doc, await availability(redis, product_id, shop_open))
    view["shop"] = shop_summary(shop) if shop else None
    return view


async def _availabilities(redis: Redis, product_ids: list[str], shop_open: bool) -> list[dict[str, Any]]:
    """Availability of each product, in the order given (one round trip)."""
    async with redis.pipeline(transaction=False) as pipe:
        for product_id in product_ids:
            pipe.hmget(keys.stock(product_id), "available", "reserved", "status")
        answers = await pipe.execute()
    out = []
    for available, reserved, status in answers:
        units = int(available or 0)
        out.append({"available": units, "reserved": int(reserved or 0),
                    "orderable": shop_open and status == LISTED and units > 0})
    return out


async def _product_docs(redis: Redis, product_ids: list[str]) -> list[dict[str, Any] | None]:
    async with redis.pipeline(transaction=False) as pipe:
        for product_id in product_ids:
            pipe.get(keys.product(product_id))
        return [read_document(raw) for raw in await pipe.execute()]


async def shop_page(redis: Redis, shop_id: str) -> dict[str, Any] | None:
    """The shop with its listed goods, by shelf and name."""
    doc = await shop_doc(redis, shop_id)
    if doc is None:
        return None
    product_ids = sorted(await redis.smembers(keys.shop_products(shop_id)))
    docs = await _product_docs(redis, product_ids)
    found = [d for d in docs if d is not None]
    stock = await _availabilities(redis, [d["product_id"] for d in found], doc["status"] == OPEN)
    goods = [product_view(d, s) for d, s in zip(found, stock)]
    goods.sort(key=lambda p: (p["category"], search.fold(p["name"])))
    return {**shop_view(doc), "products": goods}


async def shop_product_list(redis: Redis, shop_id: str) -> list[tuple[dict[str, Any], int | None]] | None:
    """Every listed product of the shop with its available units, by name (None: no such shop)."""
    if await shop_doc(redis, shop_id) is None:
        return None
    docs = [d for d in await _product_docs(redis, sorted(await redis.smembers(keys.shop_products(shop_id)))) if d]
    docs = [d for d in docs if d.get("status", LISTED) == LISTED]
    stock = await _availabilities(redis, [d["product_id"] for d in docs], True)
    rows = [(d, s["available"] if s else None) for d, s in zip(docs, stock)]
    return sorted(rows, key=lambda row: search.fold(row[0]["name"]))


async def list_shops(redis: Redis, municipality: str | None = None, include_closed: bool = False
                     ) -> list[dict[str, Any]]:
    """Open shops (all, or of one municipality), by municipality and name."""
    ids = list(await redis.smembers(keys.shops_in(municipality) if municipality else keys.SHOPS))
    async with redis.pipeline(transaction=False) as pipe:
        for shop_id in ids:
            pipe.get(keys.shop(shop_id))
        docs = [read_document(raw) for raw in await pipe.execute()]
    shops = [shop_view(d) for d in docs if d is not None and (include_closed or d["status"] == OPEN)]
    return sorted(shops, key=lambda s: (search.fold(s["municipality"]), search.fold(s["name"])))


async def shop_listing_keys(redis: Redis, shop_id: str) -> dict[tuple[str, str], str]:
    """(name, unit) of the shop's listed products -> product id, to refuse doubles."""
    docs = await _product_docs(redis, list(await redis.smembers(keys.shop_products(shop_id))))
    return {listing_key(d["name"], d["unit"]): d["product_id"] for d in docs if d}


# -- search -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SearchQuery:
    text: str | None = None
    category: str | None = None
    municipality: str | None = None
    lat: float | None = None
    lon: float | None = None
    radius_km: float | None = None
    limit: int = 20

    @property
    def near(self) -> bool:
        return self.lat is not None and self.lon is not None

    def as_body(self) -> dict[str, Any]:
        """The query as the answer repeats it."""
        return {"q": self.text, "category": self.category, "municipality": self.municipality, "lat": self.lat,
                "lon": self.lon, "radius_km": self.radius_km, "limit": self.limit}


DEFAULT_RADIUS_KM = 10.0


def search_query(*, text: str | None = None, category: str | None = None, municipality: str | None = None,
                 lat: float | None = None, lon: float | None = None, radius_km: float | None = None,
                 limit: int = 20, max_radius_km: float, max_results: int) -> SearchQuery:
    """The search as asked, or 422 naming the parameter that does not fit. A point
    without a radius searches within `DEFAULT_RADIUS_KM`."""
    if (lat is None) != (lon is None):
        raise Unprocessable("give both lat and lon to search near a point")
    if radius_km is not None and lat is None:
        raise Unprocessable("radius_km needs a point (lat and lon)")
    if radius_km is not None and radius_km > max_radius_km:
        raise Unprocessable(f"radius_km may be at most {max_radius_km:g}")
    if limit > max_results:
        raise Unprocessable(f"limit may be at most {max_results}")
    try:
        symbol = parse_category(category) if category else None
    except UnknownWord as exc:
        raise Unprocessable(str(exc)) from None
    return SearchQuery(text=text, category=symbol, municipality=municipality, lat=lat, lon=lon,
                       radius_km=(radius_km or DEFAULT_RADIUS_KM) if lat is not None else None, limit=limit)


async def _shops_in_reach(redis: Redis, query: SearchQuery) -> dict[str, float | None] | None:
    """Open shops allowed by the place filters, with their distance (None: no filter)."""
    allowed: dict[str, float | None] | None = None
    if query.near:
        found = await redis.geosearch(keys.SHOP_LOCATIONS, longitude=query.lon, latitude=query.lat,
                                      radius=query.radius_km, unit="km", withdist=True, sort="ASC")
        allowed = {member: float(distance) for member, distance in found}
    if query.municipality:
        local = set(await redis.smembers(keys.shops_in(query.municipality)))
        allowed = ({s: None for s in local} if allowed is None
                   else {s: d for s, d in allowed.items() if s in local})
    return allowed


async def search_products(redis: Redis, query: SearchQuery) -> dict[str, Any]:
    """Listed goods of open shops matching every given filter; nearest first
    when a point is given, else best text match first, then by name."""
    words = search.parse_query(query.text)
    index_keys = [keys.LISTED]
    if query.category:
        index_keys.append(keys.category(query.category))
    for word in words:
        index_keys.extend(keys.term(t) for t in search.query_terms(word))
    shops = await _shops_in_reach(redis, query)
    if shops is not None:
        if not shops:
            return {"total": 0, "truncated": False, "results": []}
        async with redis.pipeline(transaction=False) as pipe:
            for shop_id in shops:
                pipe.smembers(keys.shop_products(shop_id))
            in_reach = {p for members in await pipe.execute() for p in members}
        # A shop's set holds only listed goods; narrow it by the other filters, if any.
        candidates = in_reach if len(index_keys) == 1 else in_reach & set(await redis.sinter(index_keys))
    else:
        candidates = set(await redis.sinter(index_keys))
    truncated = len(candidates) > MAX_CANDIDATES
    if truncated:
        candidates = set(sorted(candidates)[:MAX_CANDIDATES])

    docs = await _product_docs(redis, sorted(candidates))
    scored = []
    for doc in docs:
        if doc is None or doc.get("status") != LISTED:
            continue
        if shops is not None and doc["shop_id"] not in shops:
            continue
        found = search.match(words, doc["name"], doc.get("description"))
        if words and found is None:
            continue  # had the trigrams, not the word
        scored.append((doc, found.score if found else 0))

    shop_docs = await _shop_docs(redis, {doc["shop_id"] for doc, _ in scored})
    scored = [(d, s) for d, s in scored if shop_docs.get(d["shop_id"], {}).get("status") == OPEN]

    def distance(doc: dict[str, Any]) -> float | None:
        return shops.get(doc["shop_id"]) if shops is not None else None

    if query.near:
        scored.sort(key=lambda ds: (distance(ds[0]) or 0.0, -ds[1], search.fold(ds[0]["name"])))
    else:
        scored.sort(key=lambda ds: (-ds[1], search.fold(ds[0]["name"]), ds[0]["product_id"]))
    page = scored[:query.limit]
    stock = await _availabilities(redis, [d["product_id"] for d, _ in page], shop_open=True)
    results = []
    for available, (doc, score) in zip(stock, page):
        view = product_view(doc, available)
        view["shop"] = shop_summary(shop_docs[doc["shop_id"]])
        dist = distance(doc)
        view["distance_km"] = round(dist, 2) if dist is not None else None
        view["score"] = score
        results.append(view)
    return {"total": len(scored), "truncated": truncated, "results": results}


async def _shop_docs(redis: Redis, shop_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    ids = list(shop_ids)
    async with redis.pipeline(transaction=False) as pipe:
        for shop_id in ids:
            pipe.get(keys.shop(shop_id))
        docs = await pipe.execute()
    return {shop_id: doc for shop_id, raw in zip(ids, docs) if (doc := read_document(raw)) is not None}
