"""What a driver's report at a stop means for the shipments handled there.

A dispatched tour's stops say what happens where (PICKUP at a shop, DELIVERY at
a pick-up point, DEPOT at the hub); the report says what was done:

| stop kind | report | shipment event |
|---|---|---|
| PICKUP | COLLECTED | ShipmentCollected |
| DELIVERY | DELIVERED | ShipmentDelivered |
| DEPOT | DELIVERED (unloaded at the hub) | ShipmentAtHub |
| DEPOT | COLLECTED (loaded at the hub for distribution) | none: it stays in the hub's books until delivered |
| any | ARRIVED | none |

A failed collection (StopFailed SHOP_CLOSED or NOT_FOUND at a PICKUP stop) is a
missed collection: the shipment is requested again for the next possible day.
Any other failure is recorded as an exception for the operator.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Mapping, Sequence


class Transition(str, Enum):
    COLLECTED = "COLLECTED"
    AT_HUB = "AT_HUB"
    DELIVERED = "DELIVERED"


class ReportMismatch(ValueError):
    """The report does not fit the kind of stop (e.g. DELIVERED at a shop)."""


MISSED_COLLECTION_REASONS = frozenset({"SHOP_CLOSED", "NOT_FOUND"})

_TRANSITIONS: dict[tuple[str, str], Transition | None] = {
    ("PICKUP", "COLLECTED"): Transition.COLLECTED,
    ("DELIVERY", "DELIVERED"): Transition.DELIVERED,
    ("DEPOT", "DELIVERED"): Transition.AT_HUB,
    ("DEPOT", "COLLECTED"): None,
}


@dataclass(frozen=True)
class TourStop:
    kind: str  # DEPOT, PICKUP, DELIVERY, OTHER
    place_id: str
    shipment_ids: tuple[str, ...]


@dataclass(frozen=True)
class DispatchedTour:
    tour_id: str
    plan_id: str
    vehicle_id: str
    stops: tuple[TourStop, ...]

    @classmethod
    def from_event(cls, data: Mapping[str, Any]) -> DispatchedTour:
        stops = []
        for stop in data["stops"]:
            ids = list(stop.get("shipment_ids") or ())
            ids += [c["shipment_id"] for c in stop.get("consignments") or () if c["shipment_id"] not in ids]
            stops.append(TourStop(stop.get("kind") or "OTHER", stop["place_id"], tuple(ids)))
        return cls(data["tour_id"], data["plan_id"], data["vehicle_id"], tuple(stops))

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> DispatchedTour:
        return cls(doc["tour_id"], doc["plan_id"], doc["vehicle_id"],
                   tuple(TourStop(s["kind"], s["place_id"], tuple(s["shipment_ids"])) for s in doc["stops"]))

    def as_json(self) -> dict[str, Any]:
        return {"tour_id": self.tour_id, "plan_id": self.plan_id, "vehicle_id": self.vehicle_id,
                "stops": [{"kind": s.kind, "place_id": s.place_id, "shipment_ids": list(s.shipment_ids)}
                          for s in self.stops]}

    def stop(self, index: int) -> TourStop:
        if not 0 <= index < len(self.stops):
            raise ReportMismatch(f"tour {self.tour_id} has no stop {index} (it has {len(self.stops)})")
        return self.stops[index]


def transition_for(stop: TourStop, completion: str) -> Transition | None:
    """The shipment event a report at this stop leads to; None when it leads to none."""
    if completion in ("ARRIVED", "OTHER"):
        return None
    key = (stop.kind, completion)
    if key not in _TRANSITIONS:
        raise ReportMismatch(f"{completion} does not fit a {stop.kind} stop at {stop.place_id}")
    return _TRANSITIONS[key]


def reported_shipments(stop: TourStop, reported: Sequence[str]) -> tuple[str, ...]:
    """The shipments a report concerns: those it names, else all of the stop's."""
    return tuple(dict.fromkeys(reported)) if reported else stop.shipment_ids


def is_missed_collection(stop: TourStop, reason: str) -> bool:
    return stop.kind == "PICKUP" and reason in MISSED_COLLECTION_REASONS


def delivered_compartments(reported: Sequence[str], reserved: Sequence[str]) -> tuple[str, ...]:
    """The compartments a delivered shipment went into. A delivery report names the
    compartments of every order unloaded at the stop, so a shipment takes those
    reserved for its order; when the driver used none of them (other compartments
    named), all named ones, as the stop's report cannot tell them apart; when the
    report names none, the reserved ones."""
    own = tuple(c for c in dict.fromkeys(reported) if c in set(reserved))
    return own or tuple(dict.fromkeys(reported)) or tuple(reserved)
