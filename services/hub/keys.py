"""Every Redis key of the hub service (prefix `hub:`), in one place.

Decision state (written by the worker together with a processed marker):

| key | type | what | from |
|---|---|---|---|
| hub:shop:<shop_id> | hash | `profile` (the latest ShopRegistered/ShopUpdated), `closed_for_good` | catalog.shops |
| hub:point:<point_id> | string | the latest PickupPointRegistered/PickupPointUpdated | pickup.points |
| hub:order:<order_id> | string | the OrderPlaced (lines, point and day) | orders.orders |
| hub:order-state:<order_id> | hash | confirmed (compartments JSON, each shop's part's compartments JSON, confirmed_day), cancelled | orders.orders |
| hub:waiting:shop:<shop_id> | set | confirmed orders waiting for the shop's data | orders.orders |
| hub:waiting:point:<point_id> | set | confirmed orders waiting for the point's data | orders.orders |
| hub:request:<shipment_id> | string | the current ShipmentRequested (highest attempt) | the hub's decisions |
| hub:order-shipments:<order_id> | set | shipment ids requested for the order | the hub's decisions |
| hub:tour:<tour_id> | string | the TourDispatched (its typed stops) | logistics.tours |

Events are kept as text (`nahnetz.messaging.outbox.pack`: base64 of their Avro
encoding) and read back typed with `unpack`.

Read model (what the API answers from):

| key | type | what | from |
|---|---|---|---|
| hub:shipment:<shipment_id> | string (JSON) | the shipment and its status | logistics.shipments |
| hub:day:<day> | set | shipment ids by delivery day | logistics.shipments |
| hub:cancelled:<order_id> | string | the order was cancelled (withdraws its due shipments) | orders.orders |
| hub:exception:<shipment_id> | string (JSON) | the latest failed stop or scheduling problem, for the operator | logistics.tours, the hub's decisions |
"""

from __future__ import annotations

from datetime import date

PREFIX = "hub"


def _day(value: date | str) -> str:
    return value.isoformat() if isinstance(value, date) else value


def shop(shop_id: str) -> str:
    return f"hub:shop:{shop_id}"


def point(point_id: str) -> str:
    return f"hub:point:{point_id}"


def order(order_id: str) -> str:
    return f"hub:order:{order_id}"


def order_state(order_id: str) -> str:
    return f"hub:order-state:{order_id}"


def waiting_for_shop(shop_id: str) -> str:
    return f"hub:waiting:shop:{shop_id}"


def waiting_for_point(point_id: str) -> str:
    return f"hub:waiting:point:{point_id}"


def request(shipment_id: str) -> str:
    return f"hub:request:{shipment_id}"


def order_shipments(order_id: str) -> str:
    return f"hub:order-shipments:{order_id}"


def tour(tour_id: str) -> str:
    return f"hub:tour:{tour_id}"


def shipment(shipment_id: str) -> str:
    return f"hub:shipment:{shipment_id}"


def day(delivery_day: date | str) -> str:
    return f"hub:day:{_day(delivery_day)}"


def cancelled(order_id: str) -> str:
    return f"hub:cancelled:{order_id}"


def exception(shipment_id: str) -> str:
    return f"hub:exception:{shipment_id}"

