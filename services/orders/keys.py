"""Every Redis key of the orders service, in one place (prefix `orders:`).

| key | type | what | written by |
|---|---|---|---|
| orders:product:<product_id> | JSON | listing, projected from catalog.products | worker |
| orders:pickup-point:<id> | JSON | pick-up point, projected from pickup.points | worker |
| orders:shop:<shop_id> | JSON | a shop's name and opening hours, projected from catalog.shops | worker |
| orders:order:<order_id> | JSON | the order's view and status history, from orders.orders | worker |
| orders:submitted:<order_id> | JSON, 1 h | the view as the API accepted it, until the worker has projected it | api |
| orders:resident:<resident_id> | ZSET | the resident's order ids by time placed (ms) | worker |
| orders:recent | ZSET | every order id by time placed (ms), for operators | worker |
| orders:packing:<shop_id>:<day> | SET | ids of confirmed orders with lines of the shop for that day (its part's day) | worker |
| orders:saga:<order_id> | JSON, 30 d | the saga: answers so far, phase, deadline | worker |
| orders:saga-deadlines | ZSET | awaiting order ids by deadline (epoch s) | worker |
| orders:answer-watermarks | hash | `<topic>:<partition>` of the answer topics -> record time (ms) handled up to, by whichever instance holds it | worker |
| orders:parcel:<order_id> | JSON | which parcel events were turned into order events | worker |
| orders:cancel-claim:<order_id> | string | the one cancel request that published OrderCancelled | api |
| orders:replacement-claim:<order_id> | string | the one order placed instead of this rejected one | api |
| nahnetz:processed:<consumer>:<ref> | string, 30 d | processed markers (the Outbox's); consumers below | worker |

Everything except the submitted and the claim keys is rebuilt by replaying
catalog.products, catalog.shops, pickup.points, orders.orders, catalog.stock-reservations,
pickup.reservations, pickup.parcels and logistics.shipments (see rebuild.py). The API's
`nahnetz:idempotency:orders:*` answers (nahnetz.kit.idempotency_keys) are the kit's.
"""

from __future__ import annotations

from datetime import date

from nahnetz.messaging.idempotency import MARKER_PREFIX

PREFIX = "orders"
SAGA_DEADLINES = f"{PREFIX}:saga-deadlines"
ANSWER_WATERMARKS = f"{PREFIX}:answer-watermarks"
RECENT = f"{PREFIX}:recent"


def product(product_id: str) -> str:
    return f"{PREFIX}:product:{product_id}"


def shop(shop_id: str) -> str:
    return f"{PREFIX}:shop:{shop_id}"


def pickup_point(pickup_point_id: str) -> str:
    return f"{PREFIX}:pickup-point:{pickup_point_id}"


def order(order_id: str) -> str:
    return f"{PREFIX}:order:{order_id}"


def submitted(order_id: str) -> str:
    return f"{PREFIX}:submitted:{order_id}"


def resident_orders(resident_id: str) -> str:
    return f"{PREFIX}:resident:{resident_id}"


def packing(shop_id: str, day: date) -> str:
    return f"{PREFIX}:packing:{shop_id}:{day.isoformat()}"


def saga(order_id: str) -> str:
    return f"{PREFIX}:saga:{order_id}"


def parcel(order_id: str) -> str:
    return f"{PREFIX}:parcel:{order_id}"


def cancel_claim(order_id: str) -> str:
    return f"{PREFIX}:cancel-claim:{order_id}"


def replacement_claim(order_id: str) -> str:
    return f"{PREFIX}:replacement-claim:{order_id}"


# -- the worker's processed markers: one consumer name per handler that decides ----------------
LIFECYCLE = "orders.lifecycle"                      # orders.orders
STOCK_DECISIONS = "orders.stock_decisions"          # catalog.stock-reservations
COMPARTMENT_DECISIONS = "orders.compartment_decisions"  # pickup.reservations
SAGA_TIMEOUT = "orders.saga_timeout"                # the deadline timer (ref: the order id)
PARCELS = "orders.parcels"                          # pickup.parcels
SHIPMENTS = "orders.shipments"                      # logistics.shipments (a part moved)
CONSUMERS = (LIFECYCLE, STOCK_DECISIONS, COMPARTMENT_DECISIONS, SAGA_TIMEOUT, PARCELS, SHIPMENTS)


def marker_patterns() -> list[str]:
    return [f"{MARKER_PREFIX}:{consumer}:*" for consumer in CONSUMERS]
