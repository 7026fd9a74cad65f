"""A dispatched tour: one planned tour handed to a driver, its stops copied from
the plan and completed with what the driver needs at each place (name, address,
what to load or unload, orders and compartments), so neither the app nor the
paper sheet has to look anything up on the road.

Pure: plain values in, plain values out. The records it reads and writes have
the shapes of the Avro records (PlannedTour, Stop, StopConsignment, ShipmentRequested).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Iterable, Mapping

from nahnetz.kit.errors import Conflict

LOAD, UNLOAD, OTHER = "LOAD", "UNLOAD", "OTHER"
DEPOT, PICKUP, DELIVERY = "DEPOT", "PICKUP", "DELIVERY"


@dataclass(frozen=True)
class Place:
    """A shop, pick-up point or the hub, as dispatch knows it from the owners' topics."""

    place_id: str
    name: str | None = None
    address: Mapping[str, Any] | None = None
    note: str | None = None
    compartment_labels: Mapping[str, str] = field(default_factory=dict)

    def label_of(self, compartment_id: str) -> str:
        """What is printed on the door (falls back to the id)."""
        return self.compartment_labels.get(compartment_id) or compartment_id


@dataclass(frozen=True)
class Shipment:
    """One shop's part of an order, as the hub requested its transport."""

    shipment_id: str
    order_id: str
    shop_id: str
    pickup_point_id: str
    compartment_ids: tuple[str, ...]
    weight_g: int
    volume_ml: int
    temperature_class: str = "AMBIENT"
    shop_name: str | None = None
    pickup_point_name: str | None = None

    @classmethod
    def from_event(cls, data: Mapping[str, Any]) -> "Shipment":
        return cls(data["shipment_id"], data["order_id"], data["shop_id"], data["pickup_point_id"],
                   tuple(data.get("compartment_ids") or ()), int(data["weight_g"]), int(data["volume_ml"]),
                   data.get("temperature_class") or "AMBIENT", data.get("shop_name"), data.get("pickup_point_name"))


@dataclass(frozen=True)
class Consignment:
    """One shipment handled at a stop (the Avro record StopConsignment)."""

    shipment_id: str
    order_id: str
    action: str
    shop_id: str | None
    pickup_point_id: str | None
    compartment_ids: tuple[str, ...]
    parcels: int
    weight_g: int
    volume_ml: int
    temperature_class: str

    def as_record(self) -> dict[str, Any]:
        return {"shipment_id": self.shipment_id, "order_id": self.order_id, "action": self.action,
                "shop_id": self.shop_id, "pickup_point_id": self.pickup_point_id,
                "compartment_ids": list(self.compartment_ids), "parcels": self.parcels,
                "weight_g": self.weight_g, "volume_ml": self.volume_ml,
                "temperature_class": self.temperature_class}

    @classmethod
    def from_record(cls, rec: Mapping[str, Any]) -> "Consignment":
        return cls(rec["shipment_id"], rec["order_id"], rec.get("action") or OTHER, rec.get("shop_id"),
                   rec.get("pickup_point_id"), tuple(rec.get("compartment_ids") or ()),
                   int(rec.get("parcels", 1)), int(rec.get("weight_g", 0)), int(rec.get("volume_ml", 0)),
                   rec.get("temperature_class") or "AMBIENT")


@dataclass(frozen=True)
class TourStop:
    """One stop of a dispatched tour, in driving order (the Avro record Stop)."""

    index: int
    kind: str
    place_id: str
    name: str | None
    location: Mapping[str, float]
    eta: datetime
    job_ids: tuple[str, ...] = ()
    shipment_ids: tuple[str, ...] = ()
    load_g: int = 0
    load_ml: int = 0
    address: Mapping[str, Any] | None = None
    driver_note: str | None = None
    consignments: tuple[Consignment, ...] = ()

    @property
    def loads(self) -> tuple[Consignment, ...]:
        return tuple(c for c in self.consignments if c.action == LOAD)

    @property
    def unloads(self) -> tuple[Consignment, ...]:
        return tuple(c for c in self.consignments if c.action == UNLOAD)

    @property
    def order_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.order_id for c in self.consignments))

    @property
    def label(self) -> str:
        return self.name or self.place_id

    def as_record(self) -> dict[str, Any]:
        return {"kind": self.kind, "place_id": self.place_id, "name": self.name,
                "location": dict(self.location), "job_ids": list(self.job_ids),
                "shipment_ids": list(self.shipment_ids), "eta": self.eta, "load_g": self.load_g,
                "load_ml": self.load_ml, "address": dict(self.address) if self.address else None,
                "driver_note": self.driver_note, "consignments": [c.as_record() for c in self.consignments]}

    @classmethod
    def from_record(cls, index: int, rec: Mapping[str, Any]) -> "TourStop":
        return cls(index, rec.get("kind") or OTHER, rec["place_id"], rec.get("name"), dict(rec["location"]),
                   rec["eta"], tuple(rec.get("job_ids") or ()), tuple(rec.get("shipment_ids") or ()),
                   int(rec.get("load_g", 0)), int(rec.get("load_ml", 0)), rec.get("address"),
                   rec.get("driver_note"),
                   tuple(Consignment.from_record(c) for c in rec.get("consignments") or ()))


@dataclass(frozen=True)
class Tour:
    """A tour handed to a driver (the fields of TourDispatched)."""

    tour_id: str
    plan_id: str
    day: date
    driver_id: str
    vehicle_id: str
    stops: tuple[TourStop, ...]
    vehicle_name: str | None = None
    planned_distance_km: float | None = None
    planned_duration_s: int | None = None
    replaces_tour_id: str | None = None      # after a re-plan: the tour this one takes over
    done_stops: tuple[int, ...] = ()         # stops already done on that tour, carried over

    def event_fields(self) -> dict[str, Any]:
        return {"tour_id": self.tour_id, "plan_id": self.plan_id, "day": self.day,
                "driver_id": self.driver_id, "vehicle_id": self.vehicle_id,
                "stops": [s.as_record() for s in self.stops], "vehicle_name": self.vehicle_name,
                "planned_distance_km": self.planned_distance_km,
                "planned_duration_s": self.planned_duration_s, "replaces_tour_id": self.replaces_tour_id,
                "done_stops": list(self.done_stops)}

    @classmethod
    def from_event(cls, data: Mapping[str, Any]) -> "Tour":
        return cls(data["tour_id"], data["plan_id"], data["day"], data["driver_id"], data["vehicle_id"],
                   tuple(TourStop.from_record(i, s) for i, s in enumerate(data["stops"])),
                   data.get("vehicle_name"), data.get("planned_distance_km"), data.get("planned_duration_s"),
                   data.get("replaces_tour_id"), tuple(data.get("done_stops") or ()))

    def stop(self, index: int) -> TourStop | None:
        return self.stops[index] if 0 <= index < len(self.stops) else None

    def load_stop_of(self, shipment_id: str, before: int | None = None) -> TourStop | None:
        """The stop of this tour where the shipment is loaded, if it is loaded on
        this tour; with `before`, the last such stop ahead of that index (goods
        unloaded at the hub mid-tour may be loaded again later)."""
        found = None
        for stop in self.stops:
            if before is not None and stop.index >= before:
                break
            if any(c.shipment_id == shipment_id for c in stop.loads):
                if before is None:
                    return stop
                found = stop
        return found

    @property
    def parcels(self) -> int:
        return sum(c.parcels for s in self.stops for c in s.loads)


class ShipmentsUnknown(Conflict):
    """The plan names shipments dispatch has not seen on logistics.shipments (yet)."""

    code = "shipments_unknown"


def cargo_action(kind: str, shipment_id: str, on_board: set[str]) -> str:
    """LOAD at a shop, UNLOAD at a pick-up point; at the hub, unload what is on
    board and load what is not."""
    if kind == PICKUP:
        return LOAD
    if kind == DELIVERY:
        return UNLOAD
    if kind == DEPOT:
        return UNLOAD if shipment_id in on_board else LOAD
    return OTHER


def build_tour(planned: Mapping[str, Any], *, plan_id: str, day: date, driver_id: str,
               shipments: Mapping[str, Shipment], places: Mapping[str, Place],
               vehicle_name: str | None = None, replaces_tour_id: str | None = None,
               done_stops: Iterable[int] = ()) -> Tour:
    """The tour to dispatch from one PlannedTour record of a RoutePlanned event.
    Every shipment the plan names must be known: a driver cannot load a parcel
    whose order and compartments nobody can tell them."""
    wanted = [sid for stop in planned["stops"] for sid in stop.get("shipment_ids") or ()]
    missing = sorted({sid for sid in wanted if sid not in shipments})
    if missing:
        raise ShipmentsUnknown(
            f"dispatch does not know the shipment(s) {', '.join(missing)} of tour {planned['tour_id']} yet; "
            "try again shortly", details={"shipment_ids": missing}, headers={"Retry-After": "2"})
    stops = []
    on_board: set[str] = set()  # the hub mid-tour unloads goods and may load them again later
    named = _names_from_shipments(shipments.values())
    for index, rec in enumerate(planned["stops"]):
        kind = rec.get("kind") or OTHER
        place = places.get(rec["place_id"]) or Place(rec["place_id"], named.get(rec["place_id"]))
        consignments = []
        for sid in dict.fromkeys(rec.get("shipment_ids") or ()):
            shipment = shipments[sid]
            action = cargo_action(kind, sid, on_board)
            consignments.append(Consignment(
                shipment.shipment_id, shipment.order_id, action, shipment.shop_id, shipment.pickup_point_id,
                shipment.compartment_ids, 1, shipment.weight_g, shipment.volume_ml, shipment.temperature_class))
        on_board.update(c.shipment_id for c in consignments if c.action == LOAD)
        on_board.difference_update(c.shipment_id for c in consignments if c.action == UNLOAD)
        stops.append(TourStop(
            index, kind, rec["place_id"], rec.get("name") or place.name, dict(rec["location"]), rec["eta"],
            tuple(rec.get("job_ids") or ()), tuple(rec.get("shipment_ids") or ()), int(rec["load_g"]),
            int(rec["load_ml"]), place.address, place.note, tuple(consignments)))
    return Tour(planned["tour_id"], plan_id, day, driver_id, planned["vehicle_id"], tuple(stops), vehicle_name,
                planned.get("distance_km"), planned.get("duration_s"), replaces_tour_id, tuple(done_stops))


def _names_from_shipments(shipments: Iterable[Shipment]) -> dict[str, str]:
    """Shops and points dispatch has not seen yet still get the names the hub copied."""
    names: dict[str, str] = {}
    for s in shipments:
        if s.shop_name:
            names.setdefault(s.shop_id, s.shop_name)
        if s.pickup_point_name:
            names.setdefault(s.pickup_point_id, s.pickup_point_name)
    return names


def shipment_ids_of(planned: Mapping[str, Any]) -> list[str]:
    return list(dict.fromkeys(sid for stop in planned["stops"] for sid in stop.get("shipment_ids") or ()))


def place_ids_of(planned: Mapping[str, Any]) -> list[str]:
    return list(dict.fromkeys(stop["place_id"] for stop in planned["stops"]))


def tour_for_vehicle(tours: Iterable[Mapping[str, Any]], vehicle_id: str) -> Mapping[str, Any] | None:
    for planned in tours:
        if planned["vehicle_id"] == vehicle_id:
            return planned
    return None
