"""What one event costs a worker in Python: build it (`new_event`), encode it for
the broker, read it, and forward it (read, then encode to pass it on, as the
catalog does when it copies an order to its products' partitions). Medians of
`--repeat` rounds of `--number` calls, in microseconds per call.

    .venv/bin/python benchmarks/orders/events.py
    farm-bench ... (run it on two checkouts to compare)

The order is the API's OrderPlaced with three lines and an actor (the unions of a
real order: actor, on-behalf-of, optional fields).
"""

from __future__ import annotations

import argparse
import statistics
import timeit
from datetime import date

from nahnetz.events import Actor, new_event, read_event
from nahnetz.records import OrderPlaced, StockLine, StockReserved


def line(n: int) -> dict:
    return {"product_id": f"p-{n}", "shop_id": "s-1", "product_name": "Kartoffeln", "unit": "kg",
            "quantity": 2, "unit_price": {"amount_cents": 249, "currency": "EUR"}, "vat_rate_bp": 700,
            "temperature_class": "AMBIENT", "weight_g": 2000, "volume_ml": 3000}


def build_order() -> OrderPlaced:
    return new_event(OrderPlaced, producer="orders-api", actor=Actor("r-1", "resident"),
                     order_id="o-1", resident_id="r-1", lines=[line(n) for n in range(3)],
                     pickup_point_id="pp-1", delivery_day=date(2026, 5, 4), payment_method="ONLINE",
                     channel="WEB", delivery_fee={"amount_cents": 200, "currency": "EUR"},
                     total={"amount_cents": 1694, "currency": "EUR"})


def build_decision(order: OrderPlaced) -> StockReserved:
    return new_event(StockReserved, producer="catalog-worker", caused_by=order, order_id=order.order_id,
                     lines=[StockLine(product_id="p-1", shop_id="s-1", quantity=2)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--number", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    order = build_order()
    data = order.encode()
    cases = {
        "new_event(OrderPlaced)": build_order,
        "new_event(StockReserved)": lambda: build_decision(order),
        "new_event(StockReserved) + encode": lambda: build_decision(order).encode(),
        "read_event(OrderPlaced)": lambda: read_event(data),
        "forward OrderPlaced (read + encode)": lambda: read_event(data).encode(),
    }
    print(f"{'per call':<40} {'median µs':>10} {'min µs':>8}")
    for name, call in cases.items():
        rounds = [t / args.number * 1e6 for t in timeit.repeat(call, number=args.number, repeat=args.repeat)]
        print(f"{name:<40} {statistics.median(rounds):>10.1f} {min(rounds):>8.1f}")


if __name__ == "__main__":
    main()
