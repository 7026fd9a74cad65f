"""The printable tour sheet as data: a header, one row per stop in driving order
(time, place, what to load or unload) and the totals. The paper path of
"digital werden UND analog bleiben": a driver without the app works from it and
ticks each stop; an operator enters the results afterwards.

Times are shown in Europe/Berlin. Labels are German with an English subtitle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Mapping

from nahnetz.clock import in_berlin
from nahnetz.records import Address, DriverBreak, Stop, StopKind, TemperatureClass, TourDispatched

from .progress import StopStatus, TourProgress
from .tours import Place, break_minutes, breaks_before_stops, label, loads, unloads

KIND_LABELS = {
    StopKind.DEPOT: ("Hub", "depot"),
    StopKind.PICKUP: ("Abholung", "collection"),
    StopKind.DELIVERY: ("Zustellung", "delivery"),
}
TEMPERATURE_LABELS = {
    TemperatureClass.AMBIENT: ("ungekühlt", "ambient"),
    TemperatureClass.CHILLED: ("gekühlt", "chilled"),
    TemperatureClass.FROZEN: ("tiefgekühlt", "frozen"),
}
WEEKDAYS_DE = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
STATUS_MARKS = {StopStatus.DONE: "erledigt / done", StopStatus.FAILED: "nicht erledigt / failed"}


@dataclass(frozen=True)
class LoadLine:
    shipment_id: str
    order_id: str
    parcels: int
    temperature: str
    temperature_en: str
    weight_kg: str


@dataclass(frozen=True)
class UnloadLine:
    shipment_id: str
    order_id: str
    parcels: int
    compartments: tuple[str, ...]
    temperature: str
    temperature_en: str


@dataclass(frozen=True)
class BreakLine:
    """A planned driver break, printed between the stops where it falls."""

    starts: str
    ends: str
    minutes: int


@dataclass(frozen=True)
class SheetRow:
    seq: int
    time: str
    kind: str
    kind_en: str
    place: str
    address: str
    note: str | None
    loads: tuple[LoadLine, ...]
    unloads: tuple[UnloadLine, ...]
    status: str | None           # filled in on a reprint of a tour under way
    breaks_before: tuple[BreakLine, ...] = ()


@dataclass(frozen=True)
class SheetTotals:
    stops: int
    parcels_to_load: int
    parcels_to_unload: int
    orders: int
    weight_kg: str
    by_temperature: tuple[tuple[str, str, int], ...]  # (de, en, parcels)
    planned_km: str | None
    planned_duration: str | None
    breaks: int = 0
    break_minutes: int = 0


@dataclass(frozen=True)
class TourSheet:
    tour_id: str
    plan_id: str
    date: str
    weekday: str
    vehicle: str
    driver: str
    printed_at: str
    rows: tuple[SheetRow, ...]
    totals: SheetTotals
    breaks_after: tuple[BreakLine, ...] = ()


def _local(moment: datetime, fmt: str) -> str:
    return in_berlin(moment).strftime(fmt)


def _kg(grams: int) -> str:
    return f"{grams / 1000:.1f}".replace(".", ",")


def address_line(address: Address | None) -> str:
    if not address:
        return ""
    return f"{address.street}, {address.postal_code} {address.locality}".strip(", ")


def _break(rest: DriverBreak) -> BreakLine:
    return BreakLine(_local(rest.starts_at, "%H:%M"), _local(rest.ends_at, "%H:%M"), break_minutes(rest))


def _row(index: int, stop: Stop, place: Place, status: StopStatus | None,
         breaks: list[DriverBreak]) -> SheetRow:
    kind, kind_en = KIND_LABELS.get(stop.kind, ("Halt", "stop"))
    to_load = tuple(LoadLine(c.shipment_id, c.order_id, c.parcels, *TEMPERATURE_LABELS[c.temperature_class],
                             _kg(c.weight_g)) for c in loads(stop))
    to_unload = tuple(UnloadLine(c.shipment_id, c.order_id, c.parcels,
                                 tuple(place.label_of(cid) for cid in c.compartment_ids),
                                 *TEMPERATURE_LABELS[c.temperature_class]) for c in unloads(stop))
    return SheetRow(index, _local(stop.eta, "%H:%M"), kind, kind_en, label(stop),
                    address_line(stop.address), stop.driver_note, to_load, to_unload,
                    STATUS_MARKS.get(status) if status else None, tuple(_break(b) for b in breaks))


def _duration(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d} h"


def tour_sheet(tour: TourDispatched, *, places: Mapping[str, Place], now: datetime,
               progress: TourProgress | None = None) -> TourSheet:
    """The sheet of a tour. `places` gives the compartment labels printed on the
    doors; `progress` marks stops already done on a reprint."""
    statuses = progress.statuses(tour) if progress else [None] * len(tour.stops)
    breaks, breaks_after = breaks_before_stops(tour)
    rows = tuple(_row(index, stop, places.get(stop.place_id) or Place(stop.place_id), status, rests)
                 for index, (stop, status, rests) in enumerate(zip(tour.stops, statuses, breaks)))
    loaded = [c for s in tour.stops for c in loads(s)]
    unloaded = [c for s in tour.stops for c in unloads(s)]
    handled = {c.shipment_id: c for c in loaded + unloaded}.values()
    by_temperature = []
    for temperature, (de, en) in TEMPERATURE_LABELS.items():
        parcels = sum(c.parcels for c in handled if c.temperature_class == temperature)
        if parcels:
            by_temperature.append((de, en, parcels))
    totals = SheetTotals(
        stops=len(tour.stops), parcels_to_load=sum(c.parcels for c in loaded),
        parcels_to_unload=sum(c.parcels for c in unloaded),
        orders=len({c.order_id for c in loaded + unloaded}),
        weight_kg=_kg(sum(c.weight_g for c in handled)), by_temperature=tuple(by_temperature),
        planned_km=f"{tour.planned_distance_km:.1f}".replace(".", ",") if tour.planned_distance_km is not None else None,
        planned_duration=_duration(tour.planned_duration_s), breaks=len(tour.breaks),
        break_minutes=sum(break_minutes(b) for b in tour.breaks))
    vehicle = f"{tour.vehicle_name} ({tour.vehicle_id})" if tour.vehicle_name else tour.vehicle_id
    return TourSheet(tour.tour_id, tour.plan_id, tour.day.strftime("%d.%m.%Y"), WEEKDAYS_DE[tour.day.weekday()],
                     vehicle, tour.driver_id, _local(now, "%d.%m.%Y %H:%M"), rows, totals,
                     tuple(_break(b) for b in breaks_after))
