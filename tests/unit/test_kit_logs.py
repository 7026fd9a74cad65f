"""JSON log lines with the correlation id bound for a block."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from datetime import datetime

import pytest

from nahnetz.kit.logs import bind_correlation_id, configure_logging, current_correlation_id


@pytest.fixture
def captured():
    """configure_logging writing to a buffer; the root logger restored after."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    buffer = io.StringIO()
    configure_logging("orders", "info", stream=buffer)
    yield buffer
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_a_log_line_is_one_json_object_with_the_bound_correlation_id(captured):
    log = logging.getLogger("services.orders.handlers")
    with bind_correlation_id("corr-42") as cid:
        assert cid == "corr-42" and current_correlation_id() == "corr-42"
        log.info("order %s placed", "o-1", extra={"order_id": "o-1", "lines": 3})
    [entry] = lines(captured)
    assert entry["message"] == "order o-1 placed"
    assert entry["level"] == "info"
    assert entry["logger"] == "services.orders.handlers"
    assert entry["service"] == "orders"
    assert entry["correlation_id"] == "corr-42"
    assert entry["order_id"] == "o-1" and entry["lines"] == 3
    assert entry["time"].endswith("Z")
    assert datetime.fromisoformat(entry["time"].replace("Z", "+00:00")).utcoffset().total_seconds() == 0


def test_outside_a_block_the_id_is_null_and_nested_blocks_restore(captured):
    log = logging.getLogger("kit")
    with bind_correlation_id("outer"):
        with bind_correlation_id() as inner:
            log.info("inner")
        log.info("outer again")
    log.info("after")
    entries = lines(captured)
    assert [e["correlation_id"] for e in entries] == [inner, "outer", None]
    assert inner != "outer" and len(inner) == 36  # a new uuid


async def test_concurrent_tasks_keep_their_own_ids(captured):
    log = logging.getLogger("worker")
    both_bound = asyncio.Barrier(2)

    async def handle(cid: str) -> None:
        with bind_correlation_id(cid):
            await both_bound.wait()  # both ids are bound at the same time here
            log.info("handled", extra={"expect": cid})

    await asyncio.gather(handle("event-a"), handle("event-b"))
    entries = lines(captured)
    assert len(entries) == 2
    assert all(e["correlation_id"] == e["expect"] for e in entries)


def test_exceptions_and_odd_values_still_make_valid_json(captured):
    log = logging.getLogger("kit")
    try:
        raise ValueError("bad quantity")
    except ValueError:
        log.exception("could not place order", extra={"when": datetime(2026, 5, 4), "raw": b"\xc3\x01"})
    [entry] = lines(captured)
    assert entry["level"] == "error"
    assert "ValueError: bad quantity" in entry["exception"]
    assert entry["when"] == "2026-05-04 00:00:00"


def test_level_filters_and_reconfiguring_replaces_the_handler(captured):
    configure_logging("orders", "warning", stream=captured)
    logging.getLogger("kit").info("hidden")
    logging.getLogger("kit").warning("shown")
    assert [e["message"] for e in lines(captured)] == ["shown"]  # once, not twice
    with pytest.raises(ValueError, match="unknown log level"):
        configure_logging("orders", "loud", stream=captured)
