"""Where an order waits: the time of each hop of the order saga, from the record
timestamps (the producing client's clock, all on this machine) of every topic
the order passes through.

    .venv/bin/python benchmarks/orders/hops.py [--orders 40] [--gap 0.05]

Starts its own embedded stack, seeds Kreis Höxter, places `orders` orders one at
a time (`gap` seconds apart) and prints, per hop, the median and the slowest:

    OrderPlaced on orders.orders
      -> catalog-worker copies it to catalog.stock-requests (per product)
      -> catalog-worker decides: StockReserved/Rejected on catalog.stock-reservations
      -> pickup-worker copies it to pickup.reservation-requests
      -> pickup-worker decides: CompartmentReserved/Rejected on pickup.reservations
      -> orders-worker decides: OrderConfirmed/Rejected on orders.orders
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import prepared_orders  # noqa: E402

from nahnetz.demo.residents import delivery_day  # noqa: E402
from nahnetz.demo.seeding import seed  # noqa: E402
from nahnetz.regions import load_region  # noqa: E402
from nahnetz.testing import EmbeddedStack, TopicReader, eventually  # noqa: E402
from nahnetz.topics import (CATALOG_STOCK_REQUESTS, CATALOG_STOCK_RESERVATIONS, ORDERS_ORDERS,  # noqa: E402
                            PICKUP_RESERVATION_REQUESTS, PICKUP_RESERVATIONS)

FLOW = (ORDERS_ORDERS, CATALOG_STOCK_REQUESTS, CATALOG_STOCK_RESERVATIONS, PICKUP_RESERVATION_REQUESTS,
        PICKUP_RESERVATIONS)
HOPS = (
    ("placed", "stock request", "catalog-worker: copy to catalog.stock-requests"),
    ("stock request", "stock decision", "catalog-worker: decide stock"),
    ("placed", "compartment request", "pickup-worker: copy to pickup.reservation-requests"),
    ("compartment request", "compartment decision", "pickup-worker: decide compartments"),
    ("last answer", "decided", "orders-worker: last answer to OrderConfirmed/Rejected"),
    ("placed", "decided", "placed -> decided"),
)


def timeline(reader: TopicReader, order_id: str) -> dict[str, float]:
    """hop name -> record timestamp (ms) of the last record of that hop for the order."""
    at: dict[str, float] = {}

    def last(name: str, ts: int) -> None:
        at[name] = max(at.get(name, 0), ts)

    for seen in reader.records:
        event = seen.event
        if event is None or getattr(event, "order_id", None) != order_id:
            continue
        name = {
            (ORDERS_ORDERS.name, "OrderPlaced"): "placed",
            (ORDERS_ORDERS.name, "OrderConfirmed"): "decided",
            (ORDERS_ORDERS.name, "OrderRejected"): "decided",
            (CATALOG_STOCK_REQUESTS.name, "OrderPlaced"): "stock request",
            (CATALOG_STOCK_RESERVATIONS.name, "StockReserved"): "stock decision",
            (CATALOG_STOCK_RESERVATIONS.name, "StockRejected"): "stock decision",
            (PICKUP_RESERVATION_REQUESTS.name, "OrderPlaced"): "compartment request",
            (PICKUP_RESERVATIONS.name, "CompartmentReserved"): "compartment decision",
            (PICKUP_RESERVATIONS.name, "CompartmentRejected"): "compartment decision",
        }.get((seen.topic, event.type))
        if name:
            last(name, seen.timestamp_ms)
    if "stock decision" in at and "compartment decision" in at:
        at["last answer"] = max(at["stock decision"], at["compartment decision"])
    return at


async def run(orders: int, gap: float) -> None:
    stack = EmbeddedStack(Path(tempfile.mkdtemp(prefix="nahnetz-hops-")), env={"NAHNETZ_LOG_LEVEL": "warning"})
    try:
        stack.up()
        platform = stack.platform(timeout=30.0)
        reader = TopicReader(stack.bootstrap, FLOW)
        await reader.start()
        try:
            region = load_region("kreis_hoexter")
            seeded = await seed(platform, region, lambda line: None)
            day = await delivery_day(platform)
            bodies = prepared_orders(seeded, region, [day], orders, random.Random(3))
            ids = []
            for i, body in enumerate(bodies):
                headers = platform.token(f"hops-{i}", "resident") | {"Idempotency-Key": str(uuid.uuid4())}
                answer = await platform.clients["orders"].post("/v1/orders", json=body, headers=headers)
                ids.append(answer.json()["order_id"])
                await asyncio.sleep(gap)

            def all_seen():
                lines = {o: timeline(reader, o) for o in ids}
                return lines if all("decided" in t and "last answer" in t for t in lines.values()) else None
            lines = await eventually(all_seen, timeout=120, interval=0.1, what="every order decided")
        finally:
            await reader.stop()
            await platform.close()
    finally:
        stack.ensure_down()
    print(f"\n{orders} orders, one at a time, {gap * 1000:.0f} ms apart; record timestamps, ms")
    print(f"{'hop':<56} {'median':>8} {'max':>8}")
    for start, end, label in HOPS:
        spans = [t[end] - t[start] for t in lines.values()]
        print(f"{label:<56} {statistics.median(spans):>8.0f} {max(spans):>8.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=40)
    parser.add_argument("--gap", type=float, default=0.05)
    args = parser.parse_args()
    asyncio.run(run(args.orders, args.gap))


if __name__ == "__main__":
    main()
