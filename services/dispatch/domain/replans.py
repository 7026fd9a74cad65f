"""Re-planning during the day: the tour of a new plan takes over a vehicle's tour
under way. The routing service keeps the stops done (or under way) first on the
vehicle; here the new tour's stops that were already done on the old tour are
found, so they are carried over as done and the driver does not report them again.

A new stop matches an old one that is DONE when it is of the same kind at the
same place and handles no shipment that was not handled there. Matching goes
forward through both tours in driving order; the final return to the hub is
never carried over.
"""

from __future__ import annotations

from nahnetz.kit.errors import Conflict
from nahnetz.records import PlannedTour, StopKind, TourDispatched

from .progress import StopStatus, TourProgress, TourStatus


def check_replannable(tour: TourDispatched, progress: TourProgress) -> None:
    """A tour can be re-planned while it runs; a finished one has nothing left to plan."""
    if progress.status(tour) in (TourStatus.FINISHED, TourStatus.COMPLETED):
        raise Conflict(f"tour {tour.tour_id} is finished; there is nothing left to re-plan")


def replaces(old: TourDispatched, progress: TourProgress, vehicle_id: str) -> bool:
    """Whether a tour of a re-plan for `vehicle_id` takes `old` over: same vehicle, still running."""
    return (old.vehicle_id == vehicle_id and not progress.replaced_by
            and not progress.completed and not progress.finished(old))


def carried_over(planned: PlannedTour, old: TourDispatched, progress: TourProgress) -> tuple[int, ...]:
    """Positions of the new tour's stops (a PlannedTour record) done on the old tour."""
    done = [(stop, p) for stop, p in zip(old.stops, progress.stops) if p.status(stop) is StopStatus.DONE]
    stops = planned.stops
    carried: list[int] = []
    next_done = 0
    for index, rec in enumerate(stops):
        if index == len(stops) - 1 and rec.kind == StopKind.DEPOT and index > 0:
            break  # the return to the hub is still ahead
        wanted = set(rec.shipment_ids)
        for position in range(next_done, len(done)):
            stop, p = done[position]
            handled = set(p.collected) | set(p.delivered)
            same_place = rec.kind == stop.kind and rec.place_id == stop.place_id
            if same_place and (wanted <= handled if wanted else not stop.consignments):
                carried.append(index)
                next_done = position + 1
                break
    return tuple(carried)
