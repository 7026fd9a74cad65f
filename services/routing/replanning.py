"""Re-planning: what has been done or is under way on a plan's dispatched tours
stays first on its vehicle, in order.

The routing worker keeps each dispatched tour with its drivers' progress
(projected from logistics.tours). A stop counts as reached once the driver
reported anything there (arrived, collected, delivered or failed); every stop
up to the furthest reached one is fixed, except the shipments whose stop
failed (a missed collection is requested again by the hub for another day).
The tour of a re-plan carries the stops done on the tour it replaces
(`done_stops`): they count as reached from its dispatch on.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from .solver import JobKind, StopKind, StopRef

_STOP_KINDS = {"PICKUP": StopKind.PICKUP, "DELIVERY": StopKind.DELIVERY}


@dataclass(frozen=True)
class DispatchedStop:
    kind: str  # DEPOT, PICKUP, DELIVERY, OTHER
    place_id: str
    shipment_ids: tuple[str, ...]


@dataclass(frozen=True)
class TourProgress:
    tour_id: str
    plan_id: str
    vehicle_id: str
    stops: tuple[DispatchedStop, ...]
    reached: int = -1  # index of the furthest stop with a report; -1: not started
    failed: frozenset[tuple[int, str]] = field(default_factory=frozenset)  # (stop index, shipment id)
    completed: bool = False

    @classmethod
    def from_dispatch(cls, data: Mapping[str, Any]) -> TourProgress:
        stops = []
        for stop in data["stops"]:
            ids = list(stop.get("shipment_ids") or ())
            ids += [c["shipment_id"] for c in stop.get("consignments") or () if c["shipment_id"] not in ids]
            stops.append(DispatchedStop(stop.get("kind") or "OTHER", stop["place_id"], tuple(ids)))
        done = [i for i in data.get("done_stops") or () if 0 <= i < len(stops)]
        return cls(data["tour_id"], data["plan_id"], data["vehicle_id"], tuple(stops), max(done, default=-1))

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> TourProgress:
        return cls(doc["tour_id"], doc["plan_id"], doc["vehicle_id"],
                   tuple(DispatchedStop(s["kind"], s["place_id"], tuple(s["shipment_ids"])) for s in doc["stops"]),
                   doc.get("reached", -1), frozenset((i, s) for i, s in doc.get("failed", ())),
                   doc.get("completed", False))

    def as_json(self) -> dict[str, Any]:
        return {"tour_id": self.tour_id, "plan_id": self.plan_id, "vehicle_id": self.vehicle_id,
                "stops": [{"kind": s.kind, "place_id": s.place_id, "shipment_ids": list(s.shipment_ids)}
                          for s in self.stops],
                "reached": self.reached, "failed": sorted([i, s] for i, s in self.failed),
                "completed": self.completed}

    def reported(self, stop_index: int) -> TourProgress:
        return replace(self, reached=max(self.reached, stop_index))

    def stop_failed(self, stop_index: int, shipment_ids: tuple[str, ...]) -> TourProgress:
        ids = shipment_ids or (self.stops[stop_index].shipment_ids if 0 <= stop_index < len(self.stops) else ())
        return replace(self, reached=max(self.reached, stop_index),
                        failed=self.failed | {(stop_index, s) for s in ids})

    def fixed_stops(self) -> tuple[StopRef, ...]:
        """The job stops done or under way, in driving order."""
        refs: list[StopRef] = []
        for index, stop in enumerate(self.stops[: self.reached + 1]):
            kind = _STOP_KINDS.get(stop.kind)
            if kind is None:
                continue  # the depot: not a job stop
            for shipment_id in stop.shipment_ids:
                ref = StopRef(shipment_id, kind)
                if (index, shipment_id) not in self.failed and ref not in refs:
                    refs.append(ref)
        return tuple(refs)

    def job_kinds(self) -> dict[str, JobKind]:
        """How the tour carries each shipment: shop to point on the vehicle
        (SHIPMENT), only collected to the hub (PICKUP), only delivered from the hub
        (DELIVERY)."""
        seen: dict[str, set[str]] = {}
        for stop in self.stops:
            if stop.kind in _STOP_KINDS:
                for shipment_id in stop.shipment_ids:
                    seen.setdefault(shipment_id, set()).add(stop.kind)
        return {sid: JobKind.SHIPMENT if kinds == {"PICKUP", "DELIVERY"}
                else JobKind.PICKUP if kinds == {"PICKUP"} else JobKind.DELIVERY
                for sid, kinds in seen.items()}

