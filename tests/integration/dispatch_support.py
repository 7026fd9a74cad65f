"""What the dispatch integration tests play of the other services: the upstream
events (a shop, a pick-up point, shipments, a plan) a tour is built from. The
worker process, topic reader, API client and waiting are the test kit's,
`nahnetz.testing`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from nahnetz.events import Event, new_event
from nahnetz.records import (PickupPointRegistered, RoutePlanned, RoutePlanRequested, ShipmentRequested,
                             ShopRegistered)


# -- upstream events: what the hub, routing, catalog and pick-up services would publish --------------
def address(street: str, postal_code: str, locality: str) -> dict:
    return {"street": street, "postal_code": postal_code, "locality": locality, "country": "DE"}


def shop_registered(shop_id: str, name: str, lat: float, lon: float, note: str | None = None) -> Event:
    return new_event(ShopRegistered, producer="catalog-api", shop_id=shop_id, name=name, kind="FARM",
                     address=address("Dorfstraße 3", "37688", "Amelunxen"), location={"lat": lat, "lon": lon},
                     municipality="Beverungen", opening_hours={"intervals": [], "closed_on": [], "note": None},
                     contact={"person": None, "phone": "+4952719999", "email": None}, collection_note=note)


def point_registered(point_id: str) -> Event:
    return new_event(PickupPointRegistered, producer="pickup-api", pickup_point_id=point_id, kind="LOCKER",
                     name="Pick-up-Point HX Höxter Rathaus", address=address("Rathausplatz 1", "37671", "Höxter"),
                     location={"lat": 51.775, "lon": 9.383}, municipality="Höxter",
                     compartments=[{"compartment_id": "AM01", "label": "A1", "size": "M",
                                    "temperature_class": "AMBIENT", "volume_ml": 40000},
                                   {"compartment_id": "CM01", "label": "K1", "size": "M",
                                    "temperature_class": "CHILLED", "volume_ml": 40000}],
                     access_note="neben dem Rathauseingang")


def shipment_requested(shipment_id: str, order_id: str, shop_id: str, point_id: str, day: date,
                       compartments: list[str], temperature: str = "AMBIENT", weight_g: int = 2000) -> Event:
    window = {"start": datetime.combine(day, datetime.min.time(), timezone.utc) + timedelta(hours=6),
              "end": datetime.combine(day, datetime.min.time(), timezone.utc) + timedelta(hours=16)}
    return new_event(ShipmentRequested, producer="hub-worker", shipment_id=shipment_id, order_id=order_id,
                     shop_id=shop_id, pickup_point_id=point_id, compartment_ids=compartments, delivery_day=day,
                     weight_g=weight_g, volume_ml=weight_g * 2, temperature_class=temperature,
                     pickup_windows=[window], shop_location={"lat": 51.65, "lon": 9.33},
                     pickup_point_location={"lat": 51.775, "lon": 9.383})


@dataclass(frozen=True)
class Scenario:
    """One plan with one tour: hub -> shop A (s1) -> shop B (s2, chilled) -> point (s1, s2) -> hub."""

    plan_id: str
    tour_id: str
    vehicle_id: str
    day: date
    shop_a: str
    shop_b: str
    point: str
    shipments: tuple[str, str]
    orders: tuple[str, str]


def scenario(unique: str, day: date) -> Scenario:
    return Scenario(f"plan-{unique}", f"tour-{unique}", f"van-{unique}", day, f"shop-a-{unique}",
                    f"shop-b-{unique}", f"pp-{unique}", (f"s1-{unique}", f"s2-{unique}"),
                    (f"o1-{unique}", f"o2-{unique}"))


def _start(s: Scenario) -> datetime:
    return datetime.combine(s.day, datetime.min.time(), timezone.utc) + timedelta(hours=6)


def _stop(s: Scenario, kind: str, place: str, minutes: int, shipments: list[str] = ()) -> dict:
    return {"kind": kind, "place_id": place, "name": None, "location": {"lat": 51.7, "lon": 9.3},
            "job_ids": [f"job-{sid}" for sid in shipments], "shipment_ids": list(shipments),
            "eta": _start(s) + timedelta(minutes=minutes), "load_g": 1000 * len(shipments),
            "load_ml": 2000 * len(shipments)}


def _plan(s: Scenario, plan_id: str, tour_id: str, stops: list[dict], replan_of: str | None = None) -> list[Event]:
    depot = {"depot_id": "hub-hx", "name": "Logistikport HX", "location": {"lat": 51.69, "lon": 9.19}}
    vehicle = {"vehicle_id": s.vehicle_id, "name": "HX-NN 104", "max_weight_g": 800_000,
               "max_volume_ml": 6_000_000, "temperature_classes": ["AMBIENT", "CHILLED"],
               "shift": {"start": _start(s), "end": _start(s) + timedelta(hours=9)}}
    requested = new_event(RoutePlanRequested, producer="routing-api", plan_id=plan_id, day=s.day,
                          depot=depot, vehicles=[vehicle], jobs=[], time_budget_s=5, replan_of=replan_of)
    tour = {"tour_id": tour_id, "vehicle_id": s.vehicle_id, "distance_km": 61.3, "duration_s": 9000,
            "empty_km": 20.1, "load_factor": 0.1, "stops": stops}
    planned = new_event(RoutePlanned, producer="routing-worker", caused_by=requested, plan_id=plan_id,
                        day=s.day, tours=[tour], distance_km=61.3, solve_time_ms=800, matrix_source="great-circle",
                        replan_of=replan_of)
    return [requested, planned]


def replan_events(s: Scenario, plan_id: str, tour_id: str, urgent: str, order: str) -> list[Event]:
    """What routing answers to a re-plan of the scenario's plan: hub and shop A stay
    first (done), shop B is gone (closed), an urgent shipment of shop A's neighbour
    (shop B's place is reused for it) joins, the delivery takes both."""
    s1 = s.shipments[0]
    stops = [_stop(s, "DEPOT", "hub-hx", 0), _stop(s, "PICKUP", s.shop_a, 30, [s1]),
             _stop(s, "PICKUP", s.shop_b, 70, [urgent]), _stop(s, "DELIVERY", s.point, 110, [s1, urgent]),
             _stop(s, "DEPOT", "hub-hx", 160)]
    return [shipment_requested(urgent, order, s.shop_b, s.point, s.day, ["AM01"]),
            *_plan(s, plan_id, tour_id, stops, replan_of=s.plan_id)]


def plan_events(s: Scenario) -> list[Event]:
    """Everything dispatch needs before it can dispatch the scenario's tour, in the
    order the owners would publish it."""
    s1, s2 = s.shipments
    stops = [_stop(s, "DEPOT", "hub-hx", 0), _stop(s, "PICKUP", s.shop_a, 30, [s1]),
             _stop(s, "PICKUP", s.shop_b, 60, [s2]), _stop(s, "DELIVERY", s.point, 100, [s1, s2]),
             _stop(s, "DEPOT", "hub-hx", 150)]
    return [
        shop_registered(s.shop_a, "Hofladen Amelunxen", 51.65, 9.33, note="Anlieferung über den Hof"),
        shop_registered(s.shop_b, "Metzgerei <Brakel>", 51.71, 9.18),
        point_registered(s.point),
        shipment_requested(s1, s.orders[0], s.shop_a, s.point, s.day, ["AM01"]),
        shipment_requested(s2, s.orders[1], s.shop_b, s.point, s.day, ["CM01"], temperature="CHILLED"),
        *_plan(s, s.plan_id, s.tour_id, stops),
    ]
