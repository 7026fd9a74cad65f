"""The operator's pages' logic (pure): the day asked for, the tours as map features
and table rows, the printable tour sheet's rows, the plan's figures, the hub's
shipments grouped by destination.

Tours come from the dispatch API (`GET /v1/tours?day=`, `GET /v1/tours/{id}`),
plans from routing (`GET /v1/plans/{id}`), shipments from the hub.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any, Iterable, Mapping
from zoneinfo import ZoneInfo

from .geo import collection, line, point

BERLIN = ZoneInfo("Europe/Berlin")
# Colours for tours on the map (contrast on the light map background).
TOUR_COLOURS = ("#0b4f8a", "#8a1c1c", "#6a2c91", "#8a4b08", "#1d5e3a", "#3c3c3c")

TOUR_STATES = {
    "DISPATCHED": ("freigegeben", "dispatched"), "UNDERWAY": ("unterwegs", "on the road"),
    "FINISHED": ("gefahren", "finished"), "COMPLETED": ("abgeschlossen", "completed"),
    "REPLACED": ("ersetzt", "replaced"),
}
PLAN_STATES = {"PENDING": ("wird berechnet", "being computed"), "PLANNED": ("fertig", "ready"),
               "FAILED": ("gescheitert", "failed")}
STOP_KINDS = {"PICKUP": ("Abholen", "Pick up"), "DELIVERY": ("Abliefern", "Deliver"), "DEPOT": ("Hub", "Hub"),
              "HUB": ("Hub", "Hub")}
SHIPMENT_STATES = {"REQUESTED": ("angefordert", "requested"), "COLLECTED": ("abgeholt", "collected"),
                   "AT_HUB": ("im Hub", "at the hub"), "DELIVERED": ("zugestellt", "delivered"),
                   "WITHDRAWN": ("zurückgezogen", "withdrawn")}


def label(table: Mapping[str, tuple[str, str]], value: str | None) -> tuple[str, str]:
    return table.get(value or "", (value or "–", value or "–"))


def day_asked(text: str | None, today: date) -> date:
    """The day of `?tag=YYYY-MM-DD`; today when missing or not a plausible day."""
    if text:
        try:
            asked = date.fromisoformat(text.strip())
        except ValueError:
            return today
        if abs((asked - today).days) <= 366:
            return asked
    return today


WEEKDAYS_SHORT = (("Mo", "Mon"), ("Di", "Tue"), ("Mi", "Wed"), ("Do", "Thu"), ("Fr", "Fri"), ("Sa", "Sat"),
                  ("So", "Sun"))


def short_day(day: date) -> tuple[str, str]:
    """A day chooser's label, German and English: ("Di 08.12.", "Tue 08.12.")."""
    german, english = WEEKDAYS_SHORT[day.weekday()]
    return f"{german} {day:%d.%m.}", f"{english} {day:%d.%m.}"


def next_days(day: date, before: int = 1, after: int = 6) -> list[date]:
    """The day chooser's quick links around `day`."""
    return [day + timedelta(days=n) for n in range(-before, after + 1)]


def stop_points(tour: Mapping[str, Any]) -> list[tuple[float, float]]:
    found = []
    for stop in tour.get("stops") or []:
        where = stop.get("location") or {}
        if where.get("lat") is not None and where.get("lon") is not None:
            found.append((float(where["lat"]), float(where["lon"])))
    return found


def tour_features(tours: Iterable[Mapping[str, Any]], hub: tuple[float, float, str] | None) -> dict:
    """Each tour a line through its stops (in order), its stops as points, and the hub."""
    features = []
    for n, tour in enumerate(tours):
        colour = TOUR_COLOURS[n % len(TOUR_COLOURS)]
        name = tour.get("vehicle_name") or tour.get("vehicle_id") or tour.get("tour_id", "")
        points = stop_points(tour)
        if len(points) >= 2:
            features.append(line(points, f"{name} ({tour.get('driver_id') or '–'})", "tour", colour=colour,
                                 note=f"{len(points)} Stopps / stops"))
        for stop in tour.get("stops") or []:
            where = stop.get("location") or {}
            if stop.get("kind") in ("DEPOT", "HUB") or where.get("lat") is None:
                continue
            kind = "shop" if stop.get("kind") == "PICKUP" else "pickup"
            features.append(point(where["lat"], where["lon"], stop.get("name") or stop.get("place_id") or "",
                                  kind, note=f"{name} · {stop.get('eta_local') or ''}".strip(" ·")))
    if hub is not None:
        features.append(point(hub[0], hub[1], hub[2], "hub"))
    return collection(features)


def km(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}".replace(".", ",")


def euros(value: float | None) -> str:
    """A plan's euros as people read them here (plans from before costs were carried have none)."""
    return "–" if value is None else f"{value:,.2f} €".replace(",", " ").replace(".", ",")


def tour_row(summary: Mapping[str, Any], view: Mapping[str, Any] | None) -> dict[str, Any]:
    """A line of the day's table from the summary and (when loaded) the tour's view."""
    stops = (view or {}).get("stops") or []
    visits = [s for s in stops if s.get("kind") not in ("DEPOT", "HUB")]
    return {
        "tour_id": summary["tour_id"], "vehicle": summary.get("vehicle_name") or summary.get("vehicle_id"),
        "vehicle_id": summary.get("vehicle_id"), "driver": summary.get("driver_id") or "–",
        "stops": summary.get("stops", len(stops)), "visits": len(visits),
        "stops_done": summary.get("stops_done", 0), "stops_failed": summary.get("stops_failed", 0),
        "parcels": summary.get("parcels"), "km": km((view or {}).get("planned_distance_km")),
        "state": summary.get("status"), "first_eta": local_clock(summary.get("first_eta")),
        "replaced_by": summary.get("replaced_by"), "plan_id": summary.get("plan_id"),
    }


def local_clock(value: str | None) -> str:
    if not value:
        return "–"
    try:
        return datetime.fromisoformat(value).astimezone(BERLIN).strftime("%H:%M")
    except ValueError:
        return value


def address_line(address: Mapping[str, Any] | None) -> str:
    if not address:
        return ""
    town = " ".join(str(address[k]) for k in ("postal_code", "locality") if address.get(k))
    return ", ".join(part for part in (str(address.get("street") or ""), town) if part)


def sheet_rows(tour: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The tour sheet's stops in order: when, where, what to load and unload."""
    rows = []
    for stop in tour.get("stops") or []:
        loads = stop.get("load") or []
        unloads = stop.get("unload") or []
        rows.append({
            "seq": stop.get("seq", len(rows)) + 1, "kind": stop.get("kind"), "name": stop.get("name") or
            stop.get("place_id"), "address": address_line(stop.get("address")), "time": stop.get("eta_local") or
            local_clock(stop.get("eta")), "note": stop.get("driver_note"),
            "load_parcels": sum(int(c.get("parcels") or 0) for c in loads),
            "unload_parcels": sum(int(c.get("parcels") or 0) for c in unloads),
            "shipments": [c.get("shipment_id") for c in (*loads, *unloads)],
            "compartments": sorted({x for c in unloads for x in c.get("compartment_ids") or []}),
            "status": stop.get("status"),
        })
    return rows


def plan_rows(plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A planned tour per line: vehicle, stops (without leaving and returning to the hub), km, euros,
    hours, and the driver's breaks."""
    rows = []
    for tour in plan.get("tours") or []:
        minutes = round((tour.get("duration_s") or 0) / 60)
        load = tour.get("load_factor")
        rows.append({"vehicle_id": tour.get("vehicle_id"), "driver_id": tour.get("driver_id"),
                     "stops": max(0, len(tour.get("stops") or []) - 2), "km": km(tour.get("distance_km")),
                     "cost": euros(tour.get("cost_eur")), "breaks": len(tour.get("breaks") or []),
                     "duration": f"{minutes // 60}:{minutes % 60:02d}",
                     "load": "–" if load is None else f"{load * 100:.0f} %"})
    return rows


def driver_for(vehicle_id: str, planned: str | None) -> str:
    """The driver a tour goes to unless the operator names one: the plan's, else the vehicle's own."""
    return planned or f"driver-{vehicle_id}"[:100]


def shipments_by_destination(shipments: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Shipments grouped by their pick-up point, each group's counts by state."""
    groups: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for s in shipments:
        groups[s.get("pickup_point_id") or "–"].append(s)
    found = []
    for destination, items in sorted(groups.items()):
        states: dict[str, int] = defaultdict(int)
        for s in items:
            states[s.get("status") or "–"] += 1
        found.append({"pickup_point_id": destination, "shipments": items, "states": dict(states),
                      "weight_kg": round(sum(int(s.get("weight_g") or 0) for s in items) / 1000, 1)})
    return found
