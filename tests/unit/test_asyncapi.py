"""The generated event catalogue: the AsyncAPI 3.0 document and events.md."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from nahnetz.avro.catalogue import SchemaCatalogue, default_schemas_dir
from nahnetz.avro.errors import UnknownSchema
from nahnetz.contracts.asyncapi import (
    CONTENT_TYPE,
    SCHEMA_FORMAT,
    asyncapi_document,
    write_catalogue,
)
from nahnetz.topics import ALL, Topic, topic_for_event

CATALOGUE = SchemaCatalogue.load(default_schemas_dir())
DOC = asyncapi_document(ALL, CATALOGUE)
# (topic, event) for every event on every topic, internal repartition topics too.
EVENTS = [(topic, event) for topic in ALL for event in topic.event_types]


def resolve(doc: dict[str, Any], ref: str) -> Any:
    """Follow a local JSON pointer such as `#/channels/orders.orders/messages/OrderPlaced`."""
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert part in node, f"{ref}: no {part!r}"
        node = node[part]
    return node


def refs(node: Any):
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def test_it_is_an_asyncapi_3_document():
    assert DOC["asyncapi"] == "3.0.0"
    assert DOC["info"]["title"] and DOC["info"]["version"]
    assert DOC["defaultContentType"] == CONTENT_TYPE


def test_every_topic_is_a_channel_with_its_address_key_and_events():
    assert list(DOC["channels"]) == [t.name for t in ALL]
    for topic in ALL:
        channel = DOC["channels"][topic.name]
        assert channel["address"] == topic.name
        assert f"`{topic.key}`" in channel["description"]
        assert channel["x-key"] == topic.key and channel["x-dead-letter-topic"] == topic.dlq
        assert list(channel["messages"]) == list(topic.event_types)
        kafka = channel["bindings"]["kafka"]
        assert kafka["partitions"] == topic.partitions
        assert kafka["topicConfiguration"]["retention.ms"] == topic.retention_ms


@pytest.mark.parametrize("topic, event", EVENTS, ids=[e for _, e in EVENTS])
def test_every_event_is_a_message_with_its_expanded_schema(topic, event):
    schema = CATALOGUE.get(event)
    message = DOC["components"]["messages"][event]
    assert message["name"] == event
    assert message["contentType"] == CONTENT_TYPE
    assert message["payload"]["schemaFormat"] == SCHEMA_FORMAT
    assert message["payload"]["schema"] == schema.expanded
    assert message["x-avro-fingerprint"] == schema.fingerprint.hex()
    key = message["bindings"]["kafka"]["key"]
    assert key["type"] == "string"
    assert f"`{topic_for_event(event).key}`" in key["description"]  # the public topic's key
    assert resolve(DOC, DOC["channels"][topic.name]["messages"][event]["$ref"]) is message
    # The correlation id location points into the payload's meta record.
    meta = message["payload"]["schema"]["fields"][0]
    assert message["correlationId"]["location"] == "$message.payload#/meta/correlation_id"
    assert "correlation_id" in [f["name"] for f in meta["type"]["fields"]]


def test_the_messages_are_exactly_the_registry_events():
    assert sorted(DOC["components"]["messages"]) == sorted({e for _, e in EVENTS})


def test_internal_topics_are_marked_and_read_by_their_owner_only():
    internal = [t for t in ALL if t.internal]
    for topic in ALL:
        assert DOC["channels"][topic.name]["x-internal"] is topic.internal
    for topic in internal:
        assert f"only {topic.owner} reads it" in DOC["channels"][topic.name]["description"]
        assert DOC["operations"][f"{topic.name}.receive"]["summary"].startswith(f"Only {topic.owner} reads")


def test_the_owner_sends_and_anyone_receives_each_topic():
    for topic in ALL:
        send = DOC["operations"][f"{topic.name}.send"]
        receive = DOC["operations"][f"{topic.name}.receive"]
        assert send["action"] == "send" and receive["action"] == "receive"
        assert send["x-owner"] == topic.owner
        for operation in (send, receive):
            assert resolve(DOC, operation["channel"]["$ref"]) is DOC["channels"][topic.name]
            # AsyncAPI 3: an operation's messages are a subset of its channel's.
            prefix = f"#/channels/{topic.name}/messages/"
            assert [m["$ref"] for m in operation["messages"]] == [prefix + e for e in topic.event_types]


def test_every_reference_resolves():
    found = list(refs(DOC))
    assert len(found) > len(EVENTS) * 3
    for ref in found:
        resolve(DOC, ref)


def test_an_event_without_schema_is_a_clear_error():
    stray = Topic("test.stray", "stray_id", "test", ("NoSuchEvent",))
    with pytest.raises(UnknownSchema, match="NoSuchEvent"):
        asyncapi_document([stray], CATALOGUE)


def test_write_catalogue_writes_the_document_and_the_page(tmp_path):
    paths = write_catalogue(tmp_path / "events", catalogue=CATALOGUE)
    assert [p.name for p in paths] == ["asyncapi.yaml", "events.md"]
    text = paths[0].read_text(encoding="utf-8")
    assert "&id0" not in text and "*id0" not in text  # no YAML aliases
    assert yaml.safe_load(text) == DOC


def test_the_page_lists_topics_events_and_fields(tmp_path):
    page = write_catalogue(tmp_path, catalogue=CATALOGUE)[1].read_text(encoding="utf-8")
    sections = re.split(r"^## ", page, flags=re.M)
    by_topic = {s.split("\n", 1)[0]: s for s in sections[1:]}
    for topic in ALL:
        section = by_topic[topic.name]
        assert f"| key | `{topic.key}` |" in section
        assert f"| owner | {topic.owner} |" in section
        assert f"| partitions | {topic.partitions} |" in section
        assert f"| dead letters | `{topic.dlq}` |" in section
        assert "| retention | forever" in section or topic.retention_ms > 0
        if topic.internal:
            # Its events are described once, under their public topic, and linked here.
            assert "| internal |" in section
            for event in topic.event_types:
                assert f"[{event}](#{CATALOGUE.get(event).full_name.lower().replace('.', '-')})" in section
                assert f"### {event}\n" not in section
            continue
        for event in topic.event_types:
            schema = CATALOGUE.get(event)
            body = section.split(f"### {event}\n", 1)[1].split("\n### ", 1)[0]
            assert schema.fingerprint.hex() in body
            for field in schema.expanded["fields"]:
                assert f"| `{field['name']}` |" in body, f"{event}.{field['name']} missing"
    assert "| retention | 28 days |" in by_topic["notify.requests"]
    assert "| retention | forever, compacted |" in by_topic["notify.contacts"]
    placed = by_topic["orders.orders"].split("### OrderPlaced\n", 1)[1]
    assert "| `delivery_day` | date |" in placed
    assert "| `lines` | list of [OrderLine](#nahnetz-orders-orderline) |" in placed
    assert "| `entered_by` | `string`, optional | `null` |" in placed


def test_every_link_on_the_page_has_a_target(tmp_path):
    page = write_catalogue(tmp_path, catalogue=CATALOGUE)[1].read_text(encoding="utf-8")
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', page))
    links = set(re.findall(r"\]\(#([^)]+)\)", page))
    assert links and links <= anchors, sorted(links - anchors)
    shared = page.split("## Shared types", 1)[1]
    assert "### nahnetz.common.Money" in shared and "### nahnetz.orders.OrderLine" in shared
    assert "Symbols: `AMBIENT`, `CHILLED`, `FROZEN`." in shared
