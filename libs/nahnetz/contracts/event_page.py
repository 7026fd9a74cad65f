"""The readable event catalogue (`events.md`): per topic its key, owner,
partitions, retention and dead-letter topic, per event its fields with types
and docs, and every shared type once at the end."""

from __future__ import annotations

import json
from typing import Any, Iterable

from ..avro.catalogue import PRIMITIVES, Schema, SchemaCatalogue
from ..topics import Topic

LOGICAL = {
    "timestamp-millis": "timestamp (UTC, ms)",
    "timestamp-micros": "timestamp (UTC, µs)",
    "date": "date",
    "time-millis": "time of day (ms)",
    "uuid": "uuid",
}
DAY_MS = 86_400_000


def anchor(full_name: str) -> str:
    return full_name.lower().replace(".", "-")


def _link(full_name: str) -> str:
    return f"[{full_name.rsplit('.', 1)[-1]}](#{anchor(full_name)})"


def type_label(node: Any) -> str:
    """A short readable type: `string`, `list of [OrderLine](#...)`, `date`, ..."""
    if isinstance(node, str):
        return f"`{node}`" if node in PRIMITIVES else _link(node)
    if isinstance(node, list):
        others = [branch for branch in node if branch != "null"]
        label = " or ".join(type_label(branch) for branch in others)
        return f"{label}, optional" if len(others) < len(node) else label
    kind = node.get("type")
    if node.get("logicalType") in LOGICAL:
        return LOGICAL[node["logicalType"]]
    if kind in ("record", "enum", "fixed", "error"):
        return _link(node["name"])
    if kind == "array":
        return f"list of {type_label(node['items'])}"
    if kind == "map":
        return f"map of string to {type_label(node['values'])}"
    return type_label(kind)


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def _fields_table(schema: dict[str, Any]) -> list[str]:
    lines = ["| field | type | default | description |", "|---|---|---|---|"]
    for f in schema["fields"]:
        default = f"`{json.dumps(f['default'], ensure_ascii=False)}`" if "default" in f else ""
        lines.append(
            f"| `{f['name']}` | {type_label(f['type'])} | {_cell(default)} | {_cell(f.get('doc', ''))} |"
        )
    return lines


def _retention(topic: Topic) -> str:
    if topic.retention_ms < 0:
        return "forever"
    return f"{topic.retention_ms / DAY_MS:g} days"


def _homes(topics: tuple[Topic, ...]) -> dict[str, str]:
    """The topic whose section describes an event in full: its public topic.
    Internal repartition topics carry the same events and only link to them."""
    homes: dict[str, str] = {}
    for public in (True, False):  # public topics claim their events first
        for topic in topics:
            if public != topic.internal:
                for event in topic.event_types:
                    homes.setdefault(event, topic.name)
    return homes


def _topic_section(topic: Topic, catalogue: SchemaCatalogue, homes: dict[str, str]) -> list[str]:
    lines = [
        f'<a id="{anchor("topic." + topic.name)}"></a>',
        f"## {topic.name}",
        "",
        topic.description,
        "",
        "| | |",
        "|---|---|",
        f"| key | `{topic.key}` |",
        f"| owner | {topic.owner} |",
        f"| partitions | {topic.partitions} |",
        f"| retention | {_retention(topic)}{', compacted' if topic.compacted else ''} |",
        f"| dead letters | `{topic.dlq}` |",
    ]
    if topic.internal:
        lines.append(f"| internal | the events re-keyed by `{topic.key}`; only {topic.owner} reads it |")
    lines.append("")
    elsewhere = [e for e in topic.event_types if homes[e] != topic.name]
    if elsewhere:
        links = ", ".join(f"[{e}](#{anchor(catalogue.get(e).full_name)})" for e in elsewhere)
        lines += [f"Events described under their own topic: {links}.", ""]
    for event in topic.event_types:
        if homes[event] != topic.name:
            continue
        schema = catalogue.get(event)
        lines += [
            f'<a id="{anchor(schema.full_name)}"></a>',
            f"### {event}",
            "",
            schema.expanded.get("doc", ""),
            "",
            f"`{schema.full_name}`, fingerprint `{schema.fingerprint.hex()}`",
            "",
            *_fields_table(schema.expanded),
            "",
        ]
    return lines


def _shared_type(schema: Schema) -> list[str]:
    doc = schema.expanded
    lines = [f'<a id="{anchor(schema.full_name)}"></a>', f"### {schema.full_name}", ""]
    if doc.get("doc"):
        lines += [doc["doc"], ""]
    if doc["type"] == "enum":
        lines.append("Symbols: " + ", ".join(f"`{s}`" for s in doc["symbols"]) + ".")
        if "default" in doc:
            lines.append(f"A reader that meets an unknown symbol reads `{doc['default']}`.")
    elif doc["type"] == "record":
        lines += _fields_table(doc)
    lines.append("")
    return lines


def render_event_page(topics: Iterable[Topic], catalogue: SchemaCatalogue) -> str:
    topics = tuple(topics)
    lines = [
        "# Nahnetz events",
        "",
        "Generated from the topic registry (`libs/nahnetz/topics.py`) and `schemas/` by "
        "`nahnetz schemas catalogue`; do not edit by hand.",
        "",
        "Every value is an Avro single-object encoded event: `C3 01`, the 8-byte CRC-64-AVRO "
        "fingerprint of the writer schema (little-endian, shown here in that byte order), then the "
        "Avro binary body. Every event starts with `meta` ([EventMeta](#nahnetz-common-eventmeta)). "
        "Times are UTC.",
        "",
        "| topic | key | owner | partitions | retention | events |",
        "|---|---|---|---|---|---|",
    ]
    for t in topics:
        events = ", ".join(f"[{e}](#{anchor(catalogue.get(e).full_name)})" for e in t.event_types)
        lines.append(f"| [{t.name}](#{anchor('topic.' + t.name)}) | `{t.key}` | {t.owner} | "
                     f"{t.partitions} | {_retention(t)} | {events} |")
    lines.append("")
    homes = _homes(topics)
    for topic in topics:
        lines += _topic_section(topic, catalogue, homes)
    lines += ["## Shared types", ""]
    for schema in sorted((s for s in catalogue if not s.is_event), key=lambda s: s.full_name):
        lines += _shared_type(schema)
    return "\n".join(lines).rstrip() + "\n"
