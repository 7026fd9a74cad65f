"""The typed records of nahnetz.records: every event built with new_event from
example values (plain dicts, or the typed records themselves) encodes and reads
back as an equal value of its class; enums are their strings; and
`nahnetz schemas generate --check` fails when a schema changed and the classes
were not generated again."""

from __future__ import annotations

import dataclasses
import enum
import json
import shutil
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nahnetz import records
from nahnetz.avro import codec, codegen
from nahnetz.avro.catalogue import RELEASED_DIR, SchemaCatalogue, default_schemas_dir, read_definitions
from nahnetz.cli import main
from nahnetz.events import Actor, event_class, new_event, read_event
from nahnetz.records import Channel, EventRecord, OrderLine, OrderPlaced, Record, TemperatureClass
from nahnetz.records.base import StrEnum
from nahnetz.topics import ALL, topic_for_event

CATALOGUE = SchemaCatalogue.load(default_schemas_dir())
DEFINITIONS = read_definitions(default_schemas_dir())[0]  # full name -> raw definition
EVENT_CLASSES = sorted((c for c in vars(records).values()
                        if isinstance(c, type) and issubclass(c, EventRecord) and c is not EventRecord),
                       key=lambda c: c.__name__)
ENUMS = sorted((c for c in vars(records).values() if isinstance(c, type) and issubclass(c, StrEnum)
                and c is not StrEnum), key=lambda c: c.__name__)
WHEN = datetime(2026, 11, 26, 9, 30, 15, 123000, tzinfo=timezone.utc)  # milliseconds: exact in Avro


# -- example values from the schema ------------------------------------------------------------------
def named_types(node: Any, found: dict[str, dict] | None = None) -> dict[str, dict]:
    """Every named type defined inside an expanded schema, by full name."""
    found = {} if found is None else found
    if isinstance(node, list):
        for branch in node:
            named_types(branch, found)
    elif isinstance(node, dict):
        if node.get("type") in ("record", "enum"):
            found[node["name"]] = node
        for key in ("type", "items", "values"):
            if isinstance(node.get(key), (dict, list)):
                named_types(node[key], found)
        for f in node.get("fields", []) if node.get("type") == "record" else []:
            named_types(f["type"], found)
    return found


def example(node: Any, named: dict[str, dict], name: str, optional: bool) -> Any:
    """A value for a schema node as a caller of new_event writes it: dates as dates,
    timestamps as aware datetimes, enums as their (last) symbol's string, records as
    dicts. `optional=False` leaves every optional field empty."""
    if isinstance(node, str):
        if node in named:
            return example(named[node], named, name, optional)
        return {  # a primitive
"string": f"{name}-1", "int": 7, "long": 70_000, "double": 1.5, "float": 1.5,
                "boolean": True, "bytes": b"\x00\x01", "null": None}[node]
    if isinstance(node, list):
        assert node[0] == "null" and len(node) == 2, "only ['null', T] unions are used"
        return example(node[1], named, name, optional) if optional else None
    logical = node.get("logicalType")
    if logical == "date":
        return date(2026, 11, 26)
    if logical in ("timestamp-millis", "timestamp-micros"):
        return WHEN
    if logical in ("time-millis", "time-micros"):
        return time(8, 30)
    kind = node["type"]
    if kind == "record":
        return {f["name"]: example(f["type"], named, f["name"], optional) for f in node["fields"]}
    if kind == "enum":
        return node["symbols"][-1]  # not the default (the first symbol, mostly): a conversion shows
    if kind == "array":
        return [example(node["items"], named, name, optional)]
    if kind == "map":
        return {"k": example(node["values"], named, name, optional)}
    return example(kind, named, name, optional)  # {"type": "string"}, or a nested type


def example_fields(cls: type[EventRecord], optional: bool = True) -> dict[str, Any]:
    expanded = CATALOGUE.get(cls.AVRO_NAME).expanded
    named = named_types(expanded)
    return {f["name"]: example(f["type"], named, f["name"], optional)
            for f in expanded["fields"] if f["name"] != "meta"}


def typed(cls: type[EventRecord], fields: dict[str, Any]) -> dict[str, Any]:
    """The same fields as the generated classes hold them (records, enums)."""
    meta = new_event(cls, producer="test-suite", **fields).meta
    made = cls.from_avro({"meta": meta.to_avro(), **fields})
    return {name: getattr(made, name) for name in fields}


# -- round trip ------------------------------------------------------------------------------------------
def test_there_is_a_class_for_every_event_schema_and_it_knows_its_topic():
    assert sorted(c.__name__ for c in EVENT_CLASSES) == sorted(s.name for s in CATALOGUE.events)
    assert sorted(c.__name__ for c in EVENT_CLASSES) == sorted({e for t in ALL for e in t.event_types})
    for cls in EVENT_CLASSES:
        assert event_class(cls.__name__) is event_class(cls.AVRO_NAME) is cls
        assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen


@pytest.mark.parametrize("optional", [True, False], ids=["all fields", "optional fields empty"])
@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.__name__)
def test_every_event_built_from_example_values_reads_back_equal(cls, optional):
    fields = example_fields(cls, optional)
    actor = Actor("op-1", "operator", on_behalf_of="shop-1")
    built = new_event(cls, producer="test-suite", actor=actor, **fields)
    assert type(built) is cls

    data = built.encode()
    back = read_event(data)
    assert type(back) is cls
    assert back == built
    # What the class writes is what the codec reads.
    assert back.to_avro() == codec.decode(data, CATALOGUE)[1]
    assert cls.from_avro(back.to_avro()) == back
    assert (back.type, back.event_id, back.correlation_id) == (cls.__name__, built.meta.event_id,
                                                               built.meta.correlation_id)
    assert back.meta.actor is not None and (back.meta.actor.user_id, back.meta.actor.role) == ("op-1", "OPERATOR")
    assert back.meta.occurred_at.tzinfo is not None
    assert back.topic == topic_for_event(cls.__name__)
    assert back.key == str(fields[back.topic.key])


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.__name__)
def test_new_event_takes_typed_records_as_well_as_dicts(cls):
    fields = example_fields(cls)
    from_dicts = new_event(cls, producer="test-suite", **fields)
    from_records = new_event(cls, producer="test-suite", **typed(cls, fields))
    assert dataclasses.replace(from_records, meta=from_dicts.meta) == from_dicts
    assert read_event(from_records.encode()) == from_records


def test_nested_values_are_typed_records():
    fields = example_fields(OrderPlaced)
    placed = read_event(new_event(OrderPlaced, producer="orders-api", **fields).encode())
    line = placed.lines[0]
    assert isinstance(line, OrderLine) and isinstance(line, Record)
    assert line.product_id == fields["lines"][0]["product_id"]
    assert line.unit_price.amount_cents == fields["lines"][0]["unit_price"]["amount_cents"]
    assert isinstance(line.temperature_class, TemperatureClass)
    with pytest.raises(dataclasses.FrozenInstanceError):
        placed.order_id = "changed"  # type: ignore[misc]
    derived = dataclasses.replace(placed, order_id="o-2")
    assert derived.order_id == "o-2" and placed.order_id != "o-2"


# -- enums ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", ENUMS, ids=lambda c: c.__name__)
def test_enum_symbols_are_equal_to_their_strings(cls):
    [symbols] = [d["symbols"] for full, d in DEFINITIONS.items() if full.rsplit(".", 1)[-1] == cls.__name__]
    assert [m.value for m in cls] == symbols
    for member in cls:
        assert member == member.value and member.value == member
        assert isinstance(member, str) and issubclass(cls, enum.Enum)
        assert str(member) == f"{member}" == member.value
        assert hash(member) == hash(member.value) and {member.value: 1}[member] == 1
        assert json.dumps(member) == json.dumps(member.value)
        assert cls(member.value) is member


def test_an_event_read_back_holds_enums_that_compare_to_strings():
    fields = example_fields(OrderPlaced)
    placed = read_event(new_event(OrderPlaced, producer="orders-api", **{**fields, "channel": "PHONE"}).encode())
    assert placed.channel == "PHONE" and placed.channel is Channel.PHONE
    assert placed.channel != "WEB"
    assert placed.as_dict()["channel"] == "PHONE"
    assert json.loads(json.dumps({"channel": placed.channel})) == {"channel": "PHONE"}


# -- generated code stays in step with schemas/ (setup generates it; --check finds a lag) ----------
def test_the_installed_classes_match_the_schemas():
    assert codegen.stale() == [], "run `.venv/bin/nahnetz schemas generate`"


@pytest.fixture
def copies(tmp_path) -> tuple[Path, Path]:
    """A copy of schemas/ (without released versions) and of the generated classes."""
    schemas = tmp_path / "schemas"
    shutil.copytree(default_schemas_dir(), schemas, ignore=shutil.ignore_patterns(RELEASED_DIR))
    classes = tmp_path / "records"
    shutil.copytree(codegen.records_dir(), classes, ignore=shutil.ignore_patterns("__pycache__"))
    return classes, schemas


def add_optional_field(schema: Path, name: str) -> None:
    doc = json.loads(schema.read_text(encoding="utf-8"))
    doc["fields"].append({"name": name, "type": ["null", "string"], "default": None, "doc": "added by a test"})
    schema.write_text(json.dumps(doc, indent=2), encoding="utf-8")


def test_a_changed_schema_makes_the_classes_stale_until_generated_again(copies):
    classes, schemas = copies
    assert codegen.stale(classes, schemas) == []

    add_optional_field(schemas / "orders" / "OrderCancelled.avsc", "refund_note")
    assert codegen.stale(classes, schemas) == ["orders"]

    written = codegen.write(classes, schemas)
    assert [p.name for p in written] == ["orders.py"]
    assert "refund_note: str | None = None" in (classes / "orders.py").read_text(encoding="utf-8")
    assert codegen.stale(classes, schemas) == []


def test_a_new_schema_makes_the_index_and_its_module_stale(copies):
    classes, schemas = copies
    new = json.loads((schemas / "orders" / "OrderCancelled.avsc").read_text(encoding="utf-8"))
    new["name"], new["doc"] = "OrderPaused", "Paused by a test."
    (schemas / "orders" / "OrderPaused.avsc").write_text(json.dumps(new), encoding="utf-8")
    assert codegen.stale(classes, schemas) == ["orders", "_index"]


def test_schemas_generate_check_fails_naming_the_stale_module(copies, monkeypatch):
    classes, schemas = copies
    monkeypatch.setattr(codegen, "records_dir", lambda: classes)
    monkeypatch.setattr(codegen, "default_schemas_dir", lambda: schemas)
    runner = CliRunner()

    fine = runner.invoke(main, ["schemas", "generate", "--check"])
    assert fine.exit_code == 0, fine.output
    assert "matches" in fine.output

    add_optional_field(schemas / "pickup" / "ParcelDeposited.avsc", "noted_by_a_test")
    stale = runner.invoke(main, ["schemas", "generate", "--check"])
    assert stale.exit_code == 1
    assert "out of date" in stale.output and "pickup" in stale.output
    assert "noted_by_a_test" not in (classes / "pickup.py").read_text(encoding="utf-8"), "--check changes nothing"

    generated = runner.invoke(main, ["schemas", "generate"])
    assert generated.exit_code == 0 and "pickup.py" in generated.output
    assert runner.invoke(main, ["schemas", "generate", "--check"]).exit_code == 0


def test_a_record_stored_before_its_optional_fields_were_added_still_reads():
    """Read models keep records as dicts (JSON in Redis): a field added later with a default
    of null or an empty list reads as that default; a field without a default stays required."""
    tour = records.PlannedTour(tour_id="t-1", vehicle_id="van-1", stops=[], distance_km=1.5, duration_s=60,
                               empty_km=0.0, load_factor=0.0)
    stored = {k: v for k, v in tour.to_avro().items() if k != "breaks"}
    assert records.PlannedTour.from_avro(stored) == tour and tour.breaks == []
    van = records.Vehicle(vehicle_id="van-1", max_weight_g=1, max_volume_ml=1, temperature_classes=[],
                          shift=records.TimeWindow(start=datetime(2031, 7, 16, 4, tzinfo=timezone.utc),
                                                   end=datetime(2031, 7, 16, 14, tzinfo=timezone.utc)))
    older = {k: v for k, v in van.to_avro().items() if k not in ("break_after_s", "break_s", "max_trips", "reload_s")}
    assert records.Vehicle.from_avro(older) == van
    with pytest.raises(KeyError):
        records.PlannedTour.from_avro({k: v for k, v in stored.items() if k != "duration_s"})
