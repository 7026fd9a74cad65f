"""Folding logistics.tours (one partition per tour, so in order) into the hub's
tours, and the planned figures of logistics.plans joined to them when read.

A tour counts on its day (TourDispatched.day) once completed: `tours`, `m_driven`
(metres: TourCompleted.distance_km, else the planned distance), `stops_completed`,
`stops_failed`; a stop is on time when its first report (arrived, collected or
delivered) comes no later than its ETA plus a tolerance (`stops_timed`,
`stops_on_time`). Load factor and empty kilometres are the plan's for that tour
(RoutePlanned's PlannedTour), kept by tour id and joined when read.

What the events lack: the municipality of a kilometre (a tour crosses the
district, so logistics figures are the district's only), the load actually on
board (the load factor is the planned one), and the distance of a tour completed
without an odometer reading (the planned distance stands in).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any

from nahnetz.records import RoutePlanned, StopCompleted, StopFailed, TourCompleted, TourDispatched
from nahnetz.records.base import EventRecord

from .changes import TOUR, Add, Cell, Change


@dataclass(frozen=True)
class TourTrace:
    day: str                       # ISO date of the tour
    planned_km: float
    etas_ms: list[int] = field(default_factory=list)   # by stop index
    reported: list[int] = field(default_factory=list)  # stop indexes with a first report
    completed: bool = False

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> "TourTrace":
        return cls(**doc)


class TourNotDispatched(ValueError):
    """A stop report or completion of a tour whose TourDispatched was never seen."""


def fold_tour(trace: TourTrace | None, event: EventRecord, on_time_tolerance_s: int) -> tuple[TourTrace | None, list[Change]]:
    if isinstance(event, TourDispatched):
        if trace is not None:
            return trace, []
        etas = [int(stop.eta.timestamp() * 1000) for stop in event.stops]
        return TourTrace(day=event.day.isoformat(), planned_km=float(event.planned_distance_km or 0.0),
                         etas_ms=etas), []
    if not isinstance(event, (StopCompleted, StopFailed, TourCompleted)):
        return trace, []
    if trace is None:
        raise TourNotDispatched(f"{event.type} of tour {event.tour_id}, which was never dispatched")
    cell = Cell(date.fromisoformat(trace.day), TOUR, event.tour_id)
    if isinstance(event, TourCompleted):
        if trace.completed:
            return trace, []
        km = event.distance_km if event.distance_km is not None else trace.planned_km
        return replace(trace, completed=True), [
            Add(cell, "tours"), Add(cell, "m_driven", round(km * 1000)),
            Add(cell, "stops_completed", event.stops_completed), Add(cell, "stops_failed", event.stops_failed)]
    if isinstance(event, StopFailed) or event.stop_index in trace.reported:
        return trace, []
    if not 0 <= event.stop_index < len(trace.etas_ms):
        return trace, []
    reported = replace(trace, reported=sorted({*trace.reported, event.stop_index}))
    at_ms = int(event.meta.occurred_at.timestamp() * 1000)
    on_time = at_ms <= trace.etas_ms[event.stop_index] + on_time_tolerance_s * 1000
    return reported, [Add(cell, "stops_timed"), *([Add(cell, "stops_on_time")] if on_time else [])]


def planned_tours(event: EventRecord) -> dict[str, dict[str, float]]:
    """The plan's figures of each tour it planned: load factor (0..1) and empty km."""
    if not isinstance(event, RoutePlanned):
        return {}
    return {tour.tour_id: {"load_factor": tour.load_factor, "empty_km": tour.empty_km} for tour in event.tours}
