"""Re-planning: what has been done or is under way on a plan's dispatched tours
stays first on its vehicle, in order.

The routing worker keeps each dispatched tour with its drivers' progress
(projected from logistics.tours). A stop counts as reached once the driver
reported anything there (arrived, collected, delivered or failed); every stop
up to the furthest reached one is fixed, except the shipments whose stop
failed (a missed collection is requested again by the hub for another day).
Planning keeps each shipment's ride (`Leg`: loaded at one stop, unloaded at a
later one, e.g. shop -> hub or hub -> pick-up point) that began at a fixed stop
as a job of its own on that vehicle.
The tour of a re-plan carries the stops done on the tour it replaces
(`done_stops`): they count as reached from its dispatch on.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from nahnetz.records import StopCompleted, StopFailed, TourCompleted, TourDispatched

TourReport = StopCompleted | StopFailed | TourCompleted


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
    def from_dispatch(cls, event: TourDispatched) -> TourProgress:
        stops = []
        for stop in event.stops:
            ids = list(stop.shipment_ids)
            ids += [c.shipment_id for c in stop.consignments if c.shipment_id not in ids]
            stops.append(DispatchedStop(str(stop.kind), stop.place_id, tuple(ids)))
        done = [i for i in event.done_stops if 0 <= i < len(stops)]
        return cls(event.tour_id, event.plan_id, event.vehicle_id, tuple(stops), max(done, default=-1))

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

    def after(self, event: TourReport) -> TourProgress:
        """The progress after a driver's report (the same again changes nothing)."""
        if isinstance(event, StopCompleted):
            return self.reported(event.stop_index)
        if isinstance(event, StopFailed):
            return self.stop_failed(event.stop_index, tuple(event.shipment_ids))
        return replace(self, reached=len(self.stops) - 1, completed=True)

    def reported(self, stop_index: int) -> TourProgress:
        return replace(self, reached=max(self.reached, stop_index))

    def stop_failed(self, stop_index: int, shipment_ids: tuple[str, ...]) -> TourProgress:
        ids = shipment_ids or (self.stops[stop_index].shipment_ids if 0 <= stop_index < len(self.stops) else ())
        return replace(self, reached=max(self.reached, stop_index),
                        failed=self.failed | {(stop_index, s) for s in ids})

    def legs(self) -> tuple[Leg, ...]:
        """Each shipment's ride on this tour: loaded at a shop (PICKUP) or at the
        hub (DEPOT, when not on board), unloaded at a pick-up point (DELIVERY) or at
        the hub (DEPOT, when on board). Goods of older plans loaded before the tour
        ride from the first stop; goods never unloaded ride to the last one."""
        on_board: dict[str, int] = {}
        legs: list[Leg] = []
        last = len(self.stops) - 1
        for index, stop in enumerate(self.stops):
            for shipment_id in stop.shipment_ids:
                if stop.kind == "PICKUP" or (stop.kind == "DEPOT" and shipment_id not in on_board):
                    on_board.setdefault(shipment_id, index)
                elif stop.kind in ("DELIVERY", "DEPOT"):
                    legs.append(Leg(shipment_id, on_board.pop(shipment_id, 0), index))
        legs.extend(Leg(sid, loaded, last) for sid, loaded in on_board.items())
        return tuple(legs)

    def fixed_legs(self) -> tuple[Leg, ...]:
        """The rides that began at a stop done or under way (not at a failed one)."""
        return tuple(leg for leg in self.legs()
                     if leg.load <= self.reached and (leg.load, leg.shipment_id) not in self.failed)

    def delivered_at(self, leg: Leg) -> bool:
        """The leg's unloading is done or under way (and did not fail)."""
        return leg.unload <= self.reached and (leg.unload, leg.shipment_id) not in self.failed


@dataclass(frozen=True)
class Leg:
    """One shipment's ride on a tour, between two stop indexes."""

    shipment_id: str
    load: int
    unload: int
