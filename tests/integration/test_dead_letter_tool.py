"""`nahnetz dlq list | show | replay` as an operator runs it (the console command in a
subprocess) against a real broker, with the catalog's real worker and a real Redis.

The dead letters are real: a stock change for a product the catalog has never seen
is an invariant violation (InvalidEvent), so the worker dead-letters it. Once the
product is listed, a replay applies it; the stock shows whether it was applied once.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from nahnetz.events import new_event
from nahnetz.messaging import headers as h
from nahnetz.messaging.dead_letter import DeadLetterPublisher, DeadLetterReason, Failure, RecordId
from nahnetz.messaging.delivery import Delivery
from nahnetz.records import ProductListed, StockAdjusted
from nahnetz.testing import TopicReader, eventually
from nahnetz.topics import CATALOG_PRODUCTS
from services.catalog import keys

pytestmark = pytest.mark.integration

NAHNETZ = str(Path(sys.executable).with_name("nahnetz"))
DLQ = CATALOG_PRODUCTS.dlq
EFFECT = 30.0


# -- fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
async def catalog_worker(topics, own_worker):
    async with own_worker("catalog", "dlq") as worker:
        yield worker


@pytest.fixture(scope="module")
async def seen(topics, broker_bootstrap):
    async with TopicReader(broker_bootstrap, [CATALOG_PRODUCTS], dead_letters=True) as reader:
        yield reader


# -- helpers ----------------------------------------------------------------------------------
async def nahnetz_dlq(bootstrap: str, *args: str, ok: bool = True) -> str:
    """`nahnetz dlq <args>` in a subprocess; its output (stdout and stderr)."""
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP"}
    proc = await asyncio.create_subprocess_exec(NAHNETZ, "dlq", *args, "--bootstrap", bootstrap, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=90)
    text = out.decode()
    if ok:
        assert proc.returncode == 0, f"nahnetz dlq {' '.join(args)} failed ({proc.returncode}):\n{text}"
    return text


async def listed(bootstrap: str, *args: str) -> dict[str, dict]:
    """`nahnetz dlq list --json`: id -> the dead letter."""
    out = await nahnetz_dlq(bootstrap, "list", "--json", *args)
    return {row["id"]: row for row in map(json.loads, out.splitlines())}


def listing(product_id: str, shop_id: str, stock: int) -> ProductListed:
    return new_event(ProductListed, producer="catalog-api", product_id=product_id, shop_id=shop_id,
                     name="Bergkäse", unit="Stück", price={"amount_cents": 450, "currency": "EUR"},
                     vat_rate_bp=700, stock=stock, weight_g=250, volume_ml=300)


def delivery_of(product_id: str, shop_id: str, units: int) -> StockAdjusted:
    return new_event(StockAdjusted, producer="catalog-api", product_id=product_id, shop_id=shop_id,
                     delta=units, new_level=units, reason="RESTOCKED")


async def available(redis, product_id: str) -> int | None:
    value = await redis.hget(keys.stock(product_id), "available")
    return None if value is None else int(value)


async def stock_is(redis, product_id: str, units: int, worker) -> None:
    async def reached():
        return await available(redis, product_id) == units
    await eventually(reached, timeout=EFFECT, what=f"{product_id} at {units} units", watch=[worker])


async def dead_letter_of(seen: TopicReader, event, worker, after: int = -1) -> str:
    """The id of the catalog's dead letter of `event` (the first after offset `after`)."""
    def found() -> str | None:
        for r in seen.dead_letters(CATALOG_PRODUCTS, keys={event.product_id}):
            if (r.offset > after and r.value is not None and r.header(h.EVENT_ID) == event.event_id
                    and r.header(h.DLQ_SERVICE) == "catalog"):
                return str(RecordId(r.topic, r.partition, r.offset))
        return None
    return await eventually(found, timeout=EFFECT, what=f"a dead letter of {event.type} {event.product_id}",
                            watch=[worker])


def sent_back(seen: TopicReader, product: str, letter: str | None = None) -> list:
    """Records on catalog.products that a replay sent (of `letter`, or of any)."""
    return [r for r in seen.seen(CATALOG_PRODUCTS, key=product)
            if r.header(h.DLQ_REPLAY_OF) and (letter is None or r.header(h.DLQ_REPLAY_OF) == letter)]


async def original(seen: TopicReader, event):
    return await seen.wait_for_record(CATALOG_PRODUCTS, StockAdjusted, timeout=EFFECT,
                                      where=lambda e: e.event_id == event.event_id)


# -- tests ------------------------------------------------------------------------------------
async def test_a_dead_letter_is_listed_shown_and_a_replay_is_handled_once(
        catalog_worker, seen, producer, redis, broker_bootstrap, unique):
    product, shop = f"p-{unique}", f"s-{unique}"
    early = delivery_of(product, shop, 5)           # before the product is listed: invalid
    await producer.publish(early)
    letter = await dead_letter_of(seen, early, catalog_worker)

    rows = await listed(broker_bootstrap)
    assert rows[letter]["status"] == "open"
    assert rows[letter]["reason"] == "invalid"
    assert rows[letter]["event_id"] == early.event_id
    assert "never listed" in rows[letter]["error"]
    assert rows[letter]["source"].startswith(f"{CATALOG_PRODUCTS.name}:")
    table = await nahnetz_dlq(broker_bootstrap, "list")
    [line] = [line for line in table.splitlines() if line.startswith(letter)]
    assert "open" in line and "invalid" in line and "StockAdjusted" in line and "never listed" in line

    shown = await nahnetz_dlq(broker_bootstrap, "show", letter)
    assert f"Dead letter {letter}" in shown
    assert "reason     invalid" in shown
    assert "nahnetz.messaging.handling.InvalidEvent: StockAdjusted for product " + product in shown
    assert "catalog.project_products (service catalog)" in shown
    assert f'"product_id": "{product}"' in shown and '"delta": 5' in shown
    detail = json.loads(await nahnetz_dlq(broker_bootstrap, "show", letter, "--json"))
    assert detail["event"]["meta"]["event_id"] == early.event_id
    assert detail["headers"][h.DLQ_CONSUMER] == "catalog.project_products"

    # The cause is fixed (the product is listed), then the dead letter is replayed.
    await producer.publish(listing(product, shop, 10))
    await stock_is(redis, product, 10, catalog_worker)
    replayed = await nahnetz_dlq(broker_bootstrap, "replay", letter)
    assert f"replayed {letter} -> {CATALOG_PRODUCTS.name}:" in replayed
    await stock_is(redis, product, 15, catalog_worker)
    await seen.caught_up()
    # The very same bytes went back, to the partition they came from, naming the dead letter.
    [copy] = sent_back(seen, product, letter)
    first = await original(seen, early)
    assert (copy.value, copy.key, copy.partition) == (first.value, first.key, first.partition)
    assert copy.header(h.EVENT_ID) == early.event_id

    rows = await listed(broker_bootstrap, "--all")
    assert rows[letter]["status"] == "replayed"
    assert letter not in await listed(broker_bootstrap)

    # Replayed again: sent again, applied no second time. A later delivery on the same
    # partition shows the copy was handled before it: 15 + 1, not 15 + 5 + 1.
    again = await nahnetz_dlq(broker_bootstrap, "replay", letter)
    assert "replayed before at" in again
    await producer.publish(delivery_of(product, shop, 1))
    await stock_is(redis, product, 16, catalog_worker)
    await seen.caught_up()
    assert len(sent_back(seen, product, letter)) == 2
    # Nothing of this product was dead-lettered besides the first, invalid, attempt.
    assert [str(RecordId(r.topic, r.partition, r.offset))
            for r in seen.dead_letters(CATALOG_PRODUCTS, keys={product}) if r.value is not None] == [letter]


async def test_a_replay_of_something_still_broken_is_dead_lettered_again_with_its_reason(
        catalog_worker, seen, producer, broker_bootstrap, unique):
    product, shop = f"p-{unique}", f"s-{unique}"
    stray = delivery_of(product, shop, 3)           # for a product that is never listed
    await producer.publish(stray)
    first = await dead_letter_of(seen, stray, catalog_worker)
    first_offset = RecordId.parse(first).offset

    out = await nahnetz_dlq(broker_bootstrap, "replay", first)
    assert f"replayed {first} -> " in out
    second = await dead_letter_of(seen, stray, catalog_worker, after=first_offset)

    rows = await listed(broker_bootstrap, "--all")
    assert rows[first]["status"] == "replayed"
    assert rows[second]["status"] == "open"
    assert rows[second]["reason"] == "invalid" and "never listed" in rows[second]["error"]
    assert rows[second]["replay_of"] == first
    assert rows[second]["event_id"] == stray.event_id
    shown = await nahnetz_dlq(broker_bootstrap, "show", second)
    assert f"replay of  {first} (a replay that failed again)" in shown


async def test_replay_all_sends_every_open_dead_letter_back_once_per_message(
        catalog_worker, seen, producer, redis, broker_bootstrap, unique):
    shop = f"s-{unique}"
    products = [f"p-{unique}-{n}" for n in range(2)]
    early = [delivery_of(p, shop, 4) for p in products]
    for event in early:
        await producer.publish(event)
    letters = [await dead_letter_of(seen, event, catalog_worker) for event in early]
    # Another service's worker gave up on the first message too (several services
    # read one topic): the same record, a second dead letter.
    record = await original(seen, early[0])
    other = DeadLetterPublisher(producer, "hub")
    await other.publish(Delivery(record.topic, record.partition, record.offset, record.key, record.value,
                                 list(record.headers)),
                        Failure(DeadLetterReason.GAVE_UP, RuntimeError("hub was confused"), "hub.stock_view", 6))
    twin = await eventually(lambda: next((str(RecordId(r.topic, r.partition, r.offset))
                                          for r in seen.dead_letters(CATALOG_PRODUCTS, keys={products[0]})
                                          if r.header(h.DLQ_SERVICE) == "hub"), None),
                            timeout=EFFECT, what="the hub's dead letter")

    # Bytes that are no event: a replay would only bring them back.
    junk_key = f"junk-{unique}"
    await producer.publish_raw(CATALOG_PRODUCTS, b"\xc3\x01" + bytes(8) + b"no event", key=junk_key)
    junk = await eventually(lambda: next((str(RecordId(r.topic, r.partition, r.offset))
                                          for r in seen.dead_letters(CATALOG_PRODUCTS, keys={junk_key})), None),
                            timeout=EFFECT, what="the junk dead-lettered", watch=[catalog_worker])

    for p in products:
        await producer.publish(listing(p, shop, 10))
    for p in products:
        await stock_is(redis, p, 10, catalog_worker)
    out = await nahnetz_dlq(broker_bootstrap, "replay", "--all", "--topic", CATALOG_PRODUCTS.name)
    lines = {line.split()[1]: line for line in out.splitlines() if line.startswith("replayed ")}
    assert set(letters) <= set(lines) and twin not in lines
    assert f"skipped {junk}: its bytes still are no event here" in out and junk not in lines
    assert f"the same message as {twin}" in lines[letters[0]]
    for p in products:
        await stock_is(redis, p, 14, catalog_worker)
    await seen.caught_up()
    for event in early:
        assert len(sent_back(seen, event.product_id)) == 1, f"{event.product_id} sent back more than once"
    still_open = await listed(broker_bootstrap, "--topic", CATALOG_PRODUCTS.name)
    assert not {*letters, twin} & set(still_open)
    assert still_open[junk]["reason"] == "undecodable"


async def test_the_tool_names_what_is_wrong(broker_bootstrap, topics):
    out = await nahnetz_dlq(broker_bootstrap, "show", "no-such-id", ok=False)
    assert "no dead-letter id" in out
    out = await nahnetz_dlq(broker_bootstrap, "show", f"{DLQ}:0:999999", ok=False)
    assert f"no dead letter {DLQ}:0:999999" in out
    out = await nahnetz_dlq(broker_bootstrap, "replay", ok=False)
    assert "give --all" in out
