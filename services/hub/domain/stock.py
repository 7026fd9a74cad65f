"""A shipment's status in the hub's books, and the hub's stock by destination.

Statuses only move forward: REQUESTED -> COLLECTED -> AT_HUB -> DELIVERED (a
shipment may skip AT_HUB when it goes straight from the shop to the pick-up
point). A new request after a missed collection (a higher attempt) starts again
at REQUESTED. WITHDRAWN is not an event: a shipment still REQUESTED whose order
was cancelled is withdrawn (left out of planning); goods already on their way
keep their status and are flagged `order_cancelled` (they go back to the shop).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable, Mapping

STATUSES = ("REQUESTED", "COLLECTED", "AT_HUB", "DELIVERED")
WITHDRAWN = "WITHDRAWN"
ALL_STATUSES = STATUSES + (WITHDRAWN,)
_RANK = {status: rank for rank, status in enumerate(STATUSES)}


def advanced(current: str, reported: str) -> str:
    """The later of two statuses: a late or repeated event never moves a shipment back."""
    return reported if _RANK[reported] > _RANK.get(current, -1) else current


def effective_status(status: str, order_cancelled: bool) -> str:
    return WITHDRAWN if order_cancelled and status == "REQUESTED" else status


def stock_by_destination(shipments: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Per pick-up point: how many shipments in each status, and what is in the
    hub (AT_HUB) or still to move (REQUESTED, COLLECTED, AT_HUB) by weight, volume
    and temperature class. `shipments` are read-model views (with `status`)."""
    points: dict[str, dict[str, Any]] = {}
    totals = _empty("all")
    for view in shipments:
        point_id = view["pickup_point_id"]
        entry = points.setdefault(point_id, _empty(point_id, view.get("pickup_point_name")))
        for bucket in (entry, totals):
            _add(bucket, view)
    return {"destinations": sorted(points.values(), key=lambda e: e["pickup_point_id"]), "totals": totals}


def _empty(point_id: str, name: str | None = None) -> dict[str, Any]:
    return {"pickup_point_id": point_id, "pickup_point_name": name, "shipments": 0,
            "by_status": {status: 0 for status in ALL_STATUSES},
            "in_hub": _amounts(), "to_move": _amounts()}


def _amounts() -> dict[str, Any]:
    return {"shipments": 0, "weight_g": 0, "volume_ml": 0, "by_temperature": defaultdict(int)}


def _add(bucket: dict[str, Any], view: Mapping[str, Any]) -> None:
    status = view["status"]
    bucket["shipments"] += 1
    bucket["by_status"][status] += 1
    targets = []
    if status == "AT_HUB":
        targets.append(bucket["in_hub"])
    if status in ("REQUESTED", "COLLECTED", "AT_HUB"):
        targets.append(bucket["to_move"])
    for amounts in targets:
        amounts["shipments"] += 1
        amounts["weight_g"] += view["weight_g"]
        amounts["volume_ml"] += view["volume_ml"]
        amounts["by_temperature"][view["temperature_class"]] += 1
