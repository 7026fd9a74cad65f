"""Reading dead letters back: ids, what a dead letter says, what a replay sends."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from nahnetz.messaging import headers as h
from nahnetz.messaging.dead_letter import (DeadLetter, DeadLetterReason, Failure, RecordId, ReplayNote,
                                           dead_letter_headers, read_dead_letter_record)
from nahnetz.messaging.delivery import Delivery

WHEN = datetime(2026, 12, 6, 10, 0, tzinfo=timezone.utc)
ORIGINAL = [(h.EVENT_TYPE, b"StockAdjusted"), (h.EVENT_ID, b"e-1"), (h.CORRELATION_ID, b"c-1")]


def record(topic: str, offset: int, value: bytes | None, headers) -> SimpleNamespace:
    return SimpleNamespace(topic=topic, partition=0, offset=offset, key=b"p-1", value=value, headers=headers,
                           timestamp=1)


def a_dead_letter(original=ORIGINAL) -> DeadLetter:
    delivery = Delivery("catalog.products", 4, 17, b"p-1", b"\xc3\x01...", list(original))
    failure = Failure(DeadLetterReason.INVALID, ValueError("never listed"), "catalog.project_products", 1)
    headers = dead_letter_headers(delivery, failure, service="catalog", failed_at=WHEN)
    found = read_dead_letter_record(record("catalog.products.dlq", 3, b"\xc3\x01...", headers))
    assert isinstance(found, DeadLetter)
    return found


def test_ids_read_and_write_alike_and_bad_ones_are_named():
    wanted = RecordId("orders.orders.dlq", 0, 12)
    assert RecordId.parse(str(wanted)) == wanted == RecordId.parse(" orders.orders.dlq:0:12 ")
    for bad in ("orders.orders.dlq", "orders.orders.dlq:0", ":0:1", "x:a:1", "x:0:-1"):
        with pytest.raises(ValueError, match="no dead-letter id"):
            RecordId.parse(bad)


def test_a_dead_letter_says_why_where_from_and_who_gave_up():
    letter = a_dead_letter()
    assert str(letter.id) == "catalog.products.dlq:0:3"
    assert (letter.reason, letter.error, letter.error_type) == ("invalid", "never listed", "builtins.ValueError")
    assert letter.source == RecordId("catalog.products", 4, 17)
    assert (letter.service, letter.consumer, letter.attempts) == ("catalog", "catalog.project_products", "1")
    assert (letter.event_type, letter.event_id, letter.failed_at) == ("StockAdjusted", "e-1", WHEN.isoformat())
    assert letter.replay_of is None


def test_a_replay_sends_the_original_headers_and_names_the_dead_letter():
    letter = a_dead_letter()
    assert letter.original_headers() == ORIGINAL
    assert letter.replay_headers() == ORIGINAL + [(h.DLQ_REPLAY_OF, b"catalog.products.dlq:0:3")]
    # A replay that failed again: its dead letter names the one it replayed, and its own
    # replay names only the newest.
    again = a_dead_letter(ORIGINAL + [(h.DLQ_REPLAY_OF, b"catalog.products.dlq:0:1")])
    assert again.replay_of == "catalog.products.dlq:0:1"
    assert again.replay_headers() == ORIGINAL + [(h.DLQ_REPLAY_OF, b"catalog.products.dlq:0:3")]


def test_replay_notes_and_foreign_records_are_told_apart():
    note = read_dead_letter_record(record("catalog.products.dlq", 9, None, ReplayNote.headers(
        RecordId("catalog.products.dlq", 0, 3), RecordId("catalog.products", 4, 88), WHEN)))
    assert note == ReplayNote(RecordId("catalog.products.dlq", 0, 9), RecordId("catalog.products.dlq", 0, 3),
                              "catalog.products:4:88", WHEN.isoformat())
    assert read_dead_letter_record(record("x.dlq", 1, b"someone else's", [("k", b"v")])) is None
