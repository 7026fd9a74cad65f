"""What happened at each stop of a tour: the stop state machine.

    PENDING --arrived--> ARRIVED --collected / delivered--> DONE
       |                    |
       +---- failed --------+--------------------------> FAILED
       +---- collected / delivered (arrival implied: the paper sheet has no times) --> DONE

A stop is DONE when everything it has to do is reported: collected where it has
shipments to load, delivered where it has shipments to unload, only arrived where
it has neither (the hub at the start and the end). Rules a report must keep:
- one stop at a time: while the driver is at a stop (ARRIVED), no other stop;
- nothing is reported twice, and nothing at a stop that is DONE or FAILED;
- nothing is delivered before it was collected on this tour (a shipment whose
  collection failed is not on board and is not delivered);
- the tour's last stop at the hub comes after every other stop;
- a tour taken over by a re-planned one takes no more reports; the stops done on
  it are carried over to the new tour as done (`carried_over`, domain/replans.py).

`decide_*` check a driver's report against the tour (the typed TourDispatched)
and return the event to publish; `apply` folds a published event (typed
StopCompleted, StopFailed or TourCompleted) into the progress, idempotent by
event id, so the API and the worker's projection of logistics.tours arrive at
the same state.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from enum import Enum
from typing import Any

from nahnetz.kit.errors import Conflict, NotFound, Unprocessable
from nahnetz.records import (
    Stop,
    StopCompleted,
    StopCompletionKind,
    StopConsignment,
    StopFailed,
    StopKind,
    TourCompleted,
    TourDispatched,
)

from .tours import label, load_stop_of, loads, stop_at, unloads


class StopStatus(str, Enum):
    PENDING = "PENDING"
    ARRIVED = "ARRIVED"
    DONE = "DONE"
    FAILED = "FAILED"

    @property
    def finished(self) -> bool:
        return self in (StopStatus.DONE, StopStatus.FAILED)


class TourStatus(str, Enum):
    DISPATCHED = "DISPATCHED"    # nothing reported yet
    UNDERWAY = "UNDERWAY"
    FINISHED = "FINISHED"        # every stop done or failed; TourCompleted follows
    COMPLETED = "COMPLETED"      # TourCompleted published
    REPLACED = "REPLACED"        # taken over by the tour of a re-plan

    @property
    def done(self) -> bool:
        """Nothing more to drive on it."""
        return self in (TourStatus.FINISHED, TourStatus.COMPLETED, TourStatus.REPLACED)


class StepRefused(Conflict):
    """The report does not fit what already happened on the tour (409)."""

    code = "stop_out_of_order"


class NotCollectedYet(StepRefused):
    code = "not_collected_yet"


class InvalidReport(ValueError):
    """A published report that cannot belong to the tour (e.g. no such stop)."""


@dataclass(frozen=True)
class StopProgress:
    arrived_at: str | None = None     # ISO times of the reports (UTC)
    collected_at: str | None = None
    delivered_at: str | None = None
    failed_at: str | None = None
    failure_reason: str | None = None
    note: str | None = None
    collected: tuple[str, ...] = ()   # shipment ids loaded here
    delivered: tuple[str, ...] = ()   # shipment ids unloaded here
    compartment_ids: tuple[str, ...] = ()
    odometer_km: float | None = None
    channel: str | None = None
    carried_over: bool = False        # done on the tour this one replaced

    @property
    def touched(self) -> bool:
        return bool(self.arrived_at or self.collected_at or self.delivered_at or self.carried_over)

    def status(self, stop: Stop) -> StopStatus:
        if self.failed_at:
            return StopStatus.FAILED
        if self.carried_over:
            return StopStatus.DONE
        if not self.touched:
            return StopStatus.PENDING
        loaded = not loads(stop) or self.collected_at
        unloaded = not unloads(stop) or self.delivered_at
        return StopStatus.DONE if loaded and unloaded else StopStatus.ARRIVED

    @property
    def finished_at(self) -> str | None:
        times = [t for t in (self.failed_at, self.collected_at, self.delivered_at, self.arrived_at) if t]
        return max(times) if times else None


@dataclass(frozen=True)
class TourProgress:
    stops: tuple[StopProgress, ...]
    applied: tuple[str, ...] = ()     # ids of the events folded in
    completed: bool = False
    replaced_by: str | None = None

    @classmethod
    def start(cls, tour: TourDispatched) -> "TourProgress":
        """No stop reported yet, except those done on the tour this one replaces."""
        stops = []
        for index, stop in enumerate(tour.stops):
            if index in tour.done_stops:
                stops.append(StopProgress(carried_over=True, collected=tuple(c.shipment_id for c in loads(stop)),
                                          delivered=tuple(c.shipment_id for c in unloads(stop))))
            else:
                stops.append(StopProgress())
        return cls(tuple(stops))

    def statuses(self, tour: TourDispatched) -> list[StopStatus]:
        return [p.status(s) for s, p in zip(tour.stops, self.stops)]

    def finished(self, tour: TourDispatched) -> bool:
        return bool(tour.stops) and all(s.finished for s in self.statuses(tour))

    def status(self, tour: TourDispatched) -> TourStatus:
        if self.completed:
            return TourStatus.COMPLETED
        if self.replaced_by:
            return TourStatus.REPLACED
        if self.finished(tour):
            return TourStatus.FINISHED
        if any(p.touched or p.failed_at for p in self.stops):
            return TourStatus.UNDERWAY
        return TourStatus.DISPATCHED

    def to_json(self) -> str:
        return json.dumps({"stops": [asdict(p) for p in self.stops], "applied": list(self.applied),
                           "completed": self.completed, "replaced_by": self.replaced_by})

    @classmethod
    def from_json(cls, text: str) -> "TourProgress":
        doc = json.loads(text)
        stops = tuple(StopProgress(**{k: tuple(v) if isinstance(v, list) else v for k, v in p.items()})
                      for p in doc["stops"])
        return cls(stops, tuple(doc.get("applied", ())), bool(doc.get("completed")), doc.get("replaced_by"))


@dataclass(frozen=True)
class StopReport:
    """A driver's report, checked: the event type and its fields (without meta,
    channel and proof, which the command adds)."""

    event_type: type[StopCompleted] | type[StopFailed]
    fields: dict[str, Any] = field(default_factory=dict)


# -- deciding on a report ------------------------------------------------------------------------
def _open_stop(tour: TourDispatched, progress: TourProgress, index: int) -> Stop:
    stop = stop_at(tour, index)
    if stop is None:
        raise NotFound(f"tour {tour.tour_id} has no stop {index} (stops 0 to {len(tour.stops) - 1})")
    status = progress.status(tour)
    if status is TourStatus.REPLACED:
        raise StepRefused(f"tour {tour.tour_id} was re-planned and is taken over by tour {progress.replaced_by}; "
                          "report there", details={"replaced_by": progress.replaced_by})
    if status in (TourStatus.FINISHED, TourStatus.COMPLETED):
        raise StepRefused(f"tour {tour.tour_id} is finished; nothing more can be reported")
    statuses = progress.statuses(tour)
    if statuses[index].finished:
        raise StepRefused(f"stop {index} ({label(stop)}) is {statuses[index].value.lower()} already")
    for other, other_status in enumerate(statuses):
        if other != index and other_status is StopStatus.ARRIVED:
            raise StepRefused(f"the driver is still at stop {other} ({label(tour.stops[other])}); "
                              "report it as collected, delivered or failed first",
                              details={"open_stop": other})
    last = len(tour.stops) - 1
    if index == last and stop.kind == StopKind.DEPOT and last > 0:
        pending = [i for i, s in enumerate(statuses[:last]) if not s.finished]
        if pending:
            raise StepRefused(f"stop {index} is the return to {label(stop)}; stops "
                              f"{', '.join(map(str, pending))} are still open: report them first",
                              details={"open_stops": pending})
    return stop


def _completed(tour: TourDispatched, index: int, kind: StopCompletionKind, consignments: list[StopConsignment],
               **extra: Any) -> StopReport:
    return StopReport(StopCompleted, {
        "tour_id": tour.tour_id, "stop_index": index, "kind": kind,
        "shipment_ids": [c.shipment_id for c in consignments],
        "order_ids": list(dict.fromkeys(c.order_id for c in consignments)), **extra})


def decide_arrival(tour: TourDispatched, progress: TourProgress, index: int, *, odometer_km: float | None = None
                   ) -> StopReport:
    stop = _open_stop(tour, progress, index)
    if progress.stops[index].touched:
        raise StepRefused(f"the arrival at stop {index} ({label(stop)}) was reported already")
    if odometer_km is not None:
        earlier = [p.odometer_km for p in progress.stops if p.odometer_km is not None]
        if earlier and odometer_km < max(earlier):
            raise Unprocessable(f"the odometer reading {odometer_km:g} km is below the earlier "
                                f"{max(earlier):g} km of this tour")
    return _completed(tour, index, StopCompletionKind.ARRIVED, [], odometer_km=odometer_km)


def _goods_stop(tour: TourDispatched, progress: TourProgress, index: int, *, collecting: bool) -> Stop:
    """The open stop `index`, with goods to collect (or deliver) whose collection
    (or delivery) was not reported yet."""
    stop = _open_stop(tour, progress, index)
    if collecting:
        goods, other_goods, verb, done, other_done = loads(stop), unloads(stop), "collect", "collected", "delivered"
    else:
        goods, other_goods, verb, done, other_done = unloads(stop), loads(stop), "deliver", "delivered", "collected"
    if not goods:
        raise Unprocessable(f"there is nothing to {verb} at stop {index} ({label(stop)})"
                            + (f"; report it as {other_done}" if other_goods else "; report the arrival"))
    reported = progress.stops[index]
    if reported.collected_at if collecting else reported.delivered_at:
        raise StepRefused(f"the goods of stop {index} ({label(stop)}) were {done} already")
    return stop


def decide_collection(tour: TourDispatched, progress: TourProgress, index: int) -> StopReport:
    stop = _goods_stop(tour, progress, index, collecting=True)
    return _completed(tour, index, StopCompletionKind.COLLECTED, loads(stop))


def on_board(tour: TourDispatched, progress: TourProgress, shipment_id: str,
             before: int | None = None) -> bool | None:
    """True: on the vehicle; False: its collection on this tour failed; None: not collected yet.
    `before`: as for a delivery at that stop (the last loading ahead of it counts)."""
    load = load_stop_of(tour, shipment_id, before)
    if load is None:
        return True  # loaded at the hub before the tour started
    done = progress.stops[load]
    if shipment_id in done.collected:
        return True
    return False if done.failed_at else None


def decide_delivery(tour: TourDispatched, progress: TourProgress, index: int, *,
                    compartment_ids: list[str] | None = None) -> StopReport:
    stop = _goods_stop(tour, progress, index, collecting=False)
    waiting = [c for c in unloads(stop) if on_board(tour, progress, c.shipment_id, index) is None]
    if waiting:
        first = load_stop_of(tour, waiting[0].shipment_id, index)
        raise NotCollectedYet(
            f"shipment {waiting[0].shipment_id} (order {waiting[0].order_id}) is collected at stop "
            f"{first} ({label(tour.stops[first])}) first: report that stop as collected or failed before delivering",
            details={"shipment_ids": [c.shipment_id for c in waiting]})
    aboard = [c for c in unloads(stop) if on_board(tour, progress, c.shipment_id, index)]
    if not aboard:
        raise StepRefused(f"nothing for stop {index} ({label(stop)}) is on board: the collections failed; "
                          "report this stop as failed")
    reserved = list(dict.fromkeys(cid for c in aboard for cid in c.compartment_ids))
    chosen = list(dict.fromkeys(compartment_ids)) if compartment_ids else reserved
    return _completed(tour, index, StopCompletionKind.DELIVERED, aboard, compartment_ids=chosen)


def decide_failure(tour: TourDispatched, progress: TourProgress, index: int, *, reason: str,
                   note: str | None = None) -> StopReport:
    stop = _open_stop(tour, progress, index)
    done = progress.stops[index]
    affected = [c for c in stop.consignments
                if c.shipment_id not in done.collected and c.shipment_id not in done.delivered]
    return StopReport(StopFailed, {
        "tour_id": tour.tour_id, "stop_index": index, "reason": reason, "note": note,
        "shipment_ids": [c.shipment_id for c in affected],
        "order_ids": list(dict.fromkeys(c.order_id for c in affected))})


# -- folding published events in -------------------------------------------------------------------
def apply(tour: TourDispatched, progress: TourProgress, event: StopCompleted | StopFailed | TourCompleted
          ) -> TourProgress:
    """The progress after a StopCompleted, StopFailed or TourCompleted of this tour.
    Applying an event twice changes nothing. The log is the truth: a report is
    folded in as it was published, without judging it again."""
    if event.event_id in progress.applied:
        return progress
    applied = progress.applied + (event.event_id,)
    if isinstance(event, TourCompleted):
        return replace(progress, applied=applied, completed=True)
    if not isinstance(event, (StopCompleted, StopFailed)):
        raise InvalidReport(f"{event.type} is not a report on a tour")
    index = event.stop_index
    if stop_at(tour, index) is None:
        raise InvalidReport(f"tour {tour.tour_id} has no stop {index}")
    at = event.meta.occurred_at.isoformat()
    p = progress.stops[index]
    channel = event.channel.value
    if isinstance(event, StopFailed):
        p = replace(p, failed_at=p.failed_at or at, failure_reason=event.reason.value, note=event.note,
                    channel=channel)
    elif event.kind == StopCompletionKind.ARRIVED:
        p = replace(p, arrived_at=p.arrived_at or at, channel=channel,
                    odometer_km=event.odometer_km if event.odometer_km is not None else p.odometer_km)
    elif event.kind == StopCompletionKind.COLLECTED:
        p = replace(p, collected_at=p.collected_at or at, channel=channel,
                    collected=tuple(dict.fromkeys(p.collected + tuple(event.shipment_ids))))
    elif event.kind == StopCompletionKind.DELIVERED:
        p = replace(p, delivered_at=p.delivered_at or at, channel=channel,
                    delivered=tuple(dict.fromkeys(p.delivered + tuple(event.shipment_ids))),
                    compartment_ids=tuple(event.compartment_ids))
    else:
        raise InvalidReport(f"StopCompleted of kind {event.kind} is not a step of a stop")
    stops = progress.stops[:index] + (p,) + progress.stops[index + 1:]
    return replace(progress, stops=stops, applied=applied)


def completion(tour: TourDispatched, progress: TourProgress) -> dict[str, Any]:
    """The fields of TourCompleted for a finished tour."""
    statuses = progress.statuses(tour)
    readings = [p.odometer_km for p in progress.stops if p.odometer_km is not None]
    driven = round(readings[-1] - readings[0], 1) if len(readings) >= 2 and readings[-1] >= readings[0] else None
    return {"tour_id": tour.tour_id, "plan_id": tour.plan_id, "driver_id": tour.driver_id,
            "vehicle_id": tour.vehicle_id,
            "stops_completed": sum(1 for s in statuses if s is StopStatus.DONE),
            "stops_failed": sum(1 for s in statuses if s is StopStatus.FAILED),
            "distance_km": driven}
