"""catalog.shops and catalog.products into the read models the API answers
from, and into the stock state the deciders work on.

Every event is applied once (processed marker per event id) in one MULTI/EXEC
with everything it changes, so the index never disagrees with the documents.
Shop and product events carry the whole profile / listing, so a projection
replaces the document and moves the index entries from the old to the new
values. Replaying both topics from the start into an empty catalog rebuilds
it (`services.catalog.rebuild`).
"""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, time, timezone
from typing import Any, Mapping

from nahnetz.events import Event, new_event
from nahnetz.messaging.handling import InvalidEvent
from nahnetz.messaging.idempotency import ProcessedMarkers, Transaction
from nahnetz.messaging.producer import EventProducer
from redis.asyncio import Redis

from .. import keys
from ..domain import search, stock
from ..domain.shops import CLOSED, OPEN, PROFILE_FIELDS
from .redis_values import dump, json_doc, text
from .stock_state import load_stock

log = logging.getLogger(__name__)

PRODUCER = "catalog-worker"
PRODUCT_CONSUMER = "catalog.project_products"
SHOP_CONSUMER = "catalog.project_shops"
LISTING_FIELDS = ("name", "description", "category", "unit", "price", "vat_rate_bp", "temperature_class",
                  "weight_g", "volume_ml", "image_ref")


def jsonable(value: Any) -> Any:
    """Event values as JSON: times of day as "HH:MM", days as ISO dates, instants in UTC."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def _occurred(event: Event) -> str:
    return jsonable(event.meta["occurred_at"])


# -- products ---------------------------------------------------------------------------------
class StockWrites:
    """The transaction as a product handler sees it; `stock` is None when the
    stock state is to be left alone (a rebuild of the read models)."""

    def __init__(self, tx: Transaction, with_stock: bool):
        self.tx = tx
        self.with_stock = with_stock

    @property
    def read(self) -> Any:
        return self.tx.read

    @property
    def write(self) -> Any:
        return self.tx.write

    @property
    def stock(self) -> Any:
        return self.tx.write if self.with_stock else None


async def project_product_event(event: Event, redis: Redis, *, with_stock: bool = True) -> None:
    """Apply a product event. `with_stock=False` (a rebuild of the read models)
    leaves the stock state alone: it is decision state, kept by the deciders."""
    handler = _PRODUCT_HANDLERS.get(event.type)
    if handler is None:
        raise InvalidEvent(f"{event.type} is not a product event")
    if not with_stock and event.type == "StockAdjusted":
        return
    markers = ProcessedMarkers(redis, consumer=PRODUCT_CONSUMER)
    product_id = event.product_id
    watched = [keys.product(product_id), keys.stock(product_id), keys.held(product_id)]

    async def step(tx: Transaction) -> None:
        old = json_doc(await tx.read.get(keys.product(product_id)))
        if old is not None and old["shop_id"] != event.shop_id:
            raise InvalidEvent(f"product {product_id} belongs to shop {old['shop_id']}, "
                               f"not to {event.shop_id}")
        await handler(event, old, StockWrites(tx, with_stock))

    await markers.apply(event.event_id, step, watch=watched)


def _listing(event: Event) -> dict[str, Any]:
    return {name: jsonable(event.data[name]) for name in LISTING_FIELDS}


async def _listed(event: Event, old: dict[str, Any] | None, tx: StockWrites) -> None:
    state = await load_stock(tx.read, event.product_id)
    doc = {**(old or {}), **_listing(event), "product_id": event.product_id, "shop_id": event.shop_id,
           "channel": event.channel, "status": stock.LISTED, "delisting_reason": None,
           "listed_at": (old or {}).get("listed_at") or _occurred(event), "updated_at": _occurred(event)}
    write_product(tx.write, old, doc)
    if tx.stock is None:
        return
    if state is None:
        tx.stock.hset(keys.stock(event.product_id), mapping={
            "shop_id": event.shop_id, "available": event.stock, "reserved": 0, "status": stock.LISTED})
    else:
        # Listed again (after a delisting, or the same listing delivered twice): the
        # stock the worker kept since is the truth, not the number in the listing.
        tx.stock.hset(keys.stock(event.product_id), mapping={"status": stock.LISTED, "delisting_reason": ""})


async def _updated(event: Event, old: dict[str, Any] | None, tx: StockWrites) -> None:
    if old is None:
        raise InvalidEvent(f"ProductUpdated for product {event.product_id}, which was never listed")
    doc = {**old, **_listing(event), "updated_at": _occurred(event), "last_changed": list(event.changed)}
    write_product(tx.write, old, doc)


async def _delisted(event: Event, old: dict[str, Any] | None, tx: StockWrites) -> None:
    if old is None:
        raise InvalidEvent(f"ProductDelisted for product {event.product_id}, which was never listed")
    doc = {**old, "status": stock.DELISTED, "delisting_reason": event.reason, "updated_at": _occurred(event)}
    write_product(tx.write, old, doc)
    if tx.stock is not None:
        # Open reservations stay valid until their orders end; new orders are refused.
        tx.stock.hset(keys.stock(event.product_id), mapping={"status": stock.DELISTED,
                                                             "delisting_reason": event.reason})


async def _stock_adjusted(event: Event, old: dict[str, Any] | None, tx: StockWrites) -> None:
    state = await load_stock(tx.read, event.product_id)
    if state is None or old is None:
        raise InvalidEvent(f"StockAdjusted for product {event.product_id}, which was never listed")
    if event.set_level:
        if event.new_level < 0:
            raise InvalidEvent(f"StockAdjusted sets product {event.product_id} to {event.new_level} units")
        outcome = stock.adjust(state, level=min(event.new_level, stock.MAX_LEVEL))
    else:
        outcome = stock.adjust(state, delta=event.delta)
    if outcome.clamped:
        log.warning("stock decrease larger than the units available; stopped at zero",
                    extra={"product_id": event.product_id, "delta": event.delta, "available": state.available})
    tx.stock.hset(keys.stock(event.product_id), mapping={
        "available": outcome.after, "adjusted_at": _occurred(event), "last_adjustment": event.event_id})


_PRODUCT_HANDLERS = {"ProductListed": _listed, "ProductUpdated": _updated, "ProductDelisted": _delisted,
                     "StockAdjusted": _stock_adjusted}


def write_product(writer: Any, old: Mapping[str, Any] | None, new: dict[str, Any]) -> None:
    """Queue the document and move its index entries from `old` to `new`. Only
    listed products are in the indexes."""
    product_id = new["product_id"]
    was_listed = bool(old) and old.get("status") == stock.LISTED  # type: ignore[union-attr]
    is_listed = new["status"] == stock.LISTED
    old_terms = set(old.get("terms", ())) if was_listed else set()  # type: ignore[union-attr]
    new_terms = search.document_terms(new["name"], new.get("description")) if is_listed else set()
    new["terms"] = sorted(new_terms)
    for term in old_terms - new_terms:
        writer.srem(keys.term(term), product_id)
    for term in new_terms - old_terms:
        writer.sadd(keys.term(term), product_id)
    if was_listed:
        writer.srem(keys.category(old["category"]), product_id)  # type: ignore[index]
        writer.srem(keys.shop_products(old["shop_id"]), product_id)  # type: ignore[index]
    if is_listed:
        writer.sadd(keys.category(new["category"]), product_id)
        writer.sadd(keys.shop_products(new["shop_id"]), product_id)
        writer.sadd(keys.LISTED, product_id)
    elif was_listed:
        writer.srem(keys.LISTED, product_id)
    writer.set(keys.product(product_id), dump(new))


# -- shops ------------------------------------------------------------------------------------
async def project_shop_event(event: Event, redis: Redis, producer: EventProducer | None) -> None:
    """Apply a shop event; `producer=None` (a rebuild) publishes no delistings."""
    markers = ProcessedMarkers(redis, consumer=SHOP_CONSUMER)
    shop_id = event.shop_id

    async def step(tx: Transaction) -> str | None:
        old = json_doc(await tx.read.get(keys.shop(shop_id)))
        if event.type in ("ShopRegistered", "ShopUpdated"):
            doc = {**(old or {}), **{f: jsonable(event.data[f]) for f in PROFILE_FIELDS},
                   "shop_id": shop_id, "channel": event.channel,
                   "status": (old or {}).get("status", OPEN),
                   "registered_at": (old or {}).get("registered_at") or _occurred(event),
                   "updated_at": _occurred(event)}
            write_shop(tx.write, old, doc)
            return None
        if event.type == "ShopClosed":
            if old is None:
                raise InvalidEvent(f"ShopClosed for shop {shop_id}, which never registered")
            listed = sorted(text(p) for p in await tx.read.smembers(keys.shop_products(shop_id)))
            doc = {**old, "status": CLOSED, "closure_reason": event.reason, "updated_at": _occurred(event)}
            write_shop(tx.write, old, doc)
            return json.dumps(listed)
        raise InvalidEvent(f"{event.type} is not a shop event")

    outcome = await markers.apply(event.event_id, step, watch=[keys.shop(shop_id), keys.shop_products(shop_id)])
    if event.type == "ShopClosed" and outcome.result and producer is not None:
        # "Its products are delisted" (ShopClosed): as events, so every projection of
        # catalog.products learns it; again after a redelivery (delisting twice is harmless).
        for product_id in json.loads(text(outcome.result) or "[]"):
            await producer.publish(new_event("ProductDelisted", producer=PRODUCER, caused_by=event,
                                             product_id=product_id, shop_id=shop_id, reason="SHOP_CLOSED"))


def write_shop(writer: Any, old: Mapping[str, Any] | None, new: dict[str, Any]) -> None:
    """Queue the document and its index entries; only open shops are found by place."""
    shop_id = new["shop_id"]
    if old and old.get("status") == OPEN:
        writer.srem(keys.shops_in(old["municipality"]), shop_id)
    writer.sadd(keys.SHOPS, shop_id)
    if new["status"] == OPEN:
        writer.sadd(keys.shops_in(new["municipality"]), shop_id)
        location = new["location"]
        writer.geoadd(keys.SHOP_LOCATIONS, [location["lon"], location["lat"], shop_id])
    else:
        writer.zrem(keys.SHOP_LOCATIONS, shop_id)
    writer.set(keys.shop(shop_id), dump(new))
