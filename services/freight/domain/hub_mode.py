"""Hub mode on a real day: which of the hub's deliveries go on its own vans, and
which are handed to a trip that passes the hub anyway, for what compensation.

The day's deliveries (one per destination: a pick-up point, with the weight bound
for it) and the vans' capacity come from the hub's plan request; the passing trips
are the day's open trip offers. They become a VRPOD instance (`occasional`):

- positions are projected onto a plane around the hub (equirectangular, good to a
  few metres over a district) and measured in *cents*: one kilometre of road
  (straight line x circuity) costs what the van's kilometre costs, so tour length
  and compensation are one currency, as the model needs;
- a trip may take a delivery when collecting it at the hub and dropping it on the
  way adds no more than its detour limit, the weight fits its spare room, and its
  temperature class suits the goods; it takes at most one (the model's rule);
- its compensation is what its price rule asks for that detour (per extra km, a
  fixed price, or a token amount for "free between neighbours", so that a free
  ride is not taken for granted when a van passes anyway).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from .occasional import Customer, HubInstance, HubPlan, OccasionalDriver, evaluate, solve

EARTH_M = 6_371_000.0
# What a "free" ride is counted at, in cents: a thank-you, and a tie-breaker against vans.
FREE_RIDE_CENTS = 50
TEMPERATURES = ("AMBIENT", "CHILLED", "FROZEN")


@dataclass(frozen=True)
class Delivery:
    place_id: str
    name: str
    lat: float
    lon: float
    weight_g: int
    temperature: str = "AMBIENT"   # the coldest class of the goods bound there


@dataclass(frozen=True)
class PassingTrip:
    trip_id: str
    participant_id: str
    origin: tuple[float, float]        # lat, lon
    destination: tuple[float, float]
    spare_weight_g: int
    max_detour_m: float | None
    temperature: str
    price_rule: str
    price_per_km_cents: int | None = None
    fixed_price_cents: int | None = None


@dataclass(frozen=True)
class Handover:
    place_id: str
    trip_id: str
    participant_id: str
    detour_km: float
    compensation_cents: int


@dataclass(frozen=True)
class HubDecision:
    tours: tuple[tuple[str, ...], ...]     # place ids in visit order, hub at both ends
    handovers: tuple[Handover, ...]
    cost_cents: float                      # van kilometres plus compensations
    vans_only_cents: float                 # the same deliveries on the vans alone
    eligible_pairs: int

    @property
    def saved_cents(self) -> float:
        return self.vans_only_cents - self.cost_cents


class Planar:
    """lat/lon -> metres on a plane tangent at the hub."""

    def __init__(self, lat: float, lon: float):
        self.lat0, self.lon0 = math.radians(lat), math.radians(lon)

    def __call__(self, lat: float, lon: float) -> tuple[float, float]:
        return (EARTH_M * (math.radians(lon) - self.lon0) * math.cos(self.lat0),
                EARTH_M * (math.radians(lat) - self.lat0))


def road_m(a: tuple[float, float], b: tuple[float, float], circuity: float) -> float:
    return math.dist(a, b) * circuity


def detour_m(trip_origin, trip_destination, hub, drop, circuity: float) -> float:
    """Extra metres for a trip to collect at the hub and drop on the way (planar points)."""
    via = road_m(trip_origin, hub, circuity) + road_m(hub, drop, circuity) + road_m(drop, trip_destination, circuity)
    return via - road_m(trip_origin, trip_destination, circuity)


def compensation_cents(trip: PassingTrip, extra_m: float) -> int:
    if trip.price_rule == "PER_KM" and trip.price_per_km_cents is not None:
        return max(1, round(trip.price_per_km_cents * extra_m / 1000))
    if trip.price_rule == "FIXED" and trip.fixed_price_cents is not None:
        return trip.fixed_price_cents
    return FREE_RIDE_CENTS


def decide(hub: tuple[float, float], deliveries: Sequence[Delivery], capacity_g: int, van_cents_per_km: int,
           trips: Sequence[PassingTrip], *, seconds: float, circuity: float = 1.3) -> HubDecision:
    """The cheapest split found within `seconds` (half for the vans alone, to compare)."""
    plane = Planar(*hub)
    depot = plane(*hub)
    scale = van_cents_per_km * circuity / 1000   # instance units (cents) per straight metre
    points = {d.place_id: plane(d.lat, d.lon) for d in deliveries}
    # Demands in kilograms, rounded up: the model counts whole units.
    customers = tuple(Customer(i, (points[d.place_id][0] - depot[0]) * scale, (points[d.place_id][1] - depot[1]) * scale,
                               max(1, math.ceil(d.weight_g / 1000)))
                      for i, d in enumerate(deliveries, start=1))
    drivers, detours = [], {}
    for k, trip in enumerate(trips, start=1):
        origin, destination = plane(*trip.origin), plane(*trip.destination)
        offers = {}
        for i, d in enumerate(deliveries, start=1):
            extra = detour_m(origin, destination, depot, points[d.place_id], circuity)
            if trip.max_detour_m is not None and extra > trip.max_detour_m:
                continue
            if d.weight_g > trip.spare_weight_g or not _suits(trip.temperature, d.temperature):
                continue
            offers[i] = float(compensation_cents(trip, extra))
            detours[(k, i)] = extra
        if offers:
            drivers.append(OccasionalDriver(k, offers))
    capacity = max(1, capacity_g // 1000)
    with_trips = HubInstance((0.0, 0.0), customers, capacity, tuple(drivers), name="hub-mode")
    vans_only = HubInstance((0.0, 0.0), customers, capacity, (), name="vans-only")
    plan = solve(with_trips, seconds / 2) if drivers else None
    alone = solve(vans_only, seconds / 2 if drivers else seconds)
    alone_cost = evaluate(vans_only, alone).value
    if plan is None or evaluate(with_trips, plan).value >= alone_cost:
        plan, instance = alone, vans_only   # no trip makes the day cheaper
    else:
        instance = with_trips
    ids = {i: d.place_id for i, d in enumerate(deliveries, start=1)}
    handovers = tuple(
        Handover(ids[i], trips[k - 1].trip_id, trips[k - 1].participant_id, round(detours[(k, i)] / 1000, 1),
                 round(instance.driver(k).compensation[i]))
        for k, served in sorted(plan.handovers.items()) for i in served)
    return HubDecision(tours=tuple(tuple(ids[i] for i in route) for route in plan.routes if route),
                       handovers=handovers, cost_cents=evaluate(instance, plan).value, vans_only_cents=alone_cost,
                       eligible_pairs=sum(len(d.compensation) for d in drivers))


def _suits(trip_temperature: str, goods_temperature: str) -> bool:
    """A chilled van carries ambient goods too; an ambient car no chilled ones."""
    order = {t: n for n, t in enumerate(TEMPERATURES)}
    return order.get(trip_temperature, 0) >= order.get(goods_temperature, 0)
