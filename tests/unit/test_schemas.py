"""The event contracts in schemas/: one schema per registered event, the house
rules every schema keeps, and a round trip of generated records through the
codec and nahnetz.events."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import avro.schema
import pytest
from fastavro.utils import generate_many

from nahnetz.avro import codec
from nahnetz.avro.catalogue import PRIMITIVES, RELEASED_DIR, SchemaCatalogue, default_schemas_dir
from nahnetz.events import new_event, read_event
from nahnetz.records import OrderCancelled, OrderRejected
from nahnetz.topics import ALL, topic_for_event

SCHEMAS = default_schemas_dir()
CATALOGUE = SchemaCatalogue.load(SCHEMAS)
REGISTERED = sorted({e for topic in ALL for e in topic.event_types})
FILES = sorted(p for p in SCHEMAS.rglob("*.avsc") if RELEASED_DIR not in p.parts)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def raw(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def walk(node: Any):
    """Every schema node (dicts and lists) inside a raw or expanded schema."""
    yield node
    if isinstance(node, list):
        for branch in node:
            yield from walk(branch)
    elif isinstance(node, dict):
        for key in ("type", "items", "values"):
            if isinstance(node.get(key), (dict, list)):
                yield from walk(node[key])
        for f in node.get("fields", []) if node.get("type") in ("record", "error") else []:
            yield from walk(f["type"])


def fields_of(node: Any):
    for n in walk(node):
        if isinstance(n, dict) and n.get("type") == "record":
            yield from ((n["name"], f) for f in n["fields"])


# -- registry and schemas agree ---------------------------------------------------------
def test_every_registered_event_has_exactly_one_schema_file():
    names = [raw(p)["name"] for p in FILES]
    for event in REGISTERED:
        assert names.count(event) == 1, f"{event}: {names.count(event)} schema files"


def test_every_event_schema_is_registered_on_a_topic():
    events = sorted(s.name for s in CATALOGUE.events)
    assert events == REGISTERED


@pytest.mark.parametrize("event", REGISTERED)
def test_event_lives_in_its_topics_domain_and_carries_the_key(event):
    topic = topic_for_event(event)
    domain = topic.name.split(".")[0]
    schema = CATALOGUE.get(event)
    assert schema.full_name == f"nahnetz.{domain}.{event}"
    assert schema.source.parent.name == domain
    first = raw(schema.source)["fields"][0]
    assert first == {"name": "meta", "type": "nahnetz.common.EventMeta"}
    key = {f["name"]: f for f in schema.expanded["fields"]}.get(topic.key)
    assert key is not None, f"{event} lacks the key field {topic.key} of {topic.name}"
    assert key["type"] == "string"


# -- house rules ---------------------------------------------------------------------------
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_one_named_type_per_file_named_after_it(path):
    doc = raw(path)
    assert doc["type"] in ("record", "enum")
    assert doc["name"] == path.stem
    assert doc["namespace"] == f"nahnetz.{path.parent.name}"
    assert doc.get("doc"), f"{path.stem} needs a doc"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_enums_have_a_default_so_they_can_grow(path):
    for node in walk(raw(path)):
        if isinstance(node, dict) and node.get("type") == "enum":
            assert node.get("default") in node["symbols"], f"{node['name']} has no valid default"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_optional_fields_are_null_first_with_null_default(path):
    for record, f in fields_of(raw(path)):
        if isinstance(f["type"], list):
            assert len(f["type"]) == 2 and f["type"][0] == "null", f"{record}.{f['name']}: use ['null', T]"
            assert "default" in f and f["default"] is None, f"{record}.{f['name']} needs default null"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_units_are_in_the_names_and_amounts_are_money(path):
    for record, f in fields_of(raw(path)):
        t = f["type"]
        assert t != "float", f"{record}.{f['name']}: use double"
        if f["name"].endswith(("_at", "_until")):
            branch = t[1] if isinstance(t, list) else t
            assert branch == {"type": "long", "logicalType": "timestamp-millis"}, f"{record}.{f['name']}"
        if f["name"] in ("price", "total", "unit_price", "delivery_fee", "offered_price", "price_per_km",
                         "cost_per_km", "paid_at_pickup"):
            branch = t[1] if isinstance(t, list) else t
            assert branch == "nahnetz.common.Money", f"{record}.{f['name']} must be Money"
        if "weight" in f["name"]:
            assert f["name"].endswith("_g"), f"{record}.{f['name']}: weights in grams, named *_g"
        if "volume" in f["name"]:
            assert f["name"].endswith("_ml"), f"{record}.{f['name']}: volumes in millilitres, named *_ml"


@pytest.mark.parametrize("schema", list(CATALOGUE), ids=lambda s: s.name)
def test_the_official_avro_package_parses_every_schema(schema):
    parsed = avro.schema.parse(json.dumps(schema.expanded))
    assert parsed.fullname == schema.full_name


# -- round trip ----------------------------------------------------------------------------
def as_decoded(node: Any, value: Any, named: dict[str, Any] | None = None) -> Any:
    """`value` (as generated: logical types as plain numbers) the way a reader
    returns it: timestamps as aware datetimes, dates as dates, times as times."""
    if named is None:  # named types are defined at first use, maybe in a branch not taken
        named = {n["name"]: n for n in walk(node) if isinstance(n, dict) and n.get("type") in ("record", "enum")}
    if isinstance(node, str):
        return value if node in PRIMITIVES else as_decoded(named[node], value, named)
    if isinstance(node, list):
        assert node[0] == "null" and len(node) == 2, "only ['null', T] unions are used"
        return None if value is None else as_decoded(node[1], value, named)
    logical = node.get("logicalType")
    if logical == "timestamp-millis":
        return EPOCH + timedelta(milliseconds=value)
    if logical == "date":
        return date(1970, 1, 1) + timedelta(days=value)
    if logical == "time-millis":
        return (datetime.min + timedelta(milliseconds=value)).time()
    kind = node["type"]
    if kind == "record":
        return {f["name"]: as_decoded(f["type"], value[f["name"]], named) for f in node["fields"]}
    if kind == "array":
        return [as_decoded(node["items"], v, named) for v in value]
    if kind == "map":
        return {k: as_decoded(node["values"], v, named) for k, v in value.items()}
    if isinstance(kind, (dict, list)) or kind not in PRIMITIVES | {"enum"}:
        return as_decoded(kind, value, named)
    return value


@pytest.mark.parametrize("event", REGISTERED)
def test_generated_records_round_trip_through_the_codec(event):
    schema = CATALOGUE.get(event)
    for record in generate_many(schema.parsed, 4):
        data = codec.encode(schema, record)
        assert data[:2] == b"\xc3\x01" and data[2:10] == schema.fingerprint
        decoded = read_event(data, CATALOGUE)
        assert decoded.type == event
        assert decoded.to_avro() == as_decoded(schema.expanded, record)


@pytest.mark.parametrize("event", REGISTERED)
def test_events_built_with_new_event_round_trip(event):
    schema = CATALOGUE.get(event)
    (record,) = generate_many(schema.parsed, 1)
    fields = {k: v for k, v in record.items() if k != "meta"}
    built = new_event(event, producer="test-suite", catalogue=CATALOGUE, **fields)
    back = read_event(built.encode(), CATALOGUE)
    assert back.type == event
    assert back.meta.producer == "test-suite"
    assert back.meta.event_id == built.event_id
    expected = as_decoded(schema.expanded, {**record, "meta": {**built.meta.to_avro(), "occurred_at": 0}})
    assert {k: v for k, v in back.to_avro().items() if k != "meta"} == {
        k: v for k, v in expected.items() if k != "meta"
    }
    assert back.meta.occurred_at == built.meta.occurred_at
    assert back.key == str(fields[topic_for_event(event).key])


def test_optional_fields_left_out_get_their_defaults():
    placed = new_event(OrderCancelled, producer="orders-api", catalogue=CATALOGUE, order_id="o-1")
    back = read_event(placed.encode(), CATALOGUE)
    assert back.reason is None
    assert back.channel == "UNKNOWN"


def test_defaults_are_not_shared_between_events():
    first = new_event(OrderRejected, producer="orders-worker", catalogue=CATALOGUE, order_id="o-1")
    first.lines.append("mutated")
    second = new_event(OrderRejected, producer="orders-worker", catalogue=CATALOGUE, order_id="o-2")
    assert second.lines == []
