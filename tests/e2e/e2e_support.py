"""Helpers of the e2e tests (fixtures in conftest.py): the platform as a test sees
it. The stack, the topic reader, waiting and the HTTP client all come from
`nahnetz.testing` (the client is the demo's `Platform`); what is here is the
e2e tests' own: seeding a unique shop with its goods and a unique pick-up point
per test through the HTTP APIs, waiting until the read models show them (never a
fixed sleep), placing orders and reading the order views."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import redis.asyncio as aioredis
from aiokafka import AIOKafkaProducer

from nahnetz.demo.client import DECIDED
from nahnetz.testing import EFFECT, EmbeddedStack, Platform, TopicReader, eventually, raw_producer
from nahnetz.topics import (CATALOG_STOCK_REQUESTS, CATALOG_STOCK_RESERVATIONS, ORDERS_ORDERS,
                            PICKUP_RESERVATION_REQUESTS, PICKUP_RESERVATIONS)
from services.orders import keys as orders_keys

SAGA_TIMEOUT_S = 20
# Read models follow their events within a second or two; generous for a loaded 2-core machine.
SHOWS_UP = EFFECT
# The topics of the order flow: the reader keeps the decisions and the dead letters of all.
ORDER_FLOW = (ORDERS_ORDERS, CATALOG_STOCK_REQUESTS, CATALOG_STOCK_RESERVATIONS, PICKUP_RESERVATION_REQUESTS,
              PICKUP_RESERVATIONS)
READ_TOPICS = (ORDERS_ORDERS, CATALOG_STOCK_RESERVATIONS, PICKUP_RESERVATIONS)
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
STACK_ENV = {
    # An order whose answers are not all in after this is rejected (TIMEOUT).
    "ORDERS_SAGA_TIMEOUT_SECONDS": str(SAGA_TIMEOUT_S),
    # The flows drive the tours of a coming day at once.
    "DISPATCH_EARLY_REPORTS": "allow",
}


@dataclass
class Shop:
    shop_id: str
    products: dict[str, str]  # name -> product id


class E2EPlatform(Platform):
    """The demo's platform client on the e2e stack, with what the tests look at
    besides HTTP: the stack, what lands on the order flow's topics, Redis."""

    def __init__(self, stack: EmbeddedStack, topics: TopicReader, redis: aioredis.Redis):
        super().__init__(stack.urls("api"), secret=stack.secret, timeout=60.0)
        self.stack = stack
        self.topics = topics
        self.redis = redis
        self.workers = stack.urls("worker")  # service -> worker health URL
        self.bootstrap = stack.bootstrap

    # seeding ------------------------------------------------------------------
    async def seed_shop(self, unique: str, goods: dict[str, dict[str, Any]]) -> Shop:
        """A shop of its own with `goods` ({name: {"stock": n, "temperature_class": ...}}),
        registered and listed by the operator (the shop phoned them in); returns once
        the catalog and the orders service both know every product."""
        shop_id = f"e2e-shop-{unique}"
        await self.call("catalog", "POST", "/v1/shops", json={
            "shop_id": shop_id, "name": f"Hofladen {unique}", "kind": "FARM",
            "address": {"street": "Dorfstraße 1", "postal_code": "37671", "locality": "Höxter"},
            "location": {"lat": 51.77, "lon": 9.38}, "municipality": "Höxter",
            # Open every day, so the hub can always plan the collection of what was sold.
            "opening_hours": {"intervals": [{"weekday": d, "opens": "07:00", "closes": "19:00"} for d in WEEKDAYS]},
            "accepts_phone_listing": True, "channel": "PHONE",
        })
        await eventually(lambda: self._status_is("catalog", f"/v1/shops/{shop_id}", 200), timeout=SHOWS_UP,
                         what=f"the catalog shows shop {shop_id}")
        products: dict[str, str] = {}
        for name, spec in goods.items():
            body = {"name": name, "category": "OTHER", "unit": "Stück", "price_cents": spec.get("price_cents", 299),
                    "vat_rate_bp": 700, "stock": spec["stock"],
                    "temperature_class": spec.get("temperature_class", "AMBIENT"),
                    "weight_g": 250, "volume_ml": spec.get("volume_ml", 500), "channel": "PHONE"}
            answer = await self.call("catalog", "POST", f"/v1/shops/{shop_id}/products", json=body,
                                     headers={"Idempotency-Key": str(uuid.uuid4())})
            products[name] = answer.json()["product_id"]
        for name, product_id in products.items():
            stock = goods[name]["stock"]
            await eventually(lambda: self._availability_is(product_id, stock), timeout=SHOWS_UP,
                             what=f"the catalog shows {name} ({product_id}) with {stock} units")
            # The orders API prices new orders from its own projection of catalog.products;
            # no route shows it, so look at the read model it answers from.
            await eventually(lambda: self.redis.exists(orders_keys.product(product_id)), timeout=SHOWS_UP,
                             what=f"the orders service knows product {product_id}")
        return Shop(shop_id, products)

    async def seed_point(self, unique: str, ambient: int, chilled: int = 0, volume_ml: int = 40_000,
                         location: tuple[float, float] = (51.717, 9.183)) -> str:
        """A locker of its own with `ambient` + `chilled` compartments (by default in
        Brakel, at `location` (lat, lon) else); returns once the pick-up and orders
        services both know it."""
        point_id = f"e2e-pp-{unique}"
        compartments = ([{"compartment_id": f"A{i:03d}", "size": "M", "temperature_class": "AMBIENT",
                          "volume_ml": volume_ml} for i in range(ambient)]
                        + [{"compartment_id": f"K{i:03d}", "size": "M", "temperature_class": "CHILLED",
                            "volume_ml": volume_ml} for i in range(chilled)])
        await self.call("pickup", "POST", "/v1/pickup-points", json={
            "pickup_point_id": point_id, "kind": "LOCKER", "name": f"Packstation {unique}",
            "address": {"street": "Am Bahnhof 2", "postal_code": "33034", "locality": "Brakel"},
            "location": {"lat": location[0], "lon": location[1]}, "municipality": "Brakel",
            "compartments": compartments,
        })
        await eventually(lambda: self._status_is("pickup", f"/v1/pickup-points/{point_id}", 200),
                         timeout=SHOWS_UP, what=f"the pick-up service shows point {point_id}")
        await eventually(lambda: self.redis.exists(orders_keys.pickup_point(point_id)), timeout=SHOWS_UP,
                         what=f"the orders service knows pick-up point {point_id}")
        return point_id

    async def _status_is(self, service: str, path: str, status: int) -> bool:
        return (await self.clients[service].get(path, headers=self.operator)).status_code == status

    async def _availability_is(self, product_id: str, available: int) -> bool:
        answer = await self.send("catalog", "GET", f"/v1/products/{product_id}/availability")
        return answer.status_code == 200 and answer.json()["available"] == available

    # the flow -----------------------------------------------------------------
    async def delivery_day(self) -> date:
        """A bookable day a few days ahead, so the cut-off cannot pass during the run."""
        days = (await self.call("orders", "GET", "/v1/delivery-days")).json()["days"]
        return date.fromisoformat(days[min(3, len(days) - 1)])

    async def place(self, resident: str, point_id: str, day: date, lines: dict[str, int]) -> str:
        """A resident orders online; returns the order id (202)."""
        answer = await self.call("orders", "POST", "/v1/orders", who=self.token(resident, "resident"), ok=(202,),
                                 headers={"Idempotency-Key": str(uuid.uuid4())}, json={
                                     "lines": [{"product_id": p, "quantity": q} for p, q in lines.items()],
                                     "pickup_point_id": point_id, "delivery_day": day.isoformat(),
                                     "payment_method": "ONLINE", "channel": "web"})
        return answer.json()["order_id"]

    async def order(self, order_id: str) -> dict[str, Any]:
        return (await self.call("orders", "GET", f"/v1/orders/{order_id}")).json()

    async def decided(self, order_ids: list[str], timeout: float, concurrency: int = 16) -> dict[str, dict]:
        """Each order's view once it is CONFIRMED or REJECTED; fails naming the
        orders still undecided at the deadline."""
        final, pending = await self.orders_until(order_ids, lambda view: view["status"] in DECIDED,
                                                 timeout=timeout, interval=0.3, concurrency=concurrency)
        assert not pending, (f"{len(pending)} of {len(order_ids)} orders not decided within {timeout:.0f} s: "
                             f"{sorted(pending)[:5]}")
        return final

    async def availability(self, product_id: str) -> dict[str, Any]:
        return (await self.call("catalog", "GET", f"/v1/products/{product_id}/availability")).json()

    async def occupancy(self, point_id: str, day: date) -> dict[str, Any]:
        return (await self.call("pickup", "GET", f"/v1/pickup-points/{point_id}/occupancy",
                                params={"day": day.isoformat()})).json()

    async def producer(self) -> AIOKafkaProducer:
        """A started producer with the services' options, for records sent as bytes."""
        producer = raw_producer(self.bootstrap, client_id="e2e-raw")
        await producer.start()
        return producer


def held_by(occupancy: dict[str, Any]) -> dict[str, str]:
    """compartment id -> order id of the occupied compartments."""
    return {c["compartment_id"]: c["order_id"] for c in occupancy["compartments"] if c["occupied"]}
