"""What folding one event changes: amounts added to a cell's counters, and
samples (one value per entity, so a redelivery or a replay writes the same one).

A cell is one day and one thing the figures hang on: a pick-up point (orders and
compartments, attributed to the point's village and municipality when read), a
shop, a tour, a freight trip or load. Attribution to areas happens when reading,
so the order in which topics arrive never changes a figure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

POINT, SHOP, TOUR, TRIP, LOAD = "point", "shop", "tour", "trip", "load"


@dataclass(frozen=True)
class Cell:
    day: date
    kind: str      # POINT, SHOP, TOUR, TRIP, LOAD
    ref: str       # its id


@dataclass(frozen=True)
class Add:
    cell: Cell
    counter: str
    amount: float = 1


@dataclass(frozen=True)
class Sample:
    """One entity's measurement (e.g. an order's lead time in seconds), kept by entity id."""

    cell: Cell
    measure: str
    ref: str
    value: int


Change = Add | Sample
