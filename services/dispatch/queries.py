"""The read views the dispatch API answers from Redis: tours of a day, a
driver's tours, one tour with its stops, and the printable sheet (times in UTC,
plus the local time Europe/Berlin that drivers read)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from redis.asyncio import Redis

from nahnetz.clock import in_berlin
from nahnetz.records import DriverBreak, StopConsignment

from . import keys
from .domain.progress import StopStatus
from .domain.sheet import tour_sheet
from .domain.tours import break_minutes, breaks_before_stops, loads, order_ids, parcels, unloads
from .handlers.places import load_places
from .handlers.sheet import render_sheet
from .handlers.tours import TourState, load_tours


async def tours_of_day(redis: Redis, day: date) -> list[TourState]:
    return await load_tours(redis, list(await redis.smembers(keys.tours_of_day(day))))


async def driver_tours(redis: Redis, driver_id: str, day: date) -> list[TourState]:
    return await load_tours(redis, list(await redis.smembers(keys.driver_tours(driver_id, day))))


async def next_tour_day(redis: Redis, driver_id: str, today: date, look_ahead: int = 7) -> date:
    """The driver's day to show: the first from today on with a tour still to drive
    (today when there is none within the next days)."""
    days = await redis.zrangebyscore(keys.driver_days(driver_id), today.toordinal(), "+inf", start=0,
                                     num=look_ahead)
    for text in days:
        day = date.fromisoformat(text)
        if any(not s.progress.status(s.tour).done for s in await driver_tours(redis, driver_id, day)):
            return day
    return today


async def sheet_html(redis: Redis, state: TourState, now: datetime) -> str:
    """The tour sheet for A4 print, with the compartment labels of the points and
    the stops already done marked (a reprint)."""
    where = await load_places(redis, [s.place_id for s in state.tour.stops])
    return render_sheet(tour_sheet(state.tour, places=where, now=now, progress=state.progress))


def tour_summary(state: TourState) -> dict[str, Any]:
    tour, progress = state.tour, state.progress
    statuses = progress.statuses(tour)
    return {
        "tour_id": tour.tour_id, "plan_id": tour.plan_id, "day": tour.day.isoformat(),
        "driver_id": tour.driver_id, "vehicle_id": tour.vehicle_id, "vehicle_name": tour.vehicle_name,
        "status": progress.status(tour).value, "stops": len(tour.stops),
        "stops_done": sum(1 for s in statuses if s is StopStatus.DONE),
        "stops_failed": sum(1 for s in statuses if s is StopStatus.FAILED),
        "parcels": parcels(tour), "replaces_tour_id": tour.replaces_tour_id,
        "replaced_by": progress.replaced_by, "done_stops": list(tour.done_stops),
        "first_eta": tour.stops[0].eta.isoformat() if tour.stops else None,
        "status_url": f"/v1/tours/{tour.tour_id}", "sheet_url": f"/v1/tours/{tour.tour_id}/sheet",
    }


def break_view(rest: DriverBreak) -> dict[str, Any]:
    return {"place_id": rest.place_id, "starts_at": rest.starts_at.isoformat(), "ends_at": rest.ends_at.isoformat(),
            "starts_local": in_berlin(rest.starts_at).strftime("%H:%M"),
            "ends_local": in_berlin(rest.ends_at).strftime("%H:%M"), "minutes": break_minutes(rest)}


def tour_view(state: TourState) -> dict[str, Any]:
    tour, progress = state.tour, state.progress
    stops = []
    breaks, breaks_after = breaks_before_stops(tour)
    for index, (stop, done, status) in enumerate(zip(tour.stops, progress.stops, progress.statuses(tour))):
        stops.append({
            "seq": index, "kind": stop.kind.value, "place_id": stop.place_id, "name": stop.name,
            "address": stop.address.to_avro() if stop.address else None, "driver_note": stop.driver_note,
            "location": stop.location.to_avro(), "eta": stop.eta.isoformat(),
            "eta_local": in_berlin(stop.eta).strftime("%H:%M"),
            "job_ids": list(stop.job_ids), "shipment_ids": list(stop.shipment_ids),
            "order_ids": order_ids(stop),
            "load": [_consignment(c) for c in loads(stop)], "unload": [_consignment(c) for c in unloads(stop)],
            "load_g_after": stop.load_g, "load_ml_after": stop.load_ml,
            "status": status.value, "progress": _progress(asdict(done)),
            # The driver's breaks that fall before this stop (the ETA allows for them).
            "breaks_before": [break_view(b) for b in breaks[index]],
        })
    return {**tour_summary(state), "planned_distance_km": tour.planned_distance_km,
            "planned_duration_s": tour.planned_duration_s, "stops": stops,
            "breaks": [break_view(b) for b in tour.breaks], "breaks_after": [break_view(b) for b in breaks_after]}


def _consignment(c: StopConsignment) -> dict[str, Any]:
    return {"shipment_id": c.shipment_id, "order_id": c.order_id, "shop_id": c.shop_id,
            "pickup_point_id": c.pickup_point_id, "compartment_ids": list(c.compartment_ids),
            "parcels": c.parcels, "weight_g": c.weight_g, "volume_ml": c.volume_ml,
            "temperature_class": c.temperature_class.value}


def _progress(done: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in done.items() if v not in (None, (), [])}
