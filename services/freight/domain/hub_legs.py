"""The spare room of a planned hub tour, leg by leg, as trip offers.

A tour drives from stop to stop with a known load on board after each stop; on
the leg from stop i to stop i + 1 the room left is the vehicle's capacity less
that load. Each leg with enough room becomes a trip: it leaves at the stop
(after the stop's work) and must reach the next stop by its planned arrival plus
a little slack, with a small detour limit, so the tour's own plan is never put at
risk. The legs' ids are stable (tour id and position): a re-plan that keeps a leg
offers it again (changed), one that drops it withdraws it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class TourStop:
    name: str
    lat: float
    lon: float
    eta: int          # seconds since the epoch
    load_g: int       # on board after the stop
    load_ml: int


@dataclass(frozen=True)
class Leg:
    trip_id: str
    position: int
    origin: TourStop
    destination: TourStop
    depart_start: int
    depart_end: int
    arrive_by: int
    spare_weight_g: int
    spare_volume_ml: int


def leg_trip_id(tour_id: str, position: int) -> str:
    return f"hub-{tour_id}-{position}"


def spare_legs(tour_id: str, stops: Sequence[TourStop], *, capacity_g: int, capacity_ml: int,
               min_spare_g: int = 5_000, service_s: int = 300, slack_s: int = 900) -> list[Leg]:
    legs = []
    for i in range(len(stops) - 1):
        here, there = stops[i], stops[i + 1]
        spare_g, spare_ml = capacity_g - here.load_g, capacity_ml - here.load_ml
        if spare_g < min_spare_g or spare_ml <= 0:
            continue
        if (here.lat, here.lon) == (there.lat, there.lon):
            continue
        leave = here.eta + service_s
        legs.append(Leg(leg_trip_id(tour_id, i), i, here, there, leave, leave, max(there.eta, leave) + slack_s,
                        spare_g, spare_ml))
    return legs
