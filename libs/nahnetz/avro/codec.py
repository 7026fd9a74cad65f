"""Avro single-object encoding (Avro specification, "Single-object encoding").

    C3 01 | 8-byte little-endian CRC-64-AVRO fingerprint | binary body

fastavro has no function for it, so the 10-byte header is written here; the
body is fastavro's schemaless encoding.
"""

from __future__ import annotations

import io
from typing import Any

import fastavro
from fastavro.validation import ValidationError, validate

from .catalogue import Schema, SchemaCatalogue
from .errors import (
    BadMarker,
    EventValidationError,
    TruncatedEvent,
    UnknownFingerprint,
    UnknownSchema,
)

MARKER = b"\xc3\x01"
HEADER_LEN = len(MARKER) + 8


def check(schema: Schema, record: dict[str, Any]) -> None:
    """Raise `EventValidationError` naming the field when `record` does not fit."""
    # With raise_errors, fastavro builds (and JSON-formats) an error for every union
    # branch it tries and drops, valid records included: ask yes or no first, and
    # for the message only when the answer is no.
    if validate(record, schema.parsed, raise_errors=False, strict=True):
        return
    try:
        validate(record, schema.parsed, raise_errors=True, strict=True)
    except ValidationError as exc:
        raise EventValidationError(f"{schema.name}: {exc}") from None
    raise EventValidationError(f"{schema.name}: the record does not fit the schema")


def normalise(schema: Schema, record: dict[str, Any]) -> dict[str, Any]:
    """The record as a reader will see it: nested defaults filled in, logical types
    (dates, times) as Python values. Validates first."""
    return encode_normalised(schema, record)[1]


def encode_normalised(schema: Schema, record: dict[str, Any]) -> tuple[bytes, dict[str, Any]]:
    """(single-object encoding, the record as a reader sees it), validated: what a new
    event needs, written once."""
    data = encode(schema, record)
    return data, fastavro.schemaless_reader(io.BytesIO(data[HEADER_LEN:]), schema.parsed, None)


def encode(schema: Schema, record: dict[str, Any]) -> bytes:
    check(schema, record)
    out = io.BytesIO()
    out.write(MARKER)
    out.write(schema.fingerprint)
    fastavro.schemaless_writer(out, schema.parsed, record)
    return out.getvalue()


def writer_of(data: bytes, catalogue: SchemaCatalogue) -> Schema:
    """The writer schema named by the header; raises the decode errors."""
    if len(data) < len(MARKER):
        raise TruncatedEvent(f"{len(data)} bytes, shorter than the marker")
    if data[:2] != MARKER:
        raise BadMarker(f"expected marker c301, got {data[:2].hex()}")
    if len(data) < HEADER_LEN:
        raise TruncatedEvent(f"{len(data)} bytes, shorter than the 10-byte header")
    fp = data[2:HEADER_LEN]
    try:
        return catalogue.by_fingerprint(fp)
    except UnknownSchema:
        raise UnknownFingerprint(fp) from None


def written_with(data: bytes, schema: Schema) -> bool:
    """True when `data` (a decodable encoding) was written with `schema` itself."""
    return data[2:HEADER_LEN] == schema.fingerprint


def decode(data: bytes, catalogue: SchemaCatalogue) -> tuple[Schema, dict[str, Any]]:
    """(reader schema, record): the body read with its writer schema and resolved
    to the current version of the same type."""
    writer = writer_of(data, catalogue)
    reader = catalogue.reader_for(writer)
    body = io.BytesIO(data[HEADER_LEN:])
    try:
        record = fastavro.schemaless_reader(
            body, writer.parsed, reader.parsed if reader is not writer else None
        )
    except (EOFError, IndexError) as exc:
        raise TruncatedEvent(f"{writer.name}: body ends early ({exc})") from None
    except (ValueError, UnicodeDecodeError, OverflowError) as exc:
        raise TruncatedEvent(f"{writer.name}: body is corrupt ({exc})") from None
    rest = len(data) - HEADER_LEN - body.tell()
    if rest:
        raise TruncatedEvent(f"{writer.name}: {rest} bytes after the body")
    return reader, record
