"""catalog.shops into the shop read model and the places shops are found by
(municipality, GEO index). A ShopClosed delists the shop's goods, as
ProductDelisted events on catalog.products, so every projection of that topic
learns it.

Every event is applied once (processed marker per event id) in one MULTI/EXEC;
the delistings a closure causes are remembered with the marker and published
through the `Outbox`. Shop events carry the whole profile, so the projection
replaces the document.
"""

from __future__ import annotations

from typing import Any, Mapping, Union

from nahnetz.events import Event, new_event
from nahnetz.messaging.handling import InvalidEvent
from nahnetz.messaging.idempotency import ProcessedMarkers, Transaction
from nahnetz.messaging.outbox import Outbox
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import DelistingReason, OpeningHours, ProductDelisted, ShopClosed, ShopRegistered, ShopUpdated
from redis.asyncio import Redis

from .. import keys
from ..domain.shops import CLOSED, OPEN
from ..queries import document, instant, read_document, time_of_day

PRODUCER = "catalog-worker"
CONSUMER = "catalog.project_shops"
ShopEvent = Union[ShopRegistered, ShopUpdated, ShopClosed]


async def project_shop_event(event: ShopEvent, redis: Redis, producer: EventProducer | None) -> list[Event]:
    """Apply a shop event and publish the delistings it causes; return them.
    `producer=None` (a rebuild of the read models) applies it and publishes nothing:
    the delistings went out when the shop closed."""
    shop_id = event.shop_id

    async def step(tx: Transaction) -> list[Event]:
        old = read_document(await tx.read.get(keys.shop(shop_id)))
        occurred = instant(event.meta.occurred_at)
        if isinstance(event, (ShopRegistered, ShopUpdated)):
            doc = {**(old or {}), **profile(event), "shop_id": shop_id, "channel": event.channel,
                   "status": (old or {}).get("status", OPEN),
                   "registered_at": (old or {}).get("registered_at") or occurred, "updated_at": occurred}
            write_shop(tx.write, old, doc)
            return []
        if isinstance(event, ShopClosed):
            if old is None:
                raise InvalidEvent(f"ShopClosed for shop {shop_id}, which never registered")
            listed = sorted(await tx.read.smembers(keys.shop_products(shop_id)))
            doc = {**old, "status": CLOSED, "closure_reason": event.reason, "updated_at": occurred}
            write_shop(tx.write, old, doc)
            # "Its products are delisted" (ShopClosed): as events, so every projection
            # of catalog.products learns it.
            return [new_event(ProductDelisted, producer=PRODUCER, caused_by=event, product_id=product_id,
                              shop_id=shop_id, reason=DelistingReason.SHOP_CLOSED) for product_id in listed]
        raise InvalidEvent(f"{event.type} is not a shop event")

    watch = [keys.shop(shop_id), keys.shop_products(shop_id)]
    if producer is None:
        async def read_model_only(tx: Transaction) -> None:
            await step(tx)

        await ProcessedMarkers(redis, consumer=CONSUMER).apply(event.event_id, read_model_only, watch=watch)
        return []
    return await Outbox(redis, producer, consumer=CONSUMER).decide(event.event_id, step, watch=watch)


def profile(event: ShopRegistered | ShopUpdated) -> dict[str, Any]:
    """The profile fields in the shop document (times of day "HH:MM", days ISO)."""
    return {"name": event.name, "kind": event.kind, "description": event.description,
            "address": event.address.to_avro(), "location": event.location.to_avro(),
            "municipality": event.municipality, "opening_hours": opening_hours(event.opening_hours),
            "contact": event.contact.to_avro(), "accepts_phone_listing": event.accepts_phone_listing,
            "collection_note": event.collection_note}


def opening_hours(hours: OpeningHours) -> dict[str, Any]:
    return {"intervals": [{"weekday": i.weekday, "opens": time_of_day(i.opens), "closes": time_of_day(i.closes)}
                          for i in hours.intervals],
            "closed_on": [day.isoformat() for day in hours.closed_on], "note": hours.note}


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
    writer.set(keys.shop(shop_id), document(new))
