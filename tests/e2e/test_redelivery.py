"""Kafka delivers at least once, and not everything on a topic is an event: a
repeated OrderPlaced changes nothing, a corrupt record goes to the dead-letter
topic and every worker goes on."""

from __future__ import annotations

import httpx
import pytest

from nahnetz.messaging import headers as h
from nahnetz.records import CompartmentReserved, OrderConfirmed, OrderPlaced, OrderRejected, StockReserved
from nahnetz.testing import Seen, eventually
from nahnetz.topics import CATALOG_STOCK_RESERVATIONS, ORDERS_ORDERS, PICKUP_RESERVATIONS

from .e2e_support import E2EPlatform, held_by

pytestmark = pytest.mark.e2e

ORDERS = ORDERS_ORDERS.name
# The workers of the order flow; each reads orders.orders.
ORDER_FLOW_WORKERS = {"catalog", "orders", "pickup"}


async def test_the_same_order_placed_again_changes_nothing(platform: E2EPlatform, unique: str) -> None:
    shop = await platform.seed_shop(unique, {"Butter": {"stock": 40}})
    butter = shop.products["Butter"]
    point = await platform.seed_point(unique, ambient=30)
    day = await platform.delivery_day()

    order_id = await platform.place(f"resident-{unique}", point, day, {butter: 2})
    [before] = (await platform.decided([order_id], timeout=15)).values()
    assert before["status"] == "CONFIRMED", before
    stock_before = await platform.availability(butter)
    held_before = held_by(await platform.occupancy(point, day))
    assert (stock_before["available"], stock_before["reserved"]) == (38, 2)
    placed = await platform.topics.wait_for_record(ORDERS_ORDERS, OrderPlaced, order_id=order_id)

    producer = await platform.producer()
    try:
        sent = await producer.send_and_wait(ORDERS, placed.value, key=placed.key, headers=list(placed.headers))
    finally:
        await producer.stop()
    assert sent.partition == placed.partition

    # A later order on the same orders.orders partition, for the same product and
    # point: each worker handles a partition in order, so once it is confirmed,
    # every worker has handled the repeated OrderPlaced before it.
    markers: list[str] = []
    for i in range(30):
        marker = await platform.place(f"resident-{unique}-later-{i}", point, day, {butter: 1})
        markers.append(marker)
        record = await platform.topics.wait_for_record(ORDERS_ORDERS, OrderPlaced, order_id=marker)
        if record.partition == placed.partition:
            break
    else:
        pytest.fail(f"no later order landed on partition {placed.partition} of {ORDERS}")
    assert record.offset > sent.offset
    decided = await platform.decided(markers, timeout=30)
    assert all(view["status"] == "CONFIRMED" for view in decided.values()), decided
    await platform.topics.caught_up()

    assert await platform.order(order_id) == before  # same status, same history
    stock_after = await platform.availability(butter)
    assert (stock_after["available"], stock_after["reserved"]) == (38 - len(markers), 2 + len(markers))
    held_after = held_by(await platform.occupancy(point, day))
    assert {c: o for c, o in held_after.items() if o == order_id} == held_before
    assert len(platform.topics.events(ORDERS_ORDERS, OrderPlaced, order_id=order_id)) == 2  # the repeat was there
    assert len(platform.topics.events(ORDERS_ORDERS, OrderConfirmed, order_id=order_id)) == 1
    assert len(platform.topics.events(ORDERS_ORDERS, OrderRejected, order_id=order_id)) == 0
    # A repeated decision would carry the same event id (consumers dedupe on it); a
    # second reservation a new one.
    for topic, event_type in ((CATALOG_STOCK_RESERVATIONS, StockReserved),
                              (PICKUP_RESERVATIONS, CompartmentReserved)):
        ids = {e.event_id for e in platform.topics.events(topic, event_type, order_id=order_id)}
        assert len(ids) == 1, f"{event_type.__name__}: {ids}"
    # A repeat is not an error: nobody dead-lettered it.
    assert platform.topics.dead_letters(keys={order_id, *markers, butter, point}) == []


async def test_a_corrupt_record_goes_to_the_dead_letters_and_every_worker_goes_on(
        platform: E2EPlatform, unique: str) -> None:
    producer = await platform.producer()
    try:
        partitions = sorted(await producer.partitions_for(ORDERS))
        corrupt = {}
        # One on every partition, so whatever partition the next order lands on, it
        # comes after a corrupt record there.
        for p in partitions:
            key = f"e2e-corrupt-{unique}-{p}".encode()
            value = b"\xc3\x01" + bytes(8) + f"not an event {unique}".encode()  # unknown schema fingerprint
            await producer.send_and_wait(ORDERS, value, key=key, partition=p)
            corrupt[key] = value
    finally:
        await producer.stop()

    def dead_letters() -> list[Seen]:
        return [r for r in platform.topics.dead_letters(ORDERS_ORDERS) if r.key in corrupt]

    def dead_lettered_by() -> dict[bytes, set[str]]:
        by: dict[bytes, set[str]] = {key: set() for key in corrupt}
        for r in dead_letters():
            by[r.key].add(r.header(h.DLQ_SERVICE))
        return by

    async def all_dead_lettered() -> bool:
        return all(ORDER_FLOW_WORKERS <= services for services in dead_lettered_by().values())
    await eventually(all_dead_lettered, timeout=60,
                     what=f"every corrupt record dead-lettered by {sorted(ORDER_FLOW_WORKERS)}")
    print("dead-lettered by:", sorted(set().union(*dead_lettered_by().values())))
    for r in dead_letters():
        assert r.value == corrupt[r.key], "the dead letter keeps the original bytes"
        assert r.header(h.DLQ_REASON) == "undecodable"
        assert r.header(h.DLQ_SOURCE_TOPIC) == ORDERS
        assert r.header(h.DLQ_ERROR_MESSAGE)

    # The order flow goes on behind the corrupt records.
    shop = await platform.seed_shop(unique, {"Quark": {"stock": 5}})
    point = await platform.seed_point(unique, ambient=2)
    day = await platform.delivery_day()
    order_id = await platform.place(f"resident-{unique}", point, day, {shop.products["Quark"]: 1})
    [order] = (await platform.decided([order_id], timeout=15)).values()
    assert order["status"] == "CONFIRMED", order

    # No worker stopped: each still answers ready.
    async with httpx.AsyncClient(timeout=5) as client:
        answers = {name: (await client.get(f"{url}/readyz")).status_code for name, url in platform.workers.items()}
    assert answers == {name: 200 for name in platform.workers}
