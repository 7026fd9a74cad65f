"""Read views of tours, as the API answers them (times in UTC, plus the local time
Europe/Berlin that drivers read)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from ..domain.progress import StopStatus
from ..domain.sheet import BERLIN
from .tours import TourState


def tour_summary(state: TourState) -> dict[str, Any]:
    tour, progress = state.tour, state.progress
    statuses = progress.statuses(tour)
    return {
        "tour_id": tour.tour_id, "plan_id": tour.plan_id, "day": tour.day.isoformat(),
        "driver_id": tour.driver_id, "vehicle_id": tour.vehicle_id, "vehicle_name": tour.vehicle_name,
        "status": progress.status(tour).value, "stops": len(tour.stops),
        "stops_done": sum(1 for s in statuses if s is StopStatus.DONE),
        "stops_failed": sum(1 for s in statuses if s is StopStatus.FAILED),
        "parcels": tour.parcels, "replaces_tour_id": tour.replaces_tour_id,
        "replaced_by": progress.replaced_by, "done_stops": list(tour.done_stops),
        "first_eta": tour.stops[0].eta.isoformat() if tour.stops else None,
        "status_url": f"/v1/tours/{tour.tour_id}", "sheet_url": f"/v1/tours/{tour.tour_id}/sheet",
    }


def tour_view(state: TourState) -> dict[str, Any]:
    tour, progress = state.tour, state.progress
    stops = []
    for stop, done, status in zip(tour.stops, progress.stops, progress.statuses(tour)):
        stops.append({
            "seq": stop.index, "kind": stop.kind, "place_id": stop.place_id, "name": stop.name,
            "address": dict(stop.address) if stop.address else None, "driver_note": stop.driver_note,
            "location": dict(stop.location), "eta": stop.eta.isoformat(),
            "eta_local": stop.eta.astimezone(BERLIN).strftime("%H:%M"),
            "job_ids": list(stop.job_ids), "shipment_ids": list(stop.shipment_ids),
            "order_ids": list(stop.order_ids),
            "load": [_consignment(c) for c in stop.loads], "unload": [_consignment(c) for c in stop.unloads],
            "load_g_after": stop.load_g, "load_ml_after": stop.load_ml,
            "status": status.value, "progress": _progress(asdict(done)),
        })
    return {**tour_summary(state), "planned_distance_km": tour.planned_distance_km,
            "planned_duration_s": tour.planned_duration_s, "stops": stops}


def _consignment(c) -> dict[str, Any]:
    return {"shipment_id": c.shipment_id, "order_id": c.order_id, "shop_id": c.shop_id,
            "pickup_point_id": c.pickup_point_id, "compartment_ids": list(c.compartment_ids),
            "parcels": c.parcels, "weight_g": c.weight_g, "volume_ml": c.volume_ml,
            "temperature_class": c.temperature_class}


def _progress(done: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in done.items() if v not in (None, (), [])}
