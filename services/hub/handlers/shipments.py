"""The hub's read model of shipments, projected from its own topic
(logistics.shipments): one JSON document per shipment with its status and
history, and a set of shipment ids per delivery day.

All events of a shipment share its partition (key shipment_id), so they arrive
in order and a later status never meets a missing shipment. Statuses only move
forward; a request with a higher attempt (a missed collection requested again)
replaces the earlier one and may move the shipment to another day.

Rebuild: delete `hub:shipment:*` and `hub:day:*` and replay logistics.shipments
from the beginning (with orders.orders for `hub:cancelled:*`).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from redis.asyncio import Redis

from nahnetz.events import Event
from nahnetz.messaging.handling import InvalidEvent

from .. import keys
from ..domain.shipments import collection_day_of
from ..domain.stock import advanced

STATUS_OF = {"ShipmentCollected": "COLLECTED", "ShipmentAtHub": "AT_HUB", "ShipmentDelivered": "DELIVERED"}


async def project_shipment_event(event: Event, redis: Redis) -> dict[str, Any] | None:
    """Apply the event; return the shipment's document after it (None if ignored)."""
    key = keys.shipment(event.shipment_id)
    raw = await redis.get(key)
    current = None if raw is None else json.loads(raw)
    if event.type == "ShipmentRequested":
        return await _requested(event, redis, current)
    if current is None:
        raise InvalidEvent(f"{event.type} for shipment {event.shipment_id}, which was never requested")
    status = advanced(current["status"], STATUS_OF[event.type])
    at = event.meta["occurred_at"].isoformat()
    entry = {"status": STATUS_OF[event.type], "at": at, "event_id": event.event_id,
             "tour_id": event.data.get("tour_id")}
    if any(h.get("event_id") == event.event_id for h in current["history"]):
        return current  # a redelivery
    current["history"].append(entry)
    current["status"] = status
    if event.type == "ShipmentAtHub":
        current["hub_id"] = event.hub_id
        current["storage_place"] = event.storage_place
    if event.type == "ShipmentDelivered":
        current["delivered_compartment_ids"] = list(event.compartment_ids)
    current["updated_at"] = at
    await redis.set(key, json.dumps(current))
    return current


async def _requested(event: Event, redis: Redis, current: dict[str, Any] | None) -> dict[str, Any] | None:
    attempt = event.attempt
    if current is not None and attempt < current["attempt"]:
        return None  # an older request than the one we show
    doc = _document(event)
    if current is not None and attempt == current["attempt"]:
        doc["status"], doc["history"] = current["status"], current["history"]  # the same request again
    else:
        doc["history"] = (current or {}).get("history", []) + [
            {"status": "REQUESTED", "at": doc["updated_at"], "event_id": event.event_id, "attempt": attempt}]
    async with redis.pipeline(transaction=True) as pipe:
        if current is not None and current["delivery_day"] != doc["delivery_day"]:
            pipe.srem(keys.day(current["delivery_day"]), event.shipment_id)
        pipe.set(keys.shipment(event.shipment_id), json.dumps(doc))
        pipe.sadd(keys.day(doc["delivery_day"]), event.shipment_id)
        await pipe.execute()
    return doc


def _document(event: Event) -> dict[str, Any]:
    data = event.data
    collection_day = collection_day_of(data)
    return {
        "shipment_id": data["shipment_id"], "order_id": data["order_id"], "status": "REQUESTED",
        "attempt": data["attempt"], "shop_id": data["shop_id"], "shop_name": data["shop_name"],
        "shop_location": data["shop_location"], "pickup_point_id": data["pickup_point_id"],
        "pickup_point_name": data["pickup_point_name"], "pickup_point_location": data["pickup_point_location"],
        "compartment_ids": list(data["compartment_ids"]), "delivery_day": data["delivery_day"].isoformat(),
        "collection_day": collection_day.isoformat() if collection_day else None,
        "via_hub": bool(collection_day and collection_day < data["delivery_day"]),
        "weight_g": data["weight_g"], "volume_ml": data["volume_ml"],
        "temperature_class": data["temperature_class"],
        "pickup_windows": [_window(w) for w in data["pickup_windows"]],
        "delivery_windows": [_window(w) for w in data["delivery_windows"]],
        "items": [dict(i) for i in data["items"]],
        "requested_at": event.meta["occurred_at"].isoformat(), "updated_at": event.meta["occurred_at"].isoformat(),
    }


def _window(record: dict[str, datetime]) -> dict[str, str]:
    return {"start": record["start"].isoformat(), "end": record["end"].isoformat()}


def day_of(doc: dict[str, Any]) -> date:
    return date.fromisoformat(doc["delivery_day"])
