"""catalog.shops into the shop read model and the places shops are found by
(municipality, GEO index). A ShopClosed delists the shop's goods, as
ProductDelisted events on catalog.products, so every projection of that topic
learns it.

Every event is applied once (processed marker per event id) in one MULTI/EXEC.
Shop events carry the whole profile, so the projection replaces the document.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from nahnetz.events import Event, new_event
from nahnetz.messaging.handling import InvalidEvent
from nahnetz.messaging.idempotency import ProcessedMarkers, Transaction
from nahnetz.messaging.producer import EventProducer
from redis.asyncio import Redis

from .. import keys
from ..domain.shops import CLOSED, OPEN, PROFILE_FIELDS
from .event_values import jsonable, occurred
from .redis_values import dump, json_doc, text

PRODUCER = "catalog-worker"
CONSUMER = "catalog.project_shops"


async def project_shop_event(event: Event, redis: Redis, producer: EventProducer | None) -> None:
    """Apply a shop event; `producer=None` (a rebuild) publishes no delistings."""
    markers = ProcessedMarkers(redis, consumer=CONSUMER)
    shop_id = event.shop_id

    async def step(tx: Transaction) -> str | None:
        old = json_doc(await tx.read.get(keys.shop(shop_id)))
        if event.type in ("ShopRegistered", "ShopUpdated"):
            doc = {**(old or {}), **{f: jsonable(event.data[f]) for f in PROFILE_FIELDS},
                   "shop_id": shop_id, "channel": event.channel,
                   "status": (old or {}).get("status", OPEN),
                   "registered_at": (old or {}).get("registered_at") or occurred(event),
                   "updated_at": occurred(event)}
            write_shop(tx.write, old, doc)
            return None
        if event.type == "ShopClosed":
            if old is None:
                raise InvalidEvent(f"ShopClosed for shop {shop_id}, which never registered")
            listed = sorted(text(p) for p in await tx.read.smembers(keys.shop_products(shop_id)))
            doc = {**old, "status": CLOSED, "closure_reason": event.reason, "updated_at": occurred(event)}
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
