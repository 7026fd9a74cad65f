"""The worker's state in Redis as plain JSON documents (`keys.py`), and the one
place that writes a match's state together with what it means for its load and
trip (the decisions and the projections of freight.matches both use it).

Times in documents are milliseconds since the epoch (UTC).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from .. import keys
from ..domain import lifecycle
from ..domain.offers import Load, Trip, Window

Doc = dict[str, Any]


def ms(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


def at(value_ms: int | None) -> datetime | None:
    return None if value_ms is None else datetime.fromtimestamp(value_ms / 1000, timezone.utc)


async def read_doc(reader: Redis | Pipeline, key: str) -> Doc | None:
    raw = await reader.get(key)
    return None if raw is None else json.loads(raw)


def dump(doc: Doc) -> str:
    return json.dumps(doc, ensure_ascii=False, sort_keys=True)


def place_json(place: Any) -> Doc:
    return {"name": place.name, "lat": place.location.lat, "lon": place.location.lon}


def stage_match(pipe: Pipeline, match: Doc, load: Doc | None) -> None:
    """Queue the writes of `match` in its (new) status: the match, its load's status
    and the trip's held room, the open set and the excluded pairs."""
    status = match["status"]
    pipe.set(keys.match(match["match_id"]), dump(match))
    if status in lifecycle.HOLDING:
        pipe.sadd(keys.holding(match["trip_id"]), match["match_id"])
    else:
        pipe.srem(keys.holding(match["trip_id"]), match["match_id"])
        pipe.set(keys.MATCHING_DUE, "1")  # room freed on the trip
    if load is None or load.get("status") == "WITHDRAWN":
        return
    if status in (lifecycle.DECLINED, lifecycle.CANCELLED):
        if load.get("match_id") == match["match_id"]:
            load["status"], load["match_id"] = lifecycle.OPEN, None
            if not load.get("unmatchable_reason"):
                pipe.sadd(keys.LOADS_OPEN, load["load_id"])
        # A pair that did not work out is not proposed again (a withdrawn trip is gone anyway).
        pipe.sadd(keys.excluded(load["load_id"]), match["trip_id"])
        pipe.set(keys.MATCHING_DUE, "1")
    else:
        load["status"], load["match_id"] = lifecycle.load_status(status), match["match_id"]
        load["unmatched_reason"] = None
        pipe.srem(keys.LOADS_OPEN, load["load_id"])
    pipe.set(keys.load(load["load_id"]), dump(load))


def domain_trip(doc: Doc, index: dict[str, int]) -> Trip:
    return Trip(doc["trip_id"], index[f"trip-o:{doc['trip_id']}"], index[f"trip-d:{doc['trip_id']}"],
                Window(doc["depart_start"] // 1000, doc["depart_end"] // 1000),
                None if doc.get("arrive_by") is None else doc["arrive_by"] // 1000,
                doc["spare_weight_g"], doc["spare_volume_ml"] if doc["spare_volume_ml"] > 0 else 2 ** 31,
                doc.get("temperature", "AMBIENT"), doc.get("max_detour_m"), doc.get("max_detour_s"),
                tuple(index[f"trip-v{i}:{doc['trip_id']}"] for i in range(len(doc.get("via") or ()))),
                doc.get("spare_parcels"))


def domain_load(doc: Doc, index: dict[str, int]) -> Load:
    return Load(doc["load_id"], index[f"load-o:{doc['load_id']}"], index[f"load-d:{doc['load_id']}"],
                Window(doc["pickup_start"] // 1000, doc["pickup_end"] // 1000),
                Window(doc["delivery_start"] // 1000, doc["delivery_end"] // 1000),
                doc["weight_g"], doc["volume_ml"], doc.get("temperature", "AMBIENT"), doc.get("parcels", 1))


def places_of(trips: list[Doc], loads: list[Doc]) -> tuple[list[tuple[float, float]], dict[str, int]]:
    """The matrix points of trips and loads (shared where equal) and each end's index."""
    points: list[tuple[float, float]] = []
    at_point: dict[tuple[float, float], int] = {}
    index: dict[str, int] = {}

    def put(name: str, place: Doc) -> None:
        point = (round(place["lat"], 6), round(place["lon"], 6))
        if point not in at_point:
            at_point[point] = len(points)
            points.append(point)
        index[name] = at_point[point]

    for trip in trips:
        put(f"trip-o:{trip['trip_id']}", trip["origin"])
        put(f"trip-d:{trip['trip_id']}", trip["destination"])
        for i, via in enumerate(trip.get("via") or ()):
            put(f"trip-v{i}:{trip['trip_id']}", via)
    for load in loads:
        put(f"load-o:{load['load_id']}", load["origin"])
        put(f"load-d:{load['load_id']}", load["destination"])
    return points, index
