"""An event keeps the bytes it was written or read as: `encode()` returns them
instead of writing the event again, and they are exactly what writing it again
would give. A changed copy, another catalogue, or bytes of an older schema
version are written anew."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from fastavro.utils import generate_one

from nahnetz.avro import codec
from nahnetz.avro.catalogue import default_catalogue
from nahnetz.avro.errors import EventValidationError
from nahnetz.events import Actor, new_event, read_event
from nahnetz.records import OrderPlaced, StockLine, StockReserved, TourDispatched

CATALOGUE = default_catalogue()


def order(**overrides) -> OrderPlaced:
    line = {"product_id": "p-1", "shop_id": "s-1", "product_name": "Honig", "unit": "Glas", "quantity": 2,
            "unit_price": {"amount_cents": 650, "currency": "EUR"}, "vat_rate_bp": 700,
            "temperature_class": "AMBIENT", "weight_g": 500, "volume_ml": 600}
    fields = {"order_id": "o-1", "resident_id": "r-1", "lines": [line], "pickup_point_id": "pp-1",
              "delivery_day": date(2026, 5, 4), "payment_method": "ONLINE", "channel": "WEB",
              "delivery_fee": {"amount_cents": 200, "currency": "EUR"},
              "total": {"amount_cents": 1500, "currency": "EUR"}, **overrides}
    return new_event(OrderPlaced, producer="orders-api", actor=Actor("r-1", "resident"), **fields)


def written_anew(event) -> bytes:
    return codec.encode(CATALOGUE.get(event.type), event.to_avro())


def test_a_new_event_encodes_to_what_writing_it_again_gives():
    placed = order()
    decision = new_event(StockReserved, producer="catalog-worker", caused_by=placed, order_id="o-1",
                         lines=[StockLine(product_id="p-1", shop_id="s-1", quantity=2)])
    for event in (placed, decision):
        assert event.encode() == written_anew(event)
        assert event.encode() is event.encode()  # kept, not written again


def test_a_read_event_encodes_to_the_bytes_it_was_read_from():
    data = order().encode()
    read = read_event(data)
    assert read.encode() == data
    assert read.encode() is read.encode()


def test_a_changed_copy_is_written_anew():
    placed = order()
    moved = dataclasses.replace(placed, delivery_day=date(2026, 5, 5))
    assert moved.encode() != placed.encode()
    assert read_event(moved.encode()).delivery_day == date(2026, 5, 5)


def test_bytes_of_an_older_schema_version_are_not_passed_on_as_the_current_encoding():
    current = CATALOGUE.get(TourDispatched.AVRO_NAME)
    older = next(s for s in (CATALOGUE.by_fingerprint(fp) for fp in _released_fingerprints("TourDispatched"))
                 if s.fingerprint != current.fingerprint)
    record = generate_one(older.parsed)
    old_bytes = codec.encode(older, record)
    read = read_event(old_bytes)
    assert read.encode() != old_bytes
    assert read.encode() == written_anew(read)
    assert codec.written_with(read.encode(), current)


def test_an_explicit_catalogue_gets_no_kept_bytes():
    data = order().encode()
    read = read_event(data, CATALOGUE)
    assert getattr(read, "_encoded", None) is None
    assert read.encode() == data  # written anew, the same bytes


def test_validation_still_names_the_field_of_a_record_that_does_not_fit():
    with pytest.raises(EventValidationError, match="pickup_point_id"):
        order(pickup_point_id=17)
    with pytest.raises(EventValidationError, match="actor|role"):
        codec.check(CATALOGUE.get("OrderPlaced"),
                    {**order().to_avro(), "meta": {**order().meta.to_avro(), "actor": {"user_id": "r"}}})


def _released_fingerprints(name: str) -> list[bytes]:
    from nahnetz.avro.catalogue import RELEASED_DIR, default_schemas_dir
    return [bytes.fromhex(p.name.split(".")[-2]) for p in (default_schemas_dir() / RELEASED_DIR).glob(
        f"*.{name}.*.avsc")]
