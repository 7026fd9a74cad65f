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
from typing import Any

from redis.asyncio import Redis

from nahnetz.events import Event
from nahnetz.messaging.handling import InvalidEvent
from nahnetz.records import ShipmentAtHub, ShipmentCollected, ShipmentDelivered, ShipmentRequested

from .. import keys
from ..domain.shipments import collection_day_of
from ..domain.stock import advanced

STATUS_OF: dict[type[Event], str] = {ShipmentCollected: "COLLECTED", ShipmentAtHub: "AT_HUB",
                                     ShipmentDelivered: "DELIVERED"}


async def project_shipment_event(event: Event, redis: Redis) -> dict[str, Any] | None:
    """Apply the event; return the shipment's document after it (None if ignored)."""
    if isinstance(event, ShipmentRequested):
        return await _requested(event, redis)
    reported = STATUS_OF.get(type(event))
    if reported is None:
        return None
    key = keys.shipment(event.shipment_id)
    raw = await redis.get(key)
    if raw is None:
        raise InvalidEvent(f"{event.type} for shipment {event.shipment_id}, which was never requested")
    current = json.loads(raw)
    if any(h.get("event_id") == event.event_id for h in current["history"]):
        return current  # a redelivery
    at = event.meta.occurred_at.isoformat()
    tour_id = None if isinstance(event, ShipmentAtHub) else event.tour_id
    current["history"].append({"status": reported, "at": at, "event_id": event.event_id, "tour_id": tour_id})
    current["status"] = advanced(current["status"], reported)
    if isinstance(event, ShipmentAtHub):
        current["hub_id"] = event.hub_id
        current["storage_place"] = event.storage_place
    if isinstance(event, ShipmentDelivered):
        current["delivered_compartment_ids"] = list(event.compartment_ids)
    current["updated_at"] = at
    await redis.set(key, json.dumps(current))
    return current


async def _requested(event: ShipmentRequested, redis: Redis) -> dict[str, Any] | None:
    raw = await redis.get(keys.shipment(event.shipment_id))
    current = None if raw is None else json.loads(raw)
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


def _document(event: ShipmentRequested) -> dict[str, Any]:
    collection_day = collection_day_of(event)
    at = event.meta.occurred_at.isoformat()
    return {
        "shipment_id": event.shipment_id, "order_id": event.order_id, "status": "REQUESTED",
        "attempt": event.attempt, "shop_id": event.shop_id, "shop_name": event.shop_name,
        "shop_location": event.shop_location.to_avro(), "pickup_point_id": event.pickup_point_id,
        "pickup_point_name": event.pickup_point_name,
        "pickup_point_location": event.pickup_point_location.to_avro(),
        "compartment_ids": list(event.compartment_ids), "delivery_day": event.delivery_day.isoformat(),
        "collection_day": collection_day.isoformat() if collection_day else None,
        "via_hub": bool(collection_day and collection_day < event.delivery_day),
        # When the request moved the delivery day: from which day and why, for the operator.
        "moved_from": event.moved_from.isoformat() if event.moved_from else None,
        "move_reason": event.move_reason.value if event.move_reason else None,
        "weight_g": event.weight_g, "volume_ml": event.volume_ml,
        "temperature_class": event.temperature_class.value,
        "pickup_windows": [{"start": w.start.isoformat(), "end": w.end.isoformat()} for w in event.pickup_windows],
        "delivery_windows": [{"start": w.start.isoformat(), "end": w.end.isoformat()}
                             for w in event.delivery_windows],
        "items": [item.to_avro() for item in event.items],
        "requested_at": at, "updated_at": at,
    }
