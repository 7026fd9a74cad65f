"""Reach: the share of residents who live within 1,000 m, 2 km and 5 km (straight
line, and by road where a road matrix is configured) of a pick-up point in service
with free room or an open shop selling daily goods.

Villages are points in the region pack (an approximate centre and a population):
all of a village's residents count at its centre, so a village is in reach or not.
The distances come from outside the domain (`services/insights/handlers/reach.py`, by
`nahnetz.geo`); here they are only compared and weighted by population.

The national reference: for 74 % of people in Germany the nearest supermarket or
discounter is at most 1,000 m away (straight line). Source: BBSR (Bundesinstitut für
Bau-, Stadt- und Raumforschung), "Nahversorgung: Kurze Wege zum nächsten Supermarkt",
Topmeldung of 4 November 2022,
https://www.bbsr.bund.de/BBSR/DE/startseite/topmeldungen/erreichbarkeit-supermaerkte.html
(address-level shop locations, residents on a 100 m grid). It is shown beside the
1,000 m figure; it counts supermarkets and discounters from residents' homes, ours
pick-up points and every shop selling daily goods from village centres, so the two
are a comparison, not the same measure.
"""

from __future__ import annotations

from dataclasses import dataclass

from .tally import Tally

RADII_M = (1000, 2000, 5000)
NATIONAL_REFERENCE = {
    "kpi": "reach_1000m",
    "value": 74.0,
    "unit": "%",
    "name": {"de": "Bevölkerung in Deutschland im Umkreis von 1.000 m eines Supermarkts (Luftlinie)",
             "en": "People in Germany within 1,000 m of a supermarket (straight line)"},
    "source": "BBSR (Bundesinstitut für Bau-, Stadt- und Raumforschung): Nahversorgung: Kurze Wege zum "
              "nächsten Supermarkt, 4 November 2022: for 74 % of people in Germany the nearest supermarket or "
              "discounter is at most 1,000 m away",
    "url": "https://www.bbsr.bund.de/BBSR/DE/startseite/topmeldungen/erreichbarkeit-supermaerkte.html",
}


@dataclass(frozen=True)
class VillageDistance:
    village: str
    municipality: str
    population: int
    nearest_m: float | None   # to the nearest pick-up point or shop; None when there is none
    by_road: bool = False     # whether a road matrix measured `road_m`
    road_m: float | None = None   # by road to the nearest one; None when none is reachable


def village_tally(v: VillageDistance) -> Tally:
    """`residents`, `residents_within:<m>`; with a road matrix also `residents_by_road` and
    `residents_within_road:<m>` (without one, the road shares have no basis: no value)."""
    tally = Tally()
    tally.counts["residents"] = v.population
    for radius in RADII_M:
        tally.counts[f"residents_within:{radius}"] = (
            v.population if v.nearest_m is not None and v.nearest_m <= radius else 0)
    if v.by_road:
        tally.counts["residents_by_road"] = v.population
        for radius in RADII_M:
            tally.counts[f"residents_within_road:{radius}"] = (
                v.population if v.road_m is not None and v.road_m <= radius else 0)
    return tally
