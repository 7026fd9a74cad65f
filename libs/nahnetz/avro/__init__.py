"""Avro contracts: the schema catalogue and single-object encoding."""

from .catalogue import Schema, SchemaCatalogue, default_catalogue
from .codec import decode, encode
from .errors import (
    BadMarker,
    EventDecodeError,
    EventValidationError,
    SchemaCatalogueError,
    TruncatedEvent,
    UnknownFingerprint,
    UnknownSchema,
)

__all__ = [
    "BadMarker",
    "EventDecodeError",
    "EventValidationError",
    "Schema",
    "SchemaCatalogue",
    "SchemaCatalogueError",
    "TruncatedEvent",
    "UnknownFingerprint",
    "UnknownSchema",
    "decode",
    "default_catalogue",
    "encode",
]
