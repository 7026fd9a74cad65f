"""Queries the API answers from the read models in Redis (see keys.py):
shops, products, availability and search. Nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable

from redis.asyncio import Redis

from . import keys
from .domain import search
from .domain.csv_import import listing_key
from .domain.money import format_euro
from .domain.shops import BERLIN, OPEN, OpeningInterval, is_open
from .domain.stock import LISTED
from .handlers.redis_values import json_doc, text
from .handlers.stock_state import load_stock

# More candidates than this and a search must be narrowed (text, category or place).
MAX_CANDIDATES = 5000


def berlin_time(utc_iso: str | None) -> str | None:
    """A stored UTC instant as shown to people: Europe/Berlin, with its offset."""
    if not utc_iso:
        return None
    return datetime.fromisoformat(utc_iso.replace("Z", "+00:00")).astimezone(BERLIN).isoformat()


def money(price: dict[str, Any]) -> dict[str, Any]:
    return {**price, "display": format_euro(int(price["amount_cents"]))}


async def shop_doc(redis: Redis, shop_id: str) -> dict[str, Any] | None:
    return json_doc(await redis.get(keys.shop(shop_id)))


async def product_doc(redis: Redis, product_id: str) -> dict[str, Any] | None:
    return json_doc(await redis.get(keys.product(product_id)))


def open_now(doc: dict[str, Any], at: datetime | None = None) -> bool:
    if doc.get("status") != OPEN:
        return False
    hours = doc.get("opening_hours") or {}
    intervals = [OpeningInterval(i["weekday"], _time(i["opens"]), _time(i["closes"]))
                 for i in hours.get("intervals", [])]
    closed = [datetime.fromisoformat(d).date() for d in hours.get("closed_on", [])]
    return is_open(intervals, closed, at or datetime.now(timezone.utc))


def _time(hh_mm: str):
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
        units = int(text(available) or 0)
        out.append({"available": units, "reserved": int(text(reserved) or 0),
                    "orderable": shop_open and text(status) == LISTED and units > 0})
    return out


async def _product_docs(redis: Redis, product_ids: list[str]) -> list[dict[str, Any] | None]:
    async with redis.pipeline(transaction=False) as pipe:
        for product_id in product_ids:
            pipe.get(keys.product(product_id))
        return [json_doc(raw) for raw in await pipe.execute()]


async def shop_page(redis: Redis, shop_id: str) -> dict[str, Any] | None:
    """The shop with its listed goods, by shelf and name."""
    doc = await shop_doc(redis, shop_id)
    if doc is None:
        return None
    product_ids = sorted(text(p) for p in await redis.smembers(keys.shop_products(shop_id)))
    docs = await _product_docs(redis, product_ids)
    found = [d for d in docs if d is not None]
    stock = await _availabilities(redis, [d["product_id"] for d in found], doc["status"] == OPEN)
    goods = [product_view(d, s) for d, s in zip(found, stock)]
    goods.sort(key=lambda p: (p["category"], search.fold(p["name"])))
    return {**shop_view(doc), "products": goods}


async def list_shops(redis: Redis, municipality: str | None = None, include_closed: bool = False
                     ) -> list[dict[str, Any]]:
    """Open shops (all, or of one municipality), by municipality and name."""
    if municipality:
        ids = [text(s) for s in await redis.smembers(keys.shops_in(municipality))]
    else:
        ids = [text(s) for s in await redis.smembers(keys.SHOPS)]
    async with redis.pipeline(transaction=False) as pipe:
        for shop_id in ids:
            pipe.get(keys.shop(shop_id))
        docs = [json_doc(raw) for raw in await pipe.execute()]
    shops = [shop_view(d) for d in docs if d is not None and (include_closed or d["status"] == OPEN)]
    return sorted(shops, key=lambda s: (search.fold(s["municipality"]), search.fold(s["name"])))


async def shop_listing_keys(redis: Redis, shop_id: str) -> dict[tuple[str, str], str]:
    """(name, unit) of the shop's listed products -> product id, to refuse doubles."""
    ids = [text(p) for p in await redis.smembers(keys.shop_products(shop_id))]
    docs = await _product_docs(redis, ids)
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


async def _shops_in_reach(redis: Redis, query: SearchQuery) -> dict[str, float | None] | None:
    """Open shops allowed by the place filters, with their distance (None: no filter)."""
    allowed: dict[str, float | None] | None = None
    if query.near:
        found = await redis.geosearch(keys.SHOP_LOCATIONS, longitude=query.lon, latitude=query.lat,
                                      radius=query.radius_km, unit="km", withdist=True, sort="ASC")
        allowed = {text(member): float(distance) for member, distance in found}
    if query.municipality:
        local = {text(s) for s in await redis.smembers(keys.shops_in(query.municipality))}
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
            in_reach = {text(p) for members in await pipe.execute() for p in members}
        # A shop's set holds only listed goods; narrow it by the other filters, if any.
        candidates = in_reach if len(index_keys) == 1 else in_reach & {
            text(p) for p in await redis.sinter(index_keys)}
    else:
        candidates = {text(p) for p in await redis.sinter(index_keys)}
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
    return {shop_id: doc for shop_id, raw in zip(ids, docs) if (doc := json_doc(raw)) is not None}
