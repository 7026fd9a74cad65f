"""The API's answers from the hub's read model: shipments of a day, one shipment,
and the hub's stock by destination."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from redis.asyncio import Redis

from . import keys
from .domain.stock import effective_status, stock_by_destination


def shipment_view(doc: dict[str, Any], cancelled_at: str | None, exception: str | None) -> dict[str, Any]:
    view = dict(doc)
    view["order_cancelled"] = cancelled_at is not None
    view["status"] = effective_status(doc["status"], cancelled_at is not None)
    view["exception"] = None if exception is None else json.loads(exception)
    return view


async def _views(redis: Redis, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not docs:
        return []
    cancelled = await redis.mget([keys.cancelled(d["order_id"]) for d in docs])
    exceptions = await redis.mget([keys.exception(d["shipment_id"]) for d in docs])
    return [shipment_view(d, c, e) for d, c, e in zip(docs, cancelled, exceptions)]


async def shipment(redis: Redis, shipment_id: str) -> dict[str, Any] | None:
    raw = await redis.get(keys.shipment(shipment_id))
    if raw is None:
        return None
    [view] = await _views(redis, [json.loads(raw)])
    return view


async def shipments_of_day(redis: Redis, day: date, *, status: str | None = None,
                           pickup_point_id: str | None = None) -> list[dict[str, Any]]:
    ids = sorted(await redis.smembers(keys.day(day)))
    raws = await redis.mget([keys.shipment(i) for i in ids]) if ids else []
    docs = [json.loads(r) for r in raws if r is not None]
    views = await _views(redis, docs)
    return sorted(
        (v for v in views
         if (status is None or v["status"] == status)
         and (pickup_point_id is None or v["pickup_point_id"] == pickup_point_id)),
        key=lambda v: (v["pickup_point_id"], v["shop_id"], v["shipment_id"]),
    )


async def stock(redis: Redis, day: date) -> dict[str, Any]:
    return {"day": day.isoformat(), **stock_by_destination(await shipments_of_day(redis, day))}
