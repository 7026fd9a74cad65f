"""Events as values: build one, encode it, read it back.

    placed = new_event("OrderPlaced", order_id=..., lines=[...], producer="orders-api")
    data = placed.encode()
    same = read_event(data)
    same.type == "OrderPlaced"; same.order_id; same.meta["correlation_id"]

`new_event` fills `meta` (event id, time, producer, correlation and causation)
and validates against the schema at once, so an invalid event fails where it
is built, not in a consumer.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

from .avro import codec
from .avro.catalogue import Schema, SchemaCatalogue, default_catalogue
from .avro.errors import EventValidationError
from .kit.logs import current_correlation_id
from .topics import Topic, topic_for_event


def now_utc() -> datetime:
    # Avro timestamp-millis keeps milliseconds; round so a round trip is exact.
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


@dataclass(frozen=True)
class Actor:
    user_id: str
    role: str
    on_behalf_of: str | None = None

    def as_record(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "role": self.role.upper(), "on_behalf_of": self.on_behalf_of}


@dataclass(frozen=True)
class Event:
    """One event: its type (the record's short name) and its fields."""

    type: str
    data: Mapping[str, Any]
    schema: Schema = field(repr=False, compare=False)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.data[name]
        except KeyError:
            raise AttributeError(f"{self.type} has no field {name!r}") from None

    @property
    def meta(self) -> Mapping[str, Any]:
        return self.data["meta"]

    @property
    def event_id(self) -> str:
        return self.meta["event_id"]

    @property
    def correlation_id(self) -> str:
        return self.meta["correlation_id"]

    @property
    def topic(self) -> Topic:
        return topic_for_event(self.type)

    @property
    def key(self) -> str:
        """The Kafka key: the field the topic registry names as its key."""
        return str(self.data[self.topic.key])

    def encode(self) -> bytes:
        return codec.encode(self.schema, dict(self.data))

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, **self.data}


def new_event(
    event_type: str,
    *,
    producer: str,
    caused_by: Event | None = None,
    correlation_id: str | None = None,
    actor: Actor | None = None,
    occurred_at: datetime | None = None,
    event_id: str | None = None,
    catalogue: SchemaCatalogue | None = None,
    **fields: Any,
) -> Event:
    """Build and validate an event. `caused_by` carries the flow's correlation id
    over and records the causing event's id."""
    schema = (catalogue or default_catalogue()).get(event_type)
    if not schema.is_event:
        raise EventValidationError(f"{schema.full_name} is not an event (no meta field)")
    if correlation_id is None:
        # The causing event's flow, else the HTTP request's or worker's bound id.
        correlation_id = (
            caused_by.correlation_id if caused_by else current_correlation_id() or str(uuid.uuid4())
        )
    meta = {
        "event_id": event_id or str(uuid.uuid4()),
        "occurred_at": occurred_at or now_utc(),
        "producer": producer,
        "correlation_id": correlation_id,
        "causation_id": caused_by.event_id if caused_by else None,
        "actor": actor.as_record() if actor else None,
    }
    record = {"meta": meta, **_with_defaults(schema, fields)}
    codec.check(schema, record)
    return Event(schema.name, record, schema)


def _with_defaults(schema: Schema, fields: dict[str, Any]) -> dict[str, Any]:
    """Fill optional fields the caller left out with their schema defaults."""
    known = {f["name"]: f for f in schema.expanded["fields"]}
    unknown = set(fields) - set(known)
    if unknown:
        raise EventValidationError(f"{schema.name} has no field(s) {sorted(unknown)}")
    out = {}
    for name, spec in known.items():
        if name == "meta":
            continue
        if name in fields:
            out[name] = fields[name]
        elif "default" in spec:
            # A copy: the default list or map of the schema must not become shared state.
            out[name] = copy.deepcopy(spec["default"])
        else:
            raise EventValidationError(f"{schema.name}: required field {name!r} is missing")
    return out


def read_event(data: bytes, catalogue: SchemaCatalogue | None = None) -> Event:
    """Decode single-object-encoded bytes; raises an `EventDecodeError` subclass."""
    schema, record = codec.decode(data, catalogue or default_catalogue())
    return Event(schema.name, record, schema)
