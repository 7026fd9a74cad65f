"""The driver's tour on a phone: the stops in order with what can be reported at
each, links to navigate there (only links: the phone's own map app or OpenStreetMap),
and what dispatch's answer to a report means for the page.

    nav_links(51.7, 9.3) -> {"osm": "https://www.openstreetmap.org/directions?to=51.7%2C9.3", "geo": "geo:51.7,9.3"}
    actions(stop)        -> ["arrived", "collected", "failed"]
    outcome(409, "the goods of stop 2 were collected already") -> "done"
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping
from urllib.parse import quote

STEPS = ("arrived", "collected", "delivered", "failed")
STEP_NAMES = {"arrived": ("Angekommen", "Arrived"), "collected": ("Abgeholt", "Collected"),
              "delivered": ("Abgeliefert", "Delivered"), "failed": ("Problem melden", "Report a problem")}
FAILURE_REASONS = {
    "SHOP_CLOSED": ("Laden geschlossen", "Shop closed"), "DAMAGED": ("Ware beschädigt", "Goods damaged"),
    "NOT_FOUND": ("Ware nicht gefunden", "Goods not found"), "NO_ACCESS": ("Kein Zugang", "No access"),
    "COMPARTMENT_UNAVAILABLE": ("Fach nicht nutzbar", "Compartment unavailable"), "OTHER": ("Anderes", "Other"),
}
STOP_KINDS = {"DEPOT": ("Logistikport", "Hub"), "PICKUP": ("Abholung im Laden", "Collection at the shop"),
              "DELIVERY": ("Lieferung an Abholstelle", "Delivery to the pick-up point")}
STOP_STATUS = {"PENDING": ("offen", "open"), "ARRIVED": ("angekommen", "arrived"), "DONE": ("erledigt", "done"),
               "FAILED": ("gescheitert", "failed")}


def nav_links(lat: float, lon: float) -> dict[str, str]:
    """Where the phone navigates to: OpenStreetMap's directions and the geo: URI of the map app."""
    there = f"{round(float(lat), 6)},{round(float(lon), 6)}"
    return {"osm": f"https://www.openstreetmap.org/directions?to={quote(there)}", "geo": f"geo:{there}"}


def address_line(address: Mapping[str, Any] | None) -> str:
    if not address:
        return ""
    place = " ".join(p for p in (address.get("postal_code"), address.get("locality")) if p)
    return ", ".join(p for p in (address.get("street"), place) if p)


def actions(stop: Mapping[str, Any]) -> list[str]:
    """The reports that fit the stop now: none once it is done or failed; arrived only before
    anything was reported; collected / delivered while its goods are still to be handled."""
    status = stop.get("status")
    if status in ("DONE", "FAILED"):
        return []
    progress = stop.get("progress") or {}
    found: list[str] = []
    touched = any(progress.get(k) for k in ("arrived_at", "collected_at", "delivered_at", "carried_over"))
    if status == "PENDING" and not touched:
        found.append("arrived")
    if stop.get("load") and not progress.get("collected_at"):
        found.append("collected")
    if stop.get("unload") and not progress.get("delivered_at"):
        found.append("delivered")
    found.append("failed")
    return found


def current_stop(stops: Iterable[Mapping[str, Any]]) -> int | None:
    """The first stop not finished (the one the driver is on or heads to)."""
    for stop in stops:
        if stop.get("status") not in ("DONE", "FAILED"):
            return int(stop["seq"])
    return None


def parcels(consignments: Iterable[Mapping[str, Any]]) -> int:
    return sum(int(c.get("parcels") or 1) for c in consignments)


def outcome(status: int, message: str = "") -> str:
    """What an answer to a stop report means: "done" (recorded now, or already before:
    a report sent twice), "retry" (nothing recorded, send again later) or "refused"."""
    if 200 <= status < 300:
        return "done"
    if status == 409 and "already" in message:
        return "done"
    if status in (408, 429) or status >= 500 or (status == 409 and ("right now" in message or "retry" in message)):
        return "retry"
    return "refused"


def report_body(step: str, form: Mapping[str, str]) -> dict[str, Any] | None:
    """The JSON body of a report from the stop's form; None for an unknown step or a
    failure without a known reason."""
    if step not in STEPS:
        return None
    body: dict[str, Any] = {}
    code = (form.get("scanned_code") or "").strip()
    if code:
        body["proof"] = {"scanned_code": code[:200]}
    if step == "failed":
        reason = form.get("reason") or ""
        if reason not in FAILURE_REASONS:
            return None
        body["reason"] = reason
        if note := (form.get("note") or "").strip():
            body["note"] = note[:500]
    return body
