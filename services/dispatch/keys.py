"""Every Redis key of the dispatch service (prefix `dispatch:`), in one place.

| key | type | what | written by |
|---|---|---|---|
| dispatch:plan:<plan_id> | hash | `requested`, `planned` (the events), `status`, `failure` | worker, from logistics.plans |
| dispatch:shipment:<shipment_id> | string | the ShipmentRequested event (highest attempt) | worker, from logistics.shipments |
| dispatch:shop:<shop_id> | string (JSON) | name, address, note for drivers | worker, from catalog.shops |
| dispatch:point:<pickup_point_id> | string (JSON) | name, address, access note, compartment labels | worker, from pickup.points |
| dispatch:tour:<tour_id> | hash | `dispatched` (the TourDispatched event), `progress` (JSON) | API and worker, from logistics.tours |
| dispatch:tours:<day> | set | tour ids dispatched for a day | API and worker |
| dispatch:driver-tours:<driver_id>:<day> | set | a driver's tour ids of a day | API and worker |
| dispatch:driver-days:<driver_id> | sorted set | the days a driver has tours (score: the day's ordinal) | API and worker |
| dispatch:lock:tour:<tour_id> | string | short lock while the API decides a command on a tour | API |

Events are kept as text (`nahnetz.messaging.outbox.pack`: base64 of their Avro
encoding) and read back typed with `unpack`. Everything but the lock is rebuilt
by replaying the topics (`rebuild.py`).
"""

from __future__ import annotations

from datetime import date

PREFIX = "dispatch"


def plan(plan_id: str) -> str:
    return f"{PREFIX}:plan:{plan_id}"


def shipment(shipment_id: str) -> str:
    return f"{PREFIX}:shipment:{shipment_id}"


def shop(shop_id: str) -> str:
    return f"{PREFIX}:shop:{shop_id}"


def point(pickup_point_id: str) -> str:
    return f"{PREFIX}:point:{pickup_point_id}"


def tour(tour_id: str) -> str:
    return f"{PREFIX}:tour:{tour_id}"


def tours_of_day(day: date) -> str:
    return f"{PREFIX}:tours:{day.isoformat()}"


def driver_tours(driver_id: str, day: date) -> str:
    return f"{PREFIX}:driver-tours:{driver_id}:{day.isoformat()}"


def driver_days(driver_id: str) -> str:
    return f"{PREFIX}:driver-days:{driver_id}"


def tour_lock(tour_id: str) -> str:
    return f"{PREFIX}:lock:tour:{tour_id}"

