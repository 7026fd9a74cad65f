"""The read models the API answers from Redis: trips, loads, matches, a
participant's own listings, and the week's open trips and loads for the board."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from redis.asyncio import Redis

from . import keys
from .domain.recurring import BERLIN
from .handlers.state import Doc, read_doc


async def trip(redis: Redis, trip_id: str) -> Doc | None:
    return await read_doc(redis, keys.trip(trip_id))


async def load(redis: Redis, load_id: str) -> Doc | None:
    return await read_doc(redis, keys.load(load_id))


async def match(redis: Redis, match_id: str) -> Doc | None:
    return await read_doc(redis, keys.match(match_id))


async def later_in_series(redis: Redis, first: Doc) -> list[Doc]:
    """The open trips of `first`'s weekly series leaving after it, earliest first."""
    if not first.get("recurrence_id"):
        return []
    found = []
    for trip_id in sorted(await redis.smembers(keys.TRIPS_OPEN)):
        doc = await read_doc(redis, keys.trip(trip_id))
        if (doc is not None and doc.get("recurrence_id") == first["recurrence_id"] and doc["status"] == "OPEN"
                and doc["participant_id"] == first["participant_id"] and doc["depart_start"] > first["depart_start"]):
            found.append(doc)
    return sorted(found, key=lambda doc: doc["depart_start"])


def iso(value_ms: int | None) -> str | None:
    return None if value_ms is None else datetime.fromtimestamp(value_ms / 1000, timezone.utc).isoformat()


def trip_view(doc: Doc, held: list[Doc] | None = None) -> dict[str, Any]:
    view = {k: doc.get(k) for k in (
        "trip_id", "participant_id", "participant_name", "participant_kind", "origin", "destination", "via",
        "spare_weight_g", "spare_volume_ml", "spare_parcels", "temperature", "max_detour_m", "max_detour_s",
        "price_rule", "price_per_km_cents", "fixed_price_cents", "recurrence_id", "tour_id", "plan_id", "channel",
        "entered_by", "assisted", "note", "status")}
    view |= {"departure": {"start": iso(doc["depart_start"]), "end": iso(doc["depart_end"])},
             "arrive_by": iso(doc.get("arrive_by"))}
    if held is not None:
        view["matches"] = [{"match_id": m["match_id"], "load_id": m["load_id"], "status": m["status"]} for m in held]
    return view


def load_view(doc: Doc) -> dict[str, Any]:
    view = {k: doc.get(k) for k in (
        "load_id", "participant_id", "participant_name", "participant_kind", "recipient_name", "origin",
        "destination", "description", "weight_g", "volume_ml", "parcels", "temperature", "max_price_cents",
        "handling_notes", "channel", "entered_by", "assisted", "status", "match_id")}
    view |= {"pickup_window": {"start": iso(doc["pickup_start"]), "end": iso(doc["pickup_end"])},
             "delivery_window": {"start": iso(doc["delivery_start"]), "end": iso(doc["delivery_end"])},
             "matchable": not doc.get("unmatchable_reason"),
             "unmatchable_reason": doc.get("unmatchable_reason"), "unmatched_reason": doc.get("unmatched_reason")}
    return view


def match_view(doc: Doc) -> dict[str, Any]:
    view = {k: doc.get(k) for k in (
        "match_id", "trip_id", "load_id", "trip_participant_id", "load_participant_id", "status", "accepted_by",
        "price_cents", "detour_km", "detour_min", "km_avoided", "co2_kg_avoided", "cancel_reason", "proof")}
    view |= {"pickup_eta": iso(doc.get("pickup_eta")), "respond_by": iso(doc.get("respond_by")),
             "stops": [{"action": s["action"], "load_id": s.get("load_id"), "place": s["name"],
                        "location": {"lat": s["lat"], "lon": s["lon"]}, "eta": iso(s["eta"])}
                       for s in doc.get("stops", [])]}
    return view


async def held_matches(redis: Redis, trip_id: str) -> list[Doc]:
    found = []
    for match_id in sorted(await redis.smembers(keys.holding(trip_id))):
        doc = await match(redis, match_id)
        if doc is not None:
            found.append(doc)
    return found


async def mine(redis: Redis, participant_id: str) -> dict[str, Any]:
    trips, loads = [], []
    for entry in sorted(await redis.smembers(keys.participant(participant_id))):
        kind, _, ident = entry.partition(":")
        if kind == "trip" and (doc := await trip(redis, ident)) is not None:
            trips.append(trip_view(doc, await held_matches(redis, ident)))
        elif kind == "load" and (doc := await load(redis, ident)) is not None:
            view = load_view(doc)
            if doc.get("match_id") and (m := await match(redis, doc["match_id"])) is not None:
                view["match"] = match_view(m)
            loads.append(view)
    return {"participant_id": participant_id, "trips": trips, "loads": loads}


def week_of(day: date) -> tuple[date, datetime, datetime]:
    monday = day - timedelta(days=day.weekday())
    start = datetime.combine(monday, time(0), tzinfo=BERLIN)
    return monday, start.astimezone(timezone.utc), (start + timedelta(days=7)).astimezone(timezone.utc)


async def open_in_week(redis: Redis, day: date) -> tuple[date, list[Doc], list[Doc]]:
    """The trips on offer and the loads still looking for a ride in the week of `day`."""
    monday, start, end = week_of(day)
    lo, hi = int(start.timestamp() * 1000), int(end.timestamp() * 1000)
    trips = [t for t in [await trip(redis, i) for i in sorted(await redis.smembers(keys.TRIPS_OPEN))]
             if t is not None and t["status"] == "OPEN" and lo <= t["depart_start"] < hi]
    loads = [l for l in [await load(redis, i) for i in sorted(await redis.smembers(keys.LOADS_OPEN))]
             if l is not None and l["status"] == "OPEN" and l["pickup_start"] < hi and l["pickup_end"] >= lo]
    trips.sort(key=lambda t: t["depart_start"])
    loads.sort(key=lambda l: l["pickup_start"])
    return monday, trips, loads
