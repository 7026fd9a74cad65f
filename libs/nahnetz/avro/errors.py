"""Errors of the Avro layer. Every decoding problem is an `EventDecodeError`,
so a consumer catches one type and dead-letters the message."""


class SchemaCatalogueError(Exception):
    """The `schemas/` folder is inconsistent (bad JSON, duplicate or unknown names)."""


class UnknownSchema(SchemaCatalogueError, KeyError):
    """No schema with that name or fingerprint is in the catalogue."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class EventDecodeError(ValueError):
    """Bytes that cannot be read as a Nahnetz event."""


class BadMarker(EventDecodeError):
    """The bytes do not start with the single-object marker C3 01."""


class TruncatedEvent(EventDecodeError):
    """The bytes end before the header or the body is complete, or carry trailing garbage."""


class UnknownFingerprint(EventDecodeError):
    """The writer schema's fingerprint is not in the catalogue."""

    def __init__(self, fingerprint: bytes):
        super().__init__(f"unknown writer schema fingerprint {fingerprint.hex()}")
        self.fingerprint = fingerprint


class EventValidationError(ValueError):
    """A record does not match its schema (missing field, wrong type, unknown enum symbol)."""
