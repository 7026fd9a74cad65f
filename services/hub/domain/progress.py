"""What a driver's report at a stop means for the shipments handled there.

A dispatched tour's stops (the typed `Stop`s of TourDispatched) say what happens
where (PICKUP at a shop, DELIVERY at a pick-up point, DEPOT at the hub); the
report says what was done:

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

from enum import Enum
from typing import Sequence

from nahnetz.records import Stop, StopCompletionKind, StopFailureReason, StopKind, TourDispatched


class Transition(str, Enum):
    COLLECTED = "COLLECTED"
    AT_HUB = "AT_HUB"
    DELIVERED = "DELIVERED"


class ReportMismatch(ValueError):
    """The report does not fit the kind of stop (e.g. DELIVERED at a shop)."""


MISSED_COLLECTION_REASONS = frozenset({StopFailureReason.SHOP_CLOSED, StopFailureReason.NOT_FOUND})

_TRANSITIONS: dict[tuple[StopKind, StopCompletionKind], Transition | None] = {
    (StopKind.PICKUP, StopCompletionKind.COLLECTED): Transition.COLLECTED,
    (StopKind.DELIVERY, StopCompletionKind.DELIVERED): Transition.DELIVERED,
    (StopKind.DEPOT, StopCompletionKind.DELIVERED): Transition.AT_HUB,
    (StopKind.DEPOT, StopCompletionKind.COLLECTED): None,
}


def stop_at(tour: TourDispatched, index: int) -> Stop:
    if not 0 <= index < len(tour.stops):
        raise ReportMismatch(f"tour {tour.tour_id} has no stop {index} (it has {len(tour.stops)})")
    return tour.stops[index]


def shipments_at(stop: Stop) -> tuple[str, ...]:
    """The shipments handled at the stop: those it names and those of its consignments."""
    return tuple(dict.fromkeys([*stop.shipment_ids, *(c.shipment_id for c in stop.consignments)]))


def transition_for(stop: Stop, completion: StopCompletionKind) -> Transition | None:
    """The shipment event a report at this stop leads to; None when it leads to none."""
    if completion in (StopCompletionKind.ARRIVED, StopCompletionKind.OTHER):
        return None
    key = (StopKind(stop.kind), StopCompletionKind(completion))
    if key not in _TRANSITIONS:
        raise ReportMismatch(f"{completion} does not fit a {stop.kind} stop at {stop.place_id}")
    return _TRANSITIONS[key]


def reported_shipments(stop: Stop, reported: Sequence[str]) -> tuple[str, ...]:
    """The shipments a report concerns: those it names, else all of the stop's."""
    return tuple(dict.fromkeys(reported)) if reported else shipments_at(stop)


def is_missed_collection(stop: Stop, reason: StopFailureReason) -> bool:
    return stop.kind == StopKind.PICKUP and reason in MISSED_COLLECTION_REASONS


def delivered_compartments(reported: Sequence[str], reserved: Sequence[str]) -> tuple[str, ...]:
    """The compartments a delivered shipment went into. A delivery report names the
    compartments of every order unloaded at the stop, so a shipment takes those
    reserved for its order; when the driver used none of them (other compartments
    named), all named ones, as the stop's report cannot tell them apart; when the
    report names none, the reserved ones."""
    own = tuple(c for c in dict.fromkeys(reported) if c in set(reserved))
    return own or tuple(dict.fromkeys(reported)) or tuple(reserved)
