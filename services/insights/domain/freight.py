"""Folding the freight exchange's topics: trips offered, loads posted, matched and
delivered, the kilometres and compensation. A trip counts on the day it was
offered (cell of the trip), a load's figures on the day each happened (cell of the
load); both are placed in an area by their origin when read.

    trace, changes = fold_match(None, agreed)     # loads_matched; price and km kept
    trace, changes = fold_match(trace, delivered) # loads_delivered, m_avoided, compensation_cents

Kilometres avoided are the exchange's own figure (LoadDelivered.km_avoided, else
the agreement's); CO2 avoided is derived when read, from the configured factor.
What the events lack: the fuel a trip really burned (CO2 is per km, by factor),
and whether the compensation was paid (the agreed price of a delivered load counts).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from nahnetz.records import LoadDelivered, LoadPosted, MatchAgreed, MatchCancelled, TripOffered
from nahnetz.records.base import EventRecord

from .changes import LOAD, TRIP, Add, Cell, Change
from .days import day_of


@dataclass(frozen=True)
class MatchTrace:
    load_id: str
    price_cents: int
    km_avoided: float
    delivered: bool = False

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> "MatchTrace":
        return cls(**doc)


@dataclass(frozen=True)
class Origin:
    """Where a trip or load starts: the area it counts in is found from this when read."""

    name: str
    lat: float
    lon: float


def fold_listing(event: EventRecord) -> tuple[Origin | None, list[Change]]:
    """A trip offered or a load posted: its origin and its count."""
    day = day_of(event.meta.occurred_at)
    if isinstance(event, TripOffered):
        origin = Origin(event.origin.name, event.origin.location.lat, event.origin.location.lon)
        return origin, [Add(Cell(day, TRIP, event.trip_id), "trips_offered")]
    if isinstance(event, LoadPosted):
        origin = Origin(event.origin.name, event.origin.location.lat, event.origin.location.lon)
        return origin, [Add(Cell(day, LOAD, event.load_id), "loads_posted")]
    return None, []


def fold_match(trace: MatchTrace | None, event: EventRecord) -> tuple[MatchTrace | None, list[Change]]:
    day = day_of(event.meta.occurred_at)
    if isinstance(event, MatchAgreed):
        if trace is not None:
            return trace, []
        agreed = MatchTrace(event.load_id, event.price.amount_cents, float(event.km_avoided))
        return agreed, [Add(Cell(day, LOAD, event.load_id), "loads_matched")]
    if isinstance(event, MatchCancelled) and event.was_agreed and trace is not None and not trace.delivered:
        return trace, [Add(Cell(day, LOAD, event.load_id), "matches_cancelled")]
    if isinstance(event, LoadDelivered):
        if trace is None or trace.delivered:
            return trace, []  # delivered without an agreement seen: nothing to count it against
        km = float(event.km_avoided) if event.km_avoided is not None else trace.km_avoided
        cell = Cell(day, LOAD, event.load_id)
        done = MatchTrace(trace.load_id, trace.price_cents, trace.km_avoided, delivered=True)
        return done, [Add(cell, "loads_delivered"), Add(cell, "m_avoided", round(km * 1000)),
                      Add(cell, "compensation_cents", trace.price_cents)]
    return trace, []
