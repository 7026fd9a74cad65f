"""What carrying loads on a trip driven anyway saves: the kilometres of the
dedicated trips that are not driven (there and back, as a sender would drive to
deliver themself), less the trip's detour, and the CO2 of those kilometres."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .offers import Load, Matrix

# CO2 of a car or small van per km (kg), for the figures people see, fuel-based:
# 2.67 kg CO2e per litre of diesel (tank to wheel, DIN EN 16258:2012 Annex A) x an
# assumed 6.4 l/100 km on rural roads = 0.171, rounded. An estimate, not an audit;
# the insights service shows it with this source (INSIGHTS_CO2_SOURCE).
CO2_KG_PER_KM = 0.17


@dataclass(frozen=True)
class Saving:
    km_avoided: float
    co2_kg_avoided: float


def dedicated_m(load: Load, times: Matrix) -> int:
    """A run only for this load: to its destination and back."""
    return times.distances_m[load.origin][load.destination] + times.distances_m[load.destination][load.origin]


def saving(loads: Sequence[Load], extra_m: int, times: Matrix) -> Saving:
    km = max(0, sum(dedicated_m(load, times) for load in loads) - extra_m) / 1000
    return Saving(round(km, 3), round(km * CO2_KG_PER_KM, 3))
