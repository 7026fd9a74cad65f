"""Every Redis key of the orders service, in one place (prefix `orders:`).

| key | type | what | written by |
|---|---|---|---|
| orders:product:<product_id> | JSON | listing, projected from catalog.products | worker |
| orders:pickup-point:<id> | JSON | pick-up point, projected from pickup.points | worker |
| orders:order:<order_id> | JSON | the order's view and status history, from orders.orders | worker |
| orders:submitted:<order_id> | JSON, 1 h | the view as the API accepted it, until the worker has projected it | api |
| orders:resident:<resident_id> | ZSET | the resident's order ids by time placed (ms) | worker |
| orders:recent | ZSET | every order id by time placed (ms), for operators | worker |
| orders:packing:<shop_id>:<day> | SET | ids of confirmed orders with lines of the shop for that day | worker |
| orders:saga:<order_id> | JSON, 30 d | the saga: answers so far, phase, deadline | worker |
| orders:saga-deadlines | ZSET | awaiting order ids by deadline (epoch s) | worker |
| orders:parcel:<order_id> | JSON | which parcel events were turned into order events | worker |
| orders:cancel-claim:<order_id> | string | the one cancel request that published OrderCancelled | api |

Everything except the submitted and cancel-claim keys is rebuilt by replaying
catalog.products, pickup.points, orders.orders, catalog.stock-reservations,
pickup.reservations and pickup.parcels (see rebuild.py).
"""

from __future__ import annotations

from datetime import date

PREFIX = "orders"
SAGA_DEADLINES = f"{PREFIX}:saga-deadlines"
RECENT = f"{PREFIX}:recent"


def product(product_id: str) -> str:
    return f"{PREFIX}:product:{product_id}"


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
