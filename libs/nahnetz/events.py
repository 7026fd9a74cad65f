"""Events as values: build one, encode it, read it back.

    placed = new_event(OrderPlaced, order_id=..., lines=[OrderLine(...)], producer="orders-api")
    data = placed.encode()
    same = read_event(data)                # an OrderPlaced again
    same == placed; same.lines[0].product_id; same.meta.correlation_id

`new_event` fills `meta` (event id, time, producer, correlation and causation)
and validates against the schema at once, so an invalid event fails where it
is built, not in a consumer.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, overload

from . import records
from .avro import codec
from .clock import utc_now
from .avro.catalogue import Schema, SchemaCatalogue, default_catalogue
from .avro.errors import EventValidationError, UnknownSchema
from .kit.logs import current_correlation_id
from .records import EventRecord, Record


def now_utc() -> datetime:
    # Avro timestamp-millis keeps milliseconds; round so a round trip is exact.
    now = utc_now()  # the platform's clock: a simulation moves it
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


@dataclass(frozen=True)
class Actor:
    user_id: str
    role: str
    on_behalf_of: str | None = None

    def as_record(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "role": self.role.upper(), "on_behalf_of": self.on_behalf_of}


# Handlers and producers speak of events by this base type; each event type is a
# generated class in `nahnetz.records` (OrderPlaced, StopCompleted, ...).
Event = EventRecord
E = TypeVar("E", bound=EventRecord)

_BY_NAME: dict[str, type[EventRecord]] = {}


def event_class(name: str) -> type[EventRecord]:
    """The generated class of an event type, by short or full Avro name."""
    if not _BY_NAME:
        for value in vars(records).values():
            if isinstance(value, type) and issubclass(value, EventRecord) and value is not EventRecord:
                _BY_NAME[value.__name__] = _BY_NAME[value.AVRO_NAME] = value
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UnknownSchema(f"no event type {name!r} in nahnetz.records") from None


def _actor_record(actor: "Actor | records.Actor | None") -> dict[str, Any] | None:
    """The acting user: our `Actor`, or the typed one an incoming event carried on."""
    if actor is None:
        return None
    return actor.to_avro() if isinstance(actor, Record) else actor.as_record()


def _plain(value: Any) -> Any:
    """What fastavro writes: typed records as dicts, all the way down."""
    if isinstance(value, Record):
        return value.to_avro()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@overload
def new_event(event_type: type[E], *, producer: str, caused_by: EventRecord | None = ...,
              correlation_id: str | None = ..., actor: Actor | records.Actor | None = ..., occurred_at: datetime | None = ...,
              event_id: str | None = ..., catalogue: SchemaCatalogue | None = ..., **fields: Any) -> E: ...


@overload
def new_event(event_type: str, *, producer: str, caused_by: EventRecord | None = ...,
              correlation_id: str | None = ..., actor: Actor | records.Actor | None = ..., occurred_at: datetime | None = ...,
              event_id: str | None = ..., catalogue: SchemaCatalogue | None = ..., **fields: Any) -> EventRecord: ...


def new_event(
    event_type: type[E] | str,
    *,
    producer: str,
    caused_by: Event | None = None,
    correlation_id: str | None = None,
    actor: Actor | records.Actor | None = None,
    occurred_at: datetime | None = None,
    event_id: str | None = None,
    catalogue: SchemaCatalogue | None = None,
    **fields: Any,
) -> EventRecord:
    """Build and validate an event of a generated type (or its name). Fields may be
    typed records or plain dicts. `caused_by` carries the flow's correlation id over
    and records the causing event's id."""
    cls = event_class(event_type) if isinstance(event_type, str) else event_type
    schema = (catalogue or default_catalogue()).get(cls.AVRO_NAME)
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
        "actor": _actor_record(actor),
    }
    record = {"meta": meta, **_with_defaults(schema, {k: _plain(v) for k, v in fields.items()})}
    # Through the codec once, so the value equals what a reader gets back
    # (defaults of nested records filled in, logical types as dates and times);
    # the bytes written on the way are what `encode()` returns later.
    data, normalised = codec.encode_normalised(schema, record)
    event = cls.from_avro(normalised)
    if catalogue is None:
        event.remember_encoding(data)
    return event


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


def read_event(data: bytes, catalogue: SchemaCatalogue | None = None) -> EventRecord:
    """Decode single-object-encoded bytes into the event's generated class; raises an
    `EventDecodeError` subclass."""
    schema, record = codec.decode(data, catalogue or default_catalogue())
    event = event_class(schema.full_name).from_avro(record)
    if catalogue is None and codec.written_with(data, schema):
        # Written with the current schema: these bytes are its encoding, and a
        # worker forwarding or re-publishing the event need not write it again.
        event.remember_encoding(bytes(data))
    return event
