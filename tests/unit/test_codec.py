"""Single-object encoding: the documented decode errors, validation errors that
name the field, and interoperability with the official Apache `avro` package."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timezone
from typing import Any

import avro.io
import avro.schema
import pytest
from fastavro.utils import generate_many

from nahnetz.avro import codec
from nahnetz.avro.catalogue import SchemaCatalogue, default_schemas_dir
from nahnetz.avro.errors import (
    BadMarker,
    EventDecodeError,
    EventValidationError,
    TruncatedEvent,
    UnknownFingerprint,
)
from nahnetz.events import new_event, read_event
from nahnetz.records import OrderCancelled, OrderPlaced
from nahnetz.topics import ALL

CATALOGUE = SchemaCatalogue.load(default_schemas_dir())
EVENTS = sorted(e for topic in ALL for e in topic.event_types)


def cancelled() -> bytes:
    return new_event(OrderCancelled, producer="orders-api", catalogue=CATALOGUE,
                     order_id="o-42", reason="changed my mind").encode()


def line(**overrides: Any) -> dict[str, Any]:
    return {
        "product_id": "p-1", "shop_id": "s-1", "product_name": "Kartoffeln", "unit": "kg",
        "quantity": 2, "unit_price": {"amount_cents": 249, "currency": "EUR"}, "vat_rate_bp": 700,
        "temperature_class": "AMBIENT", "weight_g": 2000, "volume_ml": 3000, **overrides,
    }


def placed_fields(**overrides: Any) -> dict[str, Any]:
    return {
        "order_id": "o-1", "resident_id": "r-1", "lines": [line()], "pickup_point_id": "pp-1",
        "delivery_day": date(2026, 5, 4), "payment_method": "AT_PICKUP", "channel": "COUNTER",
        "entered_by": "assistant-7", "delivery_fee": {"amount_cents": 200, "currency": "EUR"},
        "total": {"amount_cents": 698, "currency": "EUR"}, **overrides,
    }


# -- decode errors ---------------------------------------------------------------------------
def test_a_valid_event_decodes():
    event = read_event(cancelled(), CATALOGUE)
    assert (event.type, event.order_id, event.reason) == ("OrderCancelled", "o-42", "changed my mind")


@pytest.mark.parametrize("data, error", [
    (b"\xc3\x02" + bytes(8) + b"\x00", BadMarker),
    (b"{\"order_id\": 1}", BadMarker),
    (b"", TruncatedEvent),
    (b"\xc3", TruncatedEvent),
    (b"\xc3\x01\x01\x02\x03", TruncatedEvent),
])
def test_bad_headers_raise_the_documented_error(data, error):
    with pytest.raises(error):
        read_event(data, CATALOGUE)


def test_a_body_cut_short_is_truncated():
    data = cancelled()
    for cut in (11, len(data) // 2, len(data) - 1):
        with pytest.raises(TruncatedEvent):
            read_event(data[:cut], CATALOGUE)


def test_trailing_bytes_are_rejected():
    with pytest.raises(TruncatedEvent, match="1 bytes after the body"):
        read_event(cancelled() + b"\x00", CATALOGUE)


def test_an_unknown_fingerprint_names_it():
    data = bytearray(cancelled())
    data[2:10] = bytes.fromhex("0102030405060708")
    with pytest.raises(UnknownFingerprint) as caught:
        read_event(bytes(data), CATALOGUE)
    assert caught.value.fingerprint == bytes.fromhex("0102030405060708")
    assert "0102030405060708" in str(caught.value)


def test_a_corrupt_body_is_a_decode_error():
    # OrderCancelled's first field is meta.event_id, a string: a huge negative
    # length cannot be read.
    data = cancelled()[:10] + b"\x81\x80\x80\x80\x80\x80\x80\x80\x80\x01"
    with pytest.raises(EventDecodeError):
        read_event(data, CATALOGUE)


@pytest.mark.parametrize("error", [BadMarker, TruncatedEvent, UnknownFingerprint])
def test_every_decode_error_is_an_event_decode_error(error):
    assert issubclass(error, EventDecodeError)
    assert issubclass(error, ValueError)


# -- validation when building --------------------------------------------------------------------
def test_a_complete_order_validates():
    event = new_event(OrderPlaced, producer="orders-api", catalogue=CATALOGUE, **placed_fields())
    back = read_event(event.encode(), CATALOGUE)
    assert back == event
    assert back.lines[0].product_name == "Kartoffeln"


def test_a_missing_required_field_is_named():
    fields = placed_fields()
    del fields["resident_id"]
    with pytest.raises(EventValidationError, match="resident_id"):
        new_event(OrderPlaced, producer="orders-api", catalogue=CATALOGUE, **fields)


@pytest.mark.parametrize("fields, named", [
    (placed_fields(total=698), "total"),
    (placed_fields(pickup_point_id=17), "pickup_point_id"),
    (placed_fields(lines=[line(quantity="two")]), "quantity"),
    (placed_fields(lines=[line(unit_price={"amount_cents": 2.49, "currency": "EUR"})]), "amount_cents"),
    (placed_fields(payment_method="CASH"), "payment_method"),
    (placed_fields(lines=[{k: v for k, v in line().items() if k != "shop_id"}]), "shop_id"),
])
def test_a_wrong_type_is_named(fields, named):
    with pytest.raises(EventValidationError, match=named):
        new_event(OrderPlaced, producer="orders-api", catalogue=CATALOGUE, **fields)


def test_an_unknown_field_is_named():
    with pytest.raises(EventValidationError, match="colour"):
        new_event(OrderPlaced, producer="orders-api", catalogue=CATALOGUE, colour="red", **placed_fields())


def test_encode_validates_too():
    schema = CATALOGUE.get("OrderCancelled")
    with pytest.raises(EventValidationError, match="order_id"):
        codec.encode(schema, {"meta": read_event(cancelled(), CATALOGUE).meta.to_avro(), "order_id": None,
                              "reason": None, "channel": "WEB"})


# -- interoperability with the official Apache avro package --------------------------------------
EMPTY = 0xC15D213AA4D7A795  # the specification's CRC-64-AVRO seed


def _crc64_table() -> list[int]:
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (EMPTY & -(fp & 1))
        table.append(fp)
    return table


TABLE = _crc64_table()


def crc64_avro(data: bytes) -> bytes:
    """CRC-64-AVRO as the specification writes it, as the 8 little-endian wire bytes."""
    fp = EMPTY
    for byte in data:
        fp = (fp >> 8) ^ TABLE[(fp ^ byte) & 0xFF]
    return fp.to_bytes(8, "little")


KEEP = ("name", "type", "fields", "symbols", "items", "values", "size")


def canonical(node: Any) -> Any:
    """The specification's Parsing Canonical Form of an expanded schema (names are
    already full there): keep and order the essential attributes, drop the rest
    (docs, defaults, logical types), and write primitives as bare names."""
    if isinstance(node, list):
        return [canonical(branch) for branch in node]
    if isinstance(node, str):
        return node
    kind = node["type"]
    if not isinstance(kind, str) or kind not in ("record", "error", "enum", "fixed", "array", "map"):
        return canonical(kind)  # {"type": "long", "logicalType": ...} -> "long"
    out = {}
    for key in KEEP:
        if key not in node:
            continue
        if key == "fields":
            out[key] = [{"name": f["name"], "type": canonical(f["type"])} for f in node["fields"]]
        elif key in ("items", "values"):
            out[key] = canonical(node[key])
        elif key == "type" and kind == "error":
            out[key] = "record"
        else:
            out[key] = node[key]
    return out


def canonical_text(expanded: dict[str, Any]) -> bytes:
    return json.dumps(canonical(expanded), separators=(",", ":"), ensure_ascii=False).encode()


def test_the_crc64_here_matches_the_avro_package_where_both_agree():
    # Without logical types the avro package's canonical form is the specification's.
    for name in ("nahnetz.common.GeoPoint", "nahnetz.common.Money", "nahnetz.common.Channel"):
        expanded = CATALOGUE.get(name).expanded
        theirs = avro.schema.parse(json.dumps(expanded)).fingerprint("CRC-64-AVRO")
        assert crc64_avro(canonical_text(expanded)) == theirs
    assert crc64_avro(b'"null"') == avro.schema.parse('"null"').fingerprint("CRC-64-AVRO")


@pytest.mark.parametrize("event", EVENTS)
def test_our_header_carries_the_specifications_fingerprint(event):
    schema = CATALOGUE.get(event)
    (record,) = generate_many(schema.parsed, 1)
    data = codec.encode(schema, record)
    assert data[2:10] == crc64_avro(canonical_text(schema.expanded))


def _logical_values(event: str) -> tuple[Any, dict[str, Any]]:
    """A generated record of `event` as Python values (datetimes, dates) that
    both libraries write, and the avro package's parse of the schema."""
    schema = CATALOGUE.get(event)
    (record,) = generate_many(schema.parsed, 1)
    decoded = read_event(codec.encode(schema, record), CATALOGUE).to_avro()
    return avro.schema.parse(json.dumps(schema.expanded)), decoded


def _plain(value: Any) -> Any:
    """Compare datetimes across the two libraries' UTC tzinfo classes."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@pytest.mark.parametrize("event", EVENTS)
def test_bytes_written_by_the_avro_package_decode_here(event):
    parsed, record = _logical_values(event)
    body = io.BytesIO()
    avro.io.DatumWriter(parsed).write(record, avro.io.BinaryEncoder(body))
    # The avro package's own fingerprint, which differs from the specification's
    # for schemas with logical types: the catalogue accepts both.
    data = b"\xc3\x01" + parsed.fingerprint("CRC-64-AVRO") + body.getvalue()
    event_back = read_event(data, CATALOGUE)
    assert event_back.type == event
    assert _plain(event_back.to_avro()) == _plain(record)


@pytest.mark.parametrize("event", EVENTS)
def test_our_bytes_decode_with_the_avro_package(event):
    parsed, record = _logical_values(event)
    data = codec.encode(CATALOGUE.get(event), record)
    reader = avro.io.DatumReader(parsed)
    body = io.BytesIO(data[10:])
    theirs = reader.read(avro.io.BinaryDecoder(body))
    assert body.tell() == len(data) - 10
    assert _plain(theirs) == _plain(record)
