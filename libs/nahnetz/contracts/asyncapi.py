"""The event catalogue: an AsyncAPI 3.0 document and a readable page, generated
from the topic registry and the schema catalogue, never written by hand.

    nahnetz schemas catalogue --out build/events
    -> build/events/asyncapi.yaml, build/events/events.md
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path
from typing import Any, Iterable

import yaml

from ..avro.catalogue import SchemaCatalogue, default_catalogue
from ..topics import ALL, Topic
from .event_page import render_event_page

ASYNCAPI_VERSION = "3.0.0"
# Avro single-object encoding is Avro binary with a 10-byte header.
CONTENT_TYPE = "application/vnd.apache.avro+binary"
SCHEMA_FORMAT = "application/vnd.apache.avro;version=1.9.0"
KAFKA_BINDING_VERSION = "0.5.0"

DESCRIPTION = """\
Every Kafka topic of Nahnetz, its key, its owning service and its events.

Each message value is one event in Avro single-object encoding: the marker
`C3 01`, the 8-byte little-endian CRC-64-AVRO fingerprint of the writer schema's
parsing canonical form, then the Avro binary body. A reader looks the writer
schema up by fingerprint (this document lists each event's current one; earlier
versions live in `schemas/_released/`) and resolves it to its own schema.
The Kafka key is the UTF-8 string of the topic's key field. Only the owner
writes a topic; delivery is at least once, so every consumer is idempotent.
Events that cannot be handled go to `<topic>.dlq`.
"""


def _version() -> str:
    try:
        return metadata.version("nahnetz")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def _channel(topic: Topic) -> dict[str, Any]:
    config = topic.kafka_config()
    internal = (
        f" Internal: the same events re-keyed by `{topic.key}`; only {topic.owner} reads it."
        if topic.internal else ""
    )
    return {
        "address": topic.name,
        "title": topic.name,
        "summary": topic.description,
        "description": (
            f"{topic.description}\n\nKey: `{topic.key}`. Owner: {topic.owner}. "
            f"Partitions: {topic.partitions}. Dead letters: `{topic.dlq}`.{internal}"
        ),
        "messages": {
            event: {"$ref": f"#/components/messages/{event}"} for event in topic.event_types
        },
        "bindings": {
            "kafka": {
                "topic": topic.name,
                "partitions": topic.partitions,
                "topicConfiguration": {
                    "cleanup.policy": [config["cleanup.policy"]],
                    "retention.ms": topic.retention_ms,
                },
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
        "x-key": topic.key,
        "x-owner": topic.owner,
        "x-dead-letter-topic": topic.dlq,
        "x-internal": topic.internal,
    }


def _operations(topic: Topic) -> dict[str, dict[str, Any]]:
    channel = {"$ref": f"#/channels/{topic.name}"}
    messages = [{"$ref": f"#/channels/{topic.name}/messages/{e}"} for e in topic.event_types]
    return {
        f"{topic.name}.send": {
            "action": "send",
            "channel": channel,
            "title": f"{topic.owner} writes {topic.name}",
            "summary": f"Only the {topic.owner} service writes this topic.",
            "tags": [{"name": topic.owner}],
            "messages": messages,
            "x-owner": topic.owner,
        },
        f"{topic.name}.receive": {
            "action": "receive",
            "channel": channel,
            "title": f"Consume {topic.name}",
            "summary": (
                f"Only {topic.owner} reads this internal topic" if topic.internal
                else "Any service may react to these events"
            ) + f"; delivery is at least once, so handlers dedupe on meta.event_id or the key `{topic.key}`.",
            "tags": [{"name": topic.owner}],
            "messages": messages,
        },
    }


def _message(event: str, topic: Topic, catalogue: SchemaCatalogue) -> dict[str, Any]:
    """The message as written to its public `topic`; internal topics carry the
    same message under their own key (see their channel)."""
    schema = catalogue.get(event)
    return {
        "name": event,
        "title": event,
        "summary": schema.expanded.get("doc", ""),
        "contentType": CONTENT_TYPE,
        "payload": {"schemaFormat": SCHEMA_FORMAT, "schema": schema.expanded},
        "correlationId": {
            "description": "Shared by every event of one business flow.",
            "location": "$message.payload#/meta/correlation_id",
        },
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": f"The event's `{topic.key}`."},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
        "tags": [{"name": topic.owner}],
        "x-avro-name": schema.full_name,
        "x-avro-fingerprint": schema.fingerprint.hex(),
    }


def asyncapi_document(
    topics: Iterable[Topic] = ALL, catalogue: SchemaCatalogue | None = None
) -> dict[str, Any]:
    """The AsyncAPI 3.0 document as a dict. Raises UnknownSchema for an event
    type of the registry that has no schema."""
    catalogue = catalogue or default_catalogue()
    topics = tuple(topics)
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for topic in topics:
        operations.update(_operations(topic))
        for event in topic.event_types:
            if not topic.internal or event not in messages:
                messages[event] = _message(event, topic, catalogue)
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Nahnetz events",
            "version": _version(),
            "description": DESCRIPTION,
            "license": {"name": "Apache-2.0"},
            "tags": [{"name": owner} for owner in sorted({t.owner for t in topics})],
        },
        "defaultContentType": CONTENT_TYPE,
        "channels": {topic.name: _channel(topic) for topic in topics},
        "operations": operations,
        "components": {"messages": messages},
    }


class _NoAliasDumper(yaml.SafeDumper):
    """Write repeated values out in full: `&id001` anchors confuse readers of the spec."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str_block(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    # Multi-line descriptions as literal blocks, readable in a review.
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_NoAliasDumper.add_representer(str, _str_block)


def write_catalogue(
    out: str | Path = "build/events",
    topics: Iterable[Topic] = ALL,
    catalogue: SchemaCatalogue | None = None,
) -> list[Path]:
    """Write `asyncapi.yaml` and `events.md` into `out`; return their paths."""
    catalogue = catalogue or default_catalogue()
    topics = tuple(topics)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    spec = out / "asyncapi.yaml"
    spec.write_text(
        yaml.dump(asyncapi_document(topics, catalogue), Dumper=_NoAliasDumper,
                  sort_keys=False, allow_unicode=True, width=100),
        encoding="utf-8",
    )
    page = out / "events.md"
    page.write_text(render_event_page(topics, catalogue), encoding="utf-8")
    return [spec, page]
