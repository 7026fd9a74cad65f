"""Every Redis key of the pick-up service (prefix `pickup:`), in one place.

| key | type | what | written by |
|---|---|---|---|
| pickup:point:<id> | string (JSON) | a point's description | worker, from pickup.points |
| pickup:points | set | ids of all points | worker (API claims new ids) |
| pickup:points:geo | geo | locations, for "near me" | worker |
| pickup:day:<point>:<day> | hash | compartment id -> order id holding it that day | worker owning the point |
| pickup:days:<point> | set | days with reservations | worker owning the point |
| pickup:order:<order_id> | hash | the order's point, day, resident, reservation status and compartments | worker |
| pickup:parcel:<order_id> | hash | a deposited parcel: code hashes, status, attempts | API (deposit, collect), worker (expiry, replay) |
| pickup:parcels:due | sorted set | order id by expiry time (ms) | API (deposit), worker (expiry) |
| pickup:attempts:<scope>:<id>:<window> | counter | a caller's code attempts in a rate-limit window | API |
| pickup:reissuing:<order_id> | string | claim while one request sends a new code (expires) | API |
| pickup:tour:<tour_id> | hash | stop position -> stop kind of a dispatched tour (a hub stop deposits nothing) | worker, from logistics.tours |

The worker's outboxes (`nahnetz.messaging.outbox`) keep processed markers
`nahnetz:processed:<consumer>:<order_id>` for the consumers below.
"""

from __future__ import annotations

from datetime import date

POINTS = "pickup:points"
GEO = "pickup:points:geo"
DUE = "pickup:parcels:due"

# Outbox consumers, once per order each: the reservation decision, the release, the expiry.
RESERVE = "pickup.reserve"
RELEASE = "pickup.release"
EXPIRE = "pickup.expire"


def point(pickup_point_id: str) -> str:
    return f"pickup:point:{pickup_point_id}"


def day(pickup_point_id: str, delivery_day: date | str) -> str:
    text = delivery_day.isoformat() if isinstance(delivery_day, date) else delivery_day
    return f"pickup:day:{pickup_point_id}:{text}"


def days(pickup_point_id: str) -> str:
    return f"pickup:days:{pickup_point_id}"


def order(order_id: str) -> str:
    return f"pickup:order:{order_id}"


def parcel(order_id: str) -> str:
    return f"pickup:parcel:{order_id}"


def tour(tour_id: str) -> str:
    return f"pickup:tour:{tour_id}"


def carriers(order_id: str) -> str:
    """Set: the drivers whose dispatched tours unload this order at its pick-up point."""
    return f"pickup:carriers:{order_id}"


def reissuing(order_id: str) -> str:
    return f"pickup:reissuing:{order_id}"


def attempts(scope: str, ident: str, window: int) -> str:
    return f"pickup:attempts:{scope}:{ident}:{window}"

