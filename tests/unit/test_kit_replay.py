"""`Replayed`, what a rebuild that replays topics itself counts: events applied by
topic, events skipped the way the worker dead-letters them, and anything else
stopping the rebuild."""

from __future__ import annotations

import pytest

from nahnetz.events import new_event
from nahnetz.kit.replay import Replayed
from nahnetz.messaging.handling import InvalidEvent, PermanentError
from nahnetz.records import OrderCancelled


def cancelled(order_id: str) -> OrderCancelled:
    return new_event(OrderCancelled, producer="replay-test", order_id=order_id, reason=None)


async def test_applied_events_count_by_topic_and_skipped_ones_are_counted_apart(caplog):
    applied = []

    async def handle(event):
        if event.order_id == "bad":
            raise InvalidEvent("the worker dead-letters this one")
        applied.append(event.order_id)

    replayed = Replayed()
    for order_id in ("o-1", "bad", "o-2"):
        await replayed.apply("orders.orders", handle, cancelled(order_id), skip=PermanentError)
    await replayed.apply("pickup.parcels", handle, cancelled("bad"))

    assert applied == ["o-1", "o-2"]
    assert replayed.counts == {"orders.orders": 2, "pickup.parcels": 0}
    assert replayed.skipped == 2
    assert "skipped OrderCancelled" in caplog.text


async def test_an_error_the_worker_would_not_dead_letter_stops_the_rebuild():
    async def handle(event):
        raise ConnectionError("Redis went away")

    replayed = Replayed()
    with pytest.raises(ConnectionError):
        await replayed.apply("orders.orders", handle, cancelled("o-1"), skip=PermanentError)
    assert replayed.skipped == 0


def test_the_report_names_each_topic_and_the_skipped(capsys):
    Replayed(counts={"freight.trips": 3, "freight.loads": 0}, skipped=1).report()
    assert capsys.readouterr().out.splitlines() == [
        "freight.trips: 3 events replayed", "freight.loads: 0 events replayed", "skipped: 1"]
