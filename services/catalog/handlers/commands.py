"""What the API's writes become: checked against the caller's rights and the
read models, turned into one event each on catalog.shops / catalog.products,
and published (acknowledged by the broker) before the API answers 202.

Rights: a shop changes only its own goods; an operator or admin may act for
any shop, recorded as meta.actor.on_behalf_of. Assisted channels (PHONE,
PAPER, COUNTER, MARKET) are recorded by operators only, and goods of a shop
come in by PHONE or PAPER only if the shop accepts phone listing.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from nahnetz.events import Actor, new_event
from nahnetz.kit.auth import User, actor_for_shop
from nahnetz.kit.errors import Conflict, Forbidden, NotFound, Unprocessable
from nahnetz.kit.publishing import publish
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import (DelistingReason, ProductDelisted, ProductListed, ProductUpdated, ShopClosed,
                             ShopClosureReason, ShopRegistered, ShopUpdated, StockAdjusted, StockAdjustmentReason)
from redis.asyncio import Redis

from .. import queries
from ..domain import stock
from ..domain.csv_import import ImportFileError, read_product_csv
from ..domain.products import ListingError, ProductDraft, changed_fields
from ..domain.shops import CLOSED, changed_fields as changed_profile_fields

PRODUCER = "catalog-api"
ASSISTED = frozenset({"PHONE", "PAPER", "COUNTER", "MARKET"})
PHONE_LISTING = frozenset({"PHONE", "PAPER"})
# Ids of imported products derive from the shop, the file and the line, so an
# upload repeated after a lost answer lists nothing twice.
IMPORT_NAMESPACE = uuid.UUID("5b1e3c1e-8f5a-4c2e-9a57-6e61686e6574")
PUBLISH_BATCH = 50


@dataclass(frozen=True)
class Accepted:
    """A command turned into an event: the resource and where to watch it."""

    resource: str
    resource_id: str
    status_url: str
    body: dict[str, Any] = field(default_factory=dict)

    def as_body(self) -> dict[str, Any]:
        return {f"{self.resource}_id": self.resource_id, "status": "accepted", "status_url": self.status_url,
                **self.body}


def new_product_id() -> str:
    return f"p-{uuid.uuid4().hex}"


def new_shop_id() -> str:
    return f"shop-{uuid.uuid4().hex[:12]}"


def _check_channel(user: User, channel: str) -> None:
    if channel in ASSISTED and not user.is_staff:
        raise Unprocessable(f"der Kanal {channel} wird vom Betreiber erfasst "
                            f"(only an operator records the channel {channel})")


def act_for_shop(user: User, shop: dict[str, Any], channel: str) -> Actor:
    """The actor for a change to a shop's goods, or 403/422 saying why not."""
    actor = actor_for_shop(user, shop["shop_id"])
    _check_channel(user, channel)
    if channel in PHONE_LISTING and not shop.get("accepts_phone_listing"):
        raise Unprocessable(f"{shop['name']} nimmt keine telefonische Listung an "
                            f"(shop {shop['shop_id']} does not accept phone listing)")
    return actor


async def _open_shop(redis: Redis, shop_id: str) -> dict[str, Any]:
    shop = await queries.shop_doc(redis, shop_id)
    if shop is None:
        raise NotFound(f"Laden {shop_id} ist nicht bekannt (no shop {shop_id})")
    if shop["status"] == CLOSED:
        raise Conflict(f"Laden {shop_id} ist geschlossen (shop {shop_id} is closed)")
    return shop


async def _product_and_shop(redis: Redis, product_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    product = await queries.product_doc(redis, product_id)
    if product is None:
        raise NotFound(f"Produkt {product_id} ist nicht bekannt (no product {product_id})")
    shop = await queries.shop_doc(redis, product["shop_id"])
    if shop is None:  # pragma: no cover - a product is listed only for a known shop
        raise NotFound(f"Laden {product['shop_id']} ist nicht bekannt")
    return product, shop


# -- shops ------------------------------------------------------------------------------------
async def register_shop(redis: Redis, producer: EventProducer, user: User, profile: dict[str, Any],
                        shop_id: str | None, channel: str) -> Accepted:
    if shop_id is None:
        if user.shop_id is None and not user.is_staff:
            raise Forbidden("only an operator or the shop itself registers a shop")
        shop_id = user.shop_id or new_shop_id()
    actor = actor_for_shop(user, shop_id)
    _check_channel(user, channel)
    if await queries.shop_doc(redis, shop_id) is not None:
        raise Conflict(f"Laden {shop_id} ist schon registriert (shop {shop_id} is registered already)")
    await publish(producer, new_event(ShopRegistered, producer=PRODUCER, actor=actor, shop_id=shop_id,
                                     channel=channel, **profile))
    return Accepted("shop", shop_id, f"/v1/shops/{shop_id}")


def _profile_of(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored profile back in the shape of the event fields."""
    hours = doc.get("opening_hours") or {}
    return {
        **{k: doc.get(k) for k in ("name", "kind", "description", "address", "location", "municipality",
                                    "contact", "accepts_phone_listing", "collection_note")},
        "opening_hours": {
            "intervals": [{"weekday": i["weekday"], "opens": time.fromisoformat(i["opens"]),
                           "closes": time.fromisoformat(i["closes"])} for i in hours.get("intervals", [])],
            "closed_on": [date.fromisoformat(d) for d in hours.get("closed_on", [])],
            "note": hours.get("note")},
    }


async def update_shop(redis: Redis, producer: EventProducer, user: User, shop_id: str,
                      changes: dict[str, Any], channel: str) -> Accepted | None:
    """ShopUpdated with the whole profile after the change; None when nothing changes."""
    shop = await _open_shop(redis, shop_id)
    actor = actor_for_shop(user, shop_id)
    _check_channel(user, channel)
    before = _profile_of(shop)
    after = {**before, **changes}
    changed = changed_profile_fields(before, after)
    if not changed:
        return None
    await publish(producer, new_event(ShopUpdated, producer=PRODUCER, actor=actor, shop_id=shop_id,
                                     channel=channel, changed=changed, **after))
    return Accepted("shop", shop_id, f"/v1/shops/{shop_id}", {"changed": changed})


async def close_shop(redis: Redis, producer: EventProducer, user: User, shop_id: str, reason: str | None,
                     note: str | None, channel: str) -> Accepted:
    shop = await _open_shop(redis, shop_id)
    actor = actor_for_shop(user, shop_id)
    _check_channel(user, channel)
    reason = reason or (ShopClosureReason.REMOVED_BY_OPERATOR if user.is_staff else ShopClosureReason.LEFT_PLATFORM)
    await publish(producer, new_event(ShopClosed, producer=PRODUCER, actor=actor, shop_id=shop["shop_id"],
                                     reason=reason, note=note))
    return Accepted("shop", shop_id, f"/v1/shops/{shop_id}")


# -- products ---------------------------------------------------------------------------------
def _listed_event(actor: Actor, shop_id: str, product_id: str, draft: ProductDraft, stock_units: int,
                  channel: str) -> ProductListed:
    return new_event(ProductListed, producer=PRODUCER, actor=actor, product_id=product_id, shop_id=shop_id,
                     stock=stock_units, channel=channel, **draft.listing_record())


async def list_product(redis: Redis, producer: EventProducer, user: User, shop_id: str, draft: ProductDraft,
                       stock_units: int, channel: str) -> Accepted:
    shop = await _open_shop(redis, shop_id)
    actor = act_for_shop(user, shop, channel)
    try:
        draft = draft.checked()
    except ListingError as exc:
        raise Unprocessable(str(exc)) from None
    product_id = new_product_id()
    await publish(producer, _listed_event(actor, shop_id, product_id, draft, stock_units, channel))
    return Accepted("product", product_id, f"/v1/products/{product_id}")


async def update_product(redis: Redis, producer: EventProducer, user: User, product_id: str,
                         changes: dict[str, Any], channel: str) -> Accepted | None:
    """ProductUpdated with the whole listing after the change; None when nothing changes."""
    product, shop = await _product_and_shop(redis, product_id)
    actor = act_for_shop(user, shop, channel)
    if product["status"] != stock.LISTED:
        raise Conflict(f"Produkt {product_id} ist nicht mehr gelistet (product {product_id} is delisted)")
    before = ProductDraft.from_record(product)
    try:
        after = ProductDraft(**{**before.__dict__, **changes}).checked()
    except ListingError as exc:
        raise Unprocessable(str(exc)) from None
    changed = changed_fields(before, after)
    if not changed:
        return None
    await publish(producer, new_event(ProductUpdated, producer=PRODUCER, actor=actor, product_id=product_id,
                                     shop_id=shop["shop_id"], changed=changed, channel=channel,
                                     **after.listing_record()))
    return Accepted("product", product_id, f"/v1/products/{product_id}", {"changed": changed})


async def adjust_stock(redis: Redis, producer: EventProducer, user: User, product_id: str, *,
                       level: int | None, delta: int | None, reason: str | None, note: str | None,
                       channel: str) -> Accepted:
    """StockAdjusted as the shop states it; the worker owning the product applies
    it (see domain/stock.py for how a count meets open reservations)."""
    product, shop = await _product_and_shop(redis, product_id)
    actor = act_for_shop(user, shop, channel)
    seen = await queries.load_stock(redis, product_id)
    if seen is None:
        raise Conflict(f"der Bestand von {product_id} ist noch nicht angelegt; bitte gleich noch einmal "
                       "(the product's stock is not set up yet; retry shortly)", headers={"Retry-After": "1"})
    if level is not None:
        expected = stock.adjust(seen, level=level)
        reason = reason or StockAdjustmentReason.COUNTED
    else:
        expected = stock.adjust(seen, delta=delta)
        if expected.clamped:
            # Taking out more than there is (or past the maximum) is a typo, not a count: say so
            # rather than quietly setting 0. A real count is sent as `level`.
            raise Unprocessable(
                f"Änderung um {delta} nicht möglich: verfügbar sind {seen.available} (höchstens {stock.MAX_LEVEL}); "
                f"den gezählten Bestand bitte als level senden. A change of {delta} is impossible: "
                f"{seen.available} are available (at most {stock.MAX_LEVEL}); send a counted stock as level.",
                details={"available": seen.available, "delta": delta})
        reason = reason or (StockAdjustmentReason.RESTOCKED if (delta or 0) > 0 else StockAdjustmentReason.CORRECTION)
    await publish(producer, new_event(
        StockAdjusted, producer=PRODUCER, actor=actor, product_id=product_id, shop_id=shop["shop_id"],
        delta=delta if delta is not None else expected.delta, new_level=expected.after,
        set_level=level is not None, reason=reason, note=note, channel=channel))
    return Accepted("product", product_id, f"/v1/products/{product_id}/availability",
                    {"expected_available": expected.after})


async def delist_product(redis: Redis, producer: EventProducer, user: User, product_id: str,
                         reason: str | None, note: str | None, channel: str) -> Accepted:
    product, shop = await _product_and_shop(redis, product_id)
    actor = act_for_shop(user, shop, channel)
    if product["status"] != stock.LISTED:
        raise Conflict(f"Produkt {product_id} ist schon ausgelistet (product {product_id} is delisted already)")
    reason = reason or (DelistingReason.REMOVED_BY_OPERATOR if user.is_staff else DelistingReason.DISCONTINUED)
    await publish(producer, new_event(ProductDelisted, producer=PRODUCER, actor=actor, product_id=product_id,
                                     shop_id=shop["shop_id"], reason=reason, note=note, channel=channel))
    return Accepted("product", product_id, f"/v1/products/{product_id}")


def imported_product_id(shop_id: str, data: bytes, line: int) -> str:
    digest = hashlib.sha256(data).hexdigest()
    return f"p-{uuid.uuid5(IMPORT_NAMESPACE, f'{shop_id}|{digest}|{line}').hex}"


async def import_products(redis: Redis, producer: EventProducer, user: User, shop_id: str, data: bytes,
                          channel: str, *, dry_run: bool = False, max_rows: int = 5000) -> dict[str, Any]:
    """Every good row of a CSV product list becomes a ProductListed; the report
    names every bad row with its line and reason. A file of which no row can be
    listed is refused (422) with the report."""
    shop = await _open_shop(redis, shop_id)
    actor = act_for_shop(user, shop, channel)
    existing = await queries.shop_listing_keys(redis, shop_id)
    try:
        report = read_product_csv(data, existing=existing, max_rows=max_rows)
    except ImportFileError as exc:
        raise Unprocessable(str(exc)) from None
    rejected = [{"line": r.line, "reason": r.reason} for r in report.rejected]
    if not report.rows and rejected:
        raise Unprocessable("keine Zeile konnte übernommen werden (no row could be imported)",
                            details={"rejected": rejected, "ignored_columns": report.ignored_columns})
    listed = [(row, imported_product_id(shop_id, data, row.line)) for row in report.rows]
    if not dry_run:
        # If the broker fails half-way (503), sending the file again is safe: rows
        # already listed are reported as such, and the ids would be the same anyway.
        for start in range(0, len(listed), PUBLISH_BATCH):
            batch = listed[start:start + PUBLISH_BATCH]
            await asyncio.gather(*(publish(producer, _listed_event(actor, shop_id, product_id, row.draft, row.stock,
                                                                   channel))
                                   for row, product_id in batch))
    return {
        "shop_id": shop_id,
        "dry_run": dry_run,
        "channel": channel,
        "imported": [{"line": row.line, "product_id": product_id, "name": row.draft.name,
                      "status_url": f"/v1/products/{product_id}"} for row, product_id in listed],
        "rejected": rejected,
        "ignored_columns": report.ignored_columns,
    }
