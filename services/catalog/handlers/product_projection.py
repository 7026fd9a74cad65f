"""catalog.products into the product read model, the search index, and the
stock a listing starts with, a shop adjusts or a delisting freezes.

Every event is applied once (processed marker per event id) in one MULTI/EXEC
with everything it changes, so the index never disagrees with the documents.
Listings carry the whole listing, so the projection replaces the document and
moves the index entries from the old to the new values. Replaying the topic
into an empty catalog rebuilds the read model (`services.catalog.rebuild`).
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Mapping, Union

from nahnetz.messaging.handling import InvalidEvent
from nahnetz.messaging.idempotency import ProcessedMarkers, Transaction
from nahnetz.records import ProductDelisted, ProductListed, ProductUpdated, StockAdjusted
from redis.asyncio import Redis

from .. import keys
from ..domain import search, stock
from ..queries import document, instant, load_stock, read_document

log = logging.getLogger(__name__)

CONSUMER = "catalog.project_products"
ProductEvent = Union[ProductListed, ProductUpdated, ProductDelisted, StockAdjusted]


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


async def project_product_event(event: ProductEvent, redis: Redis, *, with_stock: bool = True) -> None:
    """Apply a product event. `with_stock=False` (a rebuild of the read models)
    leaves the stock state alone: it is decision state, kept by the deciders."""
    handler = _PRODUCT_HANDLERS.get(type(event))
    if handler is None:
        raise InvalidEvent(f"{event.type} is not a product event")
    if not with_stock and isinstance(event, StockAdjusted):
        return
    markers = ProcessedMarkers(redis, consumer=CONSUMER)
    product_id = event.product_id
    watched = [keys.product(product_id), keys.stock(product_id), keys.held(product_id)]

    async def step(tx: Transaction) -> None:
        old = read_document(await tx.read.get(keys.product(product_id)))
        if old is not None and old["shop_id"] != event.shop_id:
            raise InvalidEvent(f"product {product_id} belongs to shop {old['shop_id']}, "
                               f"not to {event.shop_id}")
        await handler(event, old, StockWrites(tx, with_stock))

    await markers.apply(event.event_id, step, watch=watched)


def _listing(event: ProductListed | ProductUpdated) -> dict[str, Any]:
    """The listing's fields in the product document."""
    return {"name": event.name, "description": event.description, "category": event.category, "unit": event.unit,
            "price": event.price.to_avro(), "vat_rate_bp": event.vat_rate_bp,
            "temperature_class": event.temperature_class, "weight_g": event.weight_g,
            "volume_ml": event.volume_ml, "image_ref": event.image_ref}


async def _listed(event: ProductListed, old: dict[str, Any] | None, tx: StockWrites) -> None:
    state = await load_stock(tx.read, event.product_id)
    occurred = instant(event.meta.occurred_at)
    doc = {**(old or {}), **_listing(event), "product_id": event.product_id, "shop_id": event.shop_id,
           "channel": event.channel, "status": stock.LISTED, "delisting_reason": None,
           "listed_at": (old or {}).get("listed_at") or occurred, "updated_at": occurred}
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


async def _updated(event: ProductUpdated, old: dict[str, Any] | None, tx: StockWrites) -> None:
    if old is None:
        raise InvalidEvent(f"ProductUpdated for product {event.product_id}, which was never listed")
    doc = {**old, **_listing(event), "updated_at": instant(event.meta.occurred_at),
           "last_changed": list(event.changed)}
    write_product(tx.write, old, doc)


async def _delisted(event: ProductDelisted, old: dict[str, Any] | None, tx: StockWrites) -> None:
    if old is None:
        raise InvalidEvent(f"ProductDelisted for product {event.product_id}, which was never listed")
    doc = {**old, "status": stock.DELISTED, "delisting_reason": event.reason,
           "updated_at": instant(event.meta.occurred_at)}
    write_product(tx.write, old, doc)
    if tx.stock is not None:
        # Open reservations stay valid until their orders end; new orders are refused.
        tx.stock.hset(keys.stock(event.product_id), mapping={"status": stock.DELISTED,
                                                             "delisting_reason": event.reason})


async def _stock_adjusted(event: StockAdjusted, old: dict[str, Any] | None, tx: StockWrites) -> None:
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
        "available": outcome.after, "adjusted_at": instant(event.meta.occurred_at),
        "last_adjustment": event.event_id})


_PRODUCT_HANDLERS: dict[type, Callable[[Any, dict[str, Any] | None, StockWrites], Awaitable[None]]] = {
    ProductListed: _listed, ProductUpdated: _updated, ProductDelisted: _delisted, StockAdjusted: _stock_adjusted}


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
    writer.set(keys.product(product_id), document(new))
