"""logistics.plans -> the hub vans' spare room as trip offers.

The routing service answers each RoutePlanRequested (which names the vehicles and
their capacity) with RoutePlanned (tours, stops in order, the load on board after
each stop). For every leg of every tour with room left, the freight exchange
offers a trip of the hub (`domain/hub_legs.py`). A re-plan (`replan_of`) offers the
legs of the new plan and withdraws the old plan's legs it no longer has (PLANS_CHANGED):
their loads go back into matching and the senders are told. One decision per
RoutePlanned (`Outbox`).
"""

from __future__ import annotations

import json

from redis.asyncio import Redis

from nahnetz.events import Event, new_event
from nahnetz.messaging.idempotency import Transaction
from nahnetz.messaging.outbox import Outbox
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import RoutePlanned, RoutePlanRequested, TripOffered, TripWithdrawn

from .. import keys
from ..domain.hub_legs import Leg, TourStop, spare_legs
from ..settings import FreightSettings
from .notices import derived_id
from .state import at, read_doc

PRODUCER = "freight-worker"


async def handle_plan_event(event: Event, redis: Redis, producer: EventProducer,
                            settings: FreightSettings) -> list[Event]:
    if isinstance(event, RoutePlanRequested):
        await remember_vehicles(event, redis)
        return []
    if isinstance(event, RoutePlanned):
        return await Outbox(redis, producer, keys.HUB_PLAN).decide(
            event.event_id, lambda tx: _planned(tx, event, settings),
            watch=[keys.plan(event.plan_id), keys.plan_trips(event.plan_id)]
            + ([keys.plan_trips(event.replan_of)] if event.replan_of else []))
    return []


async def remember_vehicles(event: RoutePlanRequested, redis: Redis) -> None:
    vehicles = {v.vehicle_id: {"max_weight_g": v.max_weight_g, "max_volume_ml": v.max_volume_ml,
                               "temperatures": [str(t) for t in v.temperature_classes], "name": v.name}
                for v in event.vehicles}
    for v in event.vehicles:
        vehicles[v.vehicle_id]["cost_per_km_cents"] = v.cost_per_km.amount_cents if v.cost_per_km else None
    # What the day delivers where (hub mode weighs vans against passing trips on it).
    deliveries: dict[str, dict] = {}
    for job in event.jobs:
        if job.kind != "DELIVERY":
            continue
        entry = deliveries.setdefault(job.place_id, {"lat": job.location.lat, "lon": job.location.lon,
                                                     "weight_g": 0, "temperature": "AMBIENT"})
        entry["weight_g"] += job.weight_g
        if _colder(str(job.temperature_class), entry["temperature"]):
            entry["temperature"] = str(job.temperature_class)
    doc = {"plan_id": event.plan_id, "vehicles": vehicles, "replan_of": event.replan_of, "day": event.day.isoformat(),
           "deliveries": deliveries,
           "depot": {"name": event.depot.name, "lat": event.depot.location.lat, "lon": event.depot.location.lon}}
    await redis.set(keys.plan(event.plan_id), json.dumps(doc, ensure_ascii=False), nx=True)


def _colder(a: str, b: str) -> bool:
    order = ("AMBIENT", "CHILLED", "FROZEN")
    return (order.index(a) if a in order else 0) > (order.index(b) if b in order else 0)


def leg_offer(leg: Leg, event: RoutePlanned, tour_id: str, vehicle: dict, settings: FreightSettings) -> TripOffered:
    temperature = "FROZEN" if "FROZEN" in vehicle["temperatures"] else (
        "CHILLED" if "CHILLED" in vehicle["temperatures"] else "AMBIENT")

    def place(stop: TourStop) -> dict:
        return {"name": stop.name, "location": {"lat": stop.lat, "lon": stop.lon}}

    return new_event(
        TripOffered, producer=PRODUCER, caused_by=event,
        event_id=derived_id("hub-leg", event.event_id, leg.trip_id), trip_id=leg.trip_id,
        participant_id=settings.hub_participant, participant_kind="CARRIER",
        participant_name=f"Hub-Tour {vehicle.get('name') or tour_id}",
        origin=place(leg.origin), destination=place(leg.destination),
        departure={"start": at(leg.depart_start * 1000), "end": at(leg.depart_end * 1000)},
        arrive_by=at(leg.arrive_by * 1000), spare_weight_g=leg.spare_weight_g, spare_volume_ml=leg.spare_volume_ml,
        refrigerated=temperature != "AMBIENT", temperature_class=temperature,
        max_detour_km=settings.hub_detour_km, max_detour_min=settings.hub_slack_min, price_rule="PER_KM",
        price_per_km={"amount_cents": settings.hub_price_per_km_cents}, channel="UNKNOWN",
        note=f"Freier Platz der Hub-Tour {tour_id}, Abschnitt {leg.position + 1}", tour_id=tour_id,
        plan_id=event.plan_id)


def plan_offers(event: RoutePlanned, vehicles: dict, settings: FreightSettings) -> list[TripOffered]:
    offers = []
    for tour in event.tours:
        vehicle = vehicles.get(tour.vehicle_id)
        if vehicle is None:
            continue  # a plan whose request we did not see: no capacity known, nothing offered
        stops = [TourStop(s.name or s.place_id, s.location.lat, s.location.lon, int(s.eta.timestamp()), s.load_g,
                          s.load_ml) for s in tour.stops]
        for leg in spare_legs(tour.tour_id, stops, capacity_g=vehicle["max_weight_g"],
                              capacity_ml=vehicle["max_volume_ml"], min_spare_g=int(settings.hub_min_spare_kg * 1000),
                              slack_s=settings.hub_slack_min * 60):
            offers.append(leg_offer(leg, event, tour.tour_id, vehicle, settings))
    return offers


async def _planned(tx: Transaction, event: RoutePlanned, settings: FreightSettings) -> list[Event]:
    plan = await read_doc(tx.read, keys.plan(event.plan_id))
    offers = plan_offers(event, (plan or {}).get("vehicles", {}), settings)
    replaced = event.replan_of or (plan or {}).get("replan_of")
    old = set(await tx.read.smembers(keys.plan_trips(replaced))) if replaced else set()
    offered = {o.trip_id for o in offers}
    withdrawn = [new_event(TripWithdrawn, producer=PRODUCER, caused_by=event,
                           event_id=derived_id("hub-leg-withdrawn", event.event_id, trip_id), trip_id=trip_id,
                           participant_id=settings.hub_participant, reason="PLANS_CHANGED",
                           note=f"Tour neu geplant ({event.plan_id})")
                 for trip_id in sorted(old - offered)]
    w = tx.write
    for trip_id in offered:
        w.sadd(keys.plan_trips(event.plan_id), trip_id)
    if not offered:
        w.set(keys.MATCHING_DUE, "1")
    return [*withdrawn, *offers]

