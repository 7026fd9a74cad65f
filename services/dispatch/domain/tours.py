"""A dispatched tour: one planned tour handed to a driver, its stops copied from
the plan and completed with what the driver needs at each place (name, address,
what to load or unload, orders and compartments), so neither the app nor the
paper sheet has to look anything up on the road.

Pure: the typed records of `nahnetz.records` in and out. The tour *is* the
TourDispatched event: `build_tour` makes its fields from a PlannedTour of a
RoutePlanned and the ShipmentRequested of each shipment, and everything else
(progress, sheet, re-plans) reads its typed `Stop`s and `StopConsignment`s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable, Mapping

from nahnetz.kit.errors import Conflict
from nahnetz.records import (
    Address,
    CargoAction,
    DriverBreak,
    PlannedTour,
    ShipmentRequested,
    Stop,
    StopConsignment,
    StopKind,
    TourDispatched,
)


@dataclass(frozen=True)
class Place:
    """A shop, pick-up point or the hub, as dispatch knows it from the owners' topics."""

    place_id: str
    name: str | None = None
    address: Address | None = None
    note: str | None = None
    compartment_labels: Mapping[str, str] = field(default_factory=dict)

    def label_of(self, compartment_id: str) -> str:
        """What is printed on the door (falls back to the id)."""
        return self.compartment_labels.get(compartment_id) or compartment_id


# -- reading a stop and a tour ---------------------------------------------------------------------
def loads(stop: Stop) -> list[StopConsignment]:
    return [c for c in stop.consignments if c.action == CargoAction.LOAD]


def unloads(stop: Stop) -> list[StopConsignment]:
    return [c for c in stop.consignments if c.action == CargoAction.UNLOAD]


def order_ids(stop: Stop) -> list[str]:
    return list(dict.fromkeys(c.order_id for c in stop.consignments))


def label(stop: Stop) -> str:
    return stop.name or stop.place_id


def stop_at(tour: TourDispatched, index: int) -> Stop | None:
    return tour.stops[index] if 0 <= index < len(tour.stops) else None


def load_stop_of(tour: TourDispatched, shipment_id: str, before: int | None = None) -> int | None:
    """The position of the stop where the shipment is loaded, if it is loaded on
    this tour; with `before`, the last such stop ahead of that index (goods
    unloaded at the hub mid-tour may be loaded again later)."""
    found = None
    for index, stop in enumerate(tour.stops):
        if before is not None and index >= before:
            break
        if any(c.shipment_id == shipment_id for c in loads(stop)):
            if before is None:
                return index
            found = index
    return found


def parcels(tour: TourDispatched) -> int:
    return sum(c.parcels for s in tour.stops for c in loads(s))


def breaks_before_stops(tour: TourDispatched) -> tuple[list[list[DriverBreak]], list[DriverBreak]]:
    """The planned breaks placed where the driver meets them: before the first stop
    the van reaches after the break has ended (the stops' ETAs allow for it), and
    those after the last stop apart. Returns (per stop, after the last stop)."""
    before: list[list[DriverBreak]] = [[] for _ in tour.stops]
    after: list[DriverBreak] = []
    for rest in sorted(tour.breaks, key=lambda b: b.starts_at):
        index = next((i for i, stop in enumerate(tour.stops) if stop.eta >= rest.ends_at), None)
        (after if index is None else before[index]).append(rest)
    return before, after


def break_minutes(rest: DriverBreak) -> int:
    return round((rest.ends_at - rest.starts_at).total_seconds() / 60)


# -- building a tour -------------------------------------------------------------------------------
class ShipmentsUnknown(Conflict):
    """The plan names shipments dispatch has not seen on logistics.shipments (yet)."""

    code = "shipments_unknown"


def cargo_action(kind: StopKind, shipment_id: str, on_board: set[str]) -> CargoAction:
    """LOAD at a shop, UNLOAD at a pick-up point; at the hub, unload what is on
    board and load what is not."""
    if kind == StopKind.PICKUP:
        return CargoAction.LOAD
    if kind == StopKind.DELIVERY:
        return CargoAction.UNLOAD
    if kind == StopKind.DEPOT:
        return CargoAction.UNLOAD if shipment_id in on_board else CargoAction.LOAD
    return CargoAction.OTHER


def build_tour(planned: PlannedTour, *, plan_id: str, day: date, driver_id: str,
               shipments: Mapping[str, ShipmentRequested], places: Mapping[str, Place],
               vehicle_name: str | None = None, replaces_tour_id: str | None = None,
               done_stops: Iterable[int] = ()) -> dict[str, Any]:
    """The fields of the TourDispatched for one PlannedTour of a RoutePlanned.
    Every shipment the plan names must be known: a driver cannot load a parcel
    whose order and compartments nobody can tell them."""
    missing = sorted({sid for sid in shipment_ids_of(planned) if sid not in shipments})
    if missing:
        raise ShipmentsUnknown(
            f"dispatch does not know the shipment(s) {', '.join(missing)} of tour {planned.tour_id} yet; "
            "try again shortly", details={"shipment_ids": missing}, headers={"Retry-After": "2"})
    stops = []
    on_board: set[str] = set()  # the hub mid-tour unloads goods and may load them again later
    named = _names_from_shipments(shipments.values())
    for rec in planned.stops:
        place = places.get(rec.place_id) or Place(rec.place_id, named.get(rec.place_id))
        consignments = []
        for sid in dict.fromkeys(rec.shipment_ids):
            shipment = shipments[sid]
            consignments.append(StopConsignment(
                shipment_id=shipment.shipment_id, order_id=shipment.order_id,
                action=cargo_action(rec.kind, sid, on_board), shop_id=shipment.shop_id,
                pickup_point_id=shipment.pickup_point_id, compartment_ids=list(shipment.compartment_ids),
                parcels=1, weight_g=shipment.weight_g, volume_ml=shipment.volume_ml,
                temperature_class=shipment.temperature_class))
        on_board.update(c.shipment_id for c in consignments if c.action == CargoAction.LOAD)
        on_board.difference_update(c.shipment_id for c in consignments if c.action == CargoAction.UNLOAD)
        stops.append(Stop(kind=rec.kind, place_id=rec.place_id, name=rec.name or place.name, location=rec.location,
                          job_ids=list(rec.job_ids), shipment_ids=list(rec.shipment_ids), eta=rec.eta,
                          load_g=rec.load_g, load_ml=rec.load_ml, address=place.address, driver_note=place.note,
                          consignments=consignments))
    return {"tour_id": planned.tour_id, "plan_id": plan_id, "day": day, "driver_id": driver_id,
            "vehicle_id": planned.vehicle_id, "stops": stops, "vehicle_name": vehicle_name,
            "planned_distance_km": planned.distance_km, "planned_duration_s": planned.duration_s,
            "replaces_tour_id": replaces_tour_id, "done_stops": list(done_stops), "breaks": list(planned.breaks)}


def _names_from_shipments(shipments: Iterable[ShipmentRequested]) -> dict[str, str]:
    """Shops and points dispatch has not seen yet still get the names the hub copied."""
    names: dict[str, str] = {}
    for s in shipments:
        if s.shop_name:
            names.setdefault(s.shop_id, s.shop_name)
        if s.pickup_point_name:
            names.setdefault(s.pickup_point_id, s.pickup_point_name)
    return names


def shipment_ids_of(planned: PlannedTour) -> list[str]:
    return list(dict.fromkeys(sid for stop in planned.stops for sid in stop.shipment_ids))


def place_ids_of(planned: PlannedTour) -> list[str]:
    return list(dict.fromkeys(stop.place_id for stop in planned.stops))


def tour_for_vehicle(tours: Iterable[PlannedTour], vehicle_id: str) -> PlannedTour | None:
    for planned in tours:
        if planned.vehicle_id == vehicle_id:
            return planned
    return None
