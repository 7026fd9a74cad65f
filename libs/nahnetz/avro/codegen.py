"""Typed records from `schemas/`: one Python class per Avro named type.

`nahnetz schemas generate` writes `libs/nahnetz/records/<domain>.py` and the index
`_index.py` that `nahnetz.records` re-exports. They are generated at install time
(`scripts/setup`, the Dockerfile) and never committed, so they cannot lag behind a
schema: the repository keeps only the schemas and this generator.

What a schema becomes:
- a record: a frozen, slotted, keyword-only dataclass with `from_avro(dict)` and
  `to_avro()` written out field by field (no reflection on the hot path);
- a record with a `meta` field: the same, based on `EventRecord` (an event);
- an enum: a `StrEnum`, so `reason == "OUT_OF_STOCK"` keeps working and fastavro
  writes it as the string it is.

Why generated plain dataclasses and not dataclasses-avroschema: that library
derives schemas from classes (the opposite direction; here `schemas/` is the
contract), and its models bring their own serialisation, while our wire format is
single-object encoding written by `nahnetz.avro.codec` with fastavro. Plain
generated code has no runtime dependency and is the fastest way to turn the
decoded dicts into values.
"""

from __future__ import annotations

import json
import keyword
import re
from pathlib import Path
from typing import Any

from .catalogue import PRIMITIVES, default_schemas_dir, read_definitions
from .errors import SchemaCatalogueError

INDEX = "_index"
HAND_WRITTEN = {"base", "__init__"}
HEADER = '"""Generated from schemas/{domain}/ by `nahnetz schemas generate`; do not edit."""\n'
PY_PRIMITIVES = {"null": "None", "boolean": "bool", "int": "int", "long": "int", "float": "float",
                 "double": "float", "bytes": "bytes", "string": "str"}
LOGICAL = {"date": "date", "timestamp-millis": "datetime", "timestamp-micros": "datetime",
           "time-millis": "time", "time-micros": "time"}


def records_dir() -> Path:
    return Path(__file__).resolve().parents[1] / "records"


def _domain(full_name: str) -> str:
    return full_name.split(".")[1]


def _short(full_name: str) -> str:
    return full_name.rsplit(".", 1)[-1]


class _Module:
    """The source of one domain's module, and what it needs to import."""

    def __init__(self, domain: str):
        self.domain = domain
        self.datetime_names: set[str] = set()
        self.foreign: dict[str, set[str]] = {}
        self.blocks: list[str] = []
        self.uses_field = False


class Generator:
    def __init__(self, raw: dict[str, dict]):
        self.raw = raw
        shorts: dict[str, str] = {}
        for full in raw:
            other = shorts.setdefault(_short(full), full)
            if other != full:
                raise SchemaCatalogueError(f"two types named {_short(full)}: {other} and {full}")

    # -- types -------------------------------------------------------------------

    def _named(self, name: str, mod: _Module) -> tuple[str, dict]:
        full = name if "." in name else None
        if full is None or full not in self.raw:
            raise SchemaCatalogueError(f"unknown type {name!r} in {mod.domain}")
        if _domain(full) != mod.domain:
            mod.foreign.setdefault(_domain(full), set()).add(_short(full))
        return _short(full), self.raw[full]

    def annotation(self, t: Any, mod: _Module) -> str:
        if isinstance(t, list):
            inner = [x for x in t if x != "null"]
            if len(inner) != 1:
                raise SchemaCatalogueError(f"only [null, T] unions are supported, not {t}")
            return f"{self.annotation(inner[0], mod)} | None"
        if isinstance(t, dict):
            kind = t["type"]
            if kind == "array":
                return f"list[{self.annotation(t['items'], mod)}]"
            if kind == "map":
                return f"dict[str, {self.annotation(t['values'], mod)}]"
            if t.get("logicalType") in LOGICAL:
                py = LOGICAL[t["logicalType"]]
                mod.datetime_names.add(py)
                return py
            if kind in PRIMITIVES:
                return PY_PRIMITIVES[kind]
            raise SchemaCatalogueError(f"inline named types are not supported: {t.get('name')}")
        if t in PRIMITIVES:
            return PY_PRIMITIVES[t]
        return self._named(t, mod)[0]

    def reader(self, t: Any, expr: str, mod: _Module) -> str:
        """Python that turns the decoded value `expr` into the typed value."""
        return self._convert(t, expr, mod, reading=True)

    def writer(self, t: Any, expr: str, mod: _Module) -> str:
        """Python that turns the typed value `expr` into what fastavro writes."""
        return self._convert(t, expr, mod, reading=False)

    def _convert(self, t: Any, expr: str, mod: _Module, *, reading: bool) -> str:
        # Containers convert their items; a conversion that changes nothing is left out.
        if isinstance(t, list):
            inner = self._convert([x for x in t if x != "null"][0], "v", mod, reading=reading)
            return expr if inner == "v" else f"_optional({expr}, lambda v: {inner})"
        if isinstance(t, dict):
            if t["type"] == "array":
                item = self._convert(t["items"], "x", mod, reading=reading)
                return expr if item == "x" else f"[{item} for x in {expr}]"
            if t["type"] == "map":
                value = self._convert(t["values"], "x", mod, reading=reading)
                return expr if value == "x" else f"{{k: {value} for k, x in {expr}.items()}}"
            return expr
        if t in PRIMITIVES:
            return expr
        cls, definition = self._named(t, mod)
        if definition["type"] == "enum":
            # StrEnums: fastavro writes them as the strings they are.
            return f"{cls}({expr})" if reading else expr
        return f"{cls}.from_avro({expr})" if reading else f"{expr}.to_avro()"

    def default(self, t: Any, value: Any, mod: _Module) -> str:
        """The dataclass default for a schema default."""
        if value is None:
            return " = None"
        inner = t
        if isinstance(t, list):
            inner = t[0]  # Avro: a union's default belongs to its first branch
        if isinstance(inner, dict) and inner["type"] in ("array", "map"):
            mod.uses_field = True
            if not value:
                return f" = field(default_factory={'list' if inner['type'] == 'array' else 'dict'})"
            return f" = field(default_factory=lambda: {self.reader(inner, repr(value), mod)})"
        if isinstance(inner, dict) and inner.get("logicalType") in LOGICAL:
            raise SchemaCatalogueError("defaults of logical types are not supported")
        if isinstance(inner, str) and inner not in PRIMITIVES:
            cls, definition = self._named(inner, mod)
            if definition["type"] == "enum":
                return f" = {cls}.{value}"
            mod.uses_field = True
            return f" = field(default_factory=lambda: {cls}.from_avro({value!r}))"
        return f" = {value!r}"

    # -- definitions -------------------------------------------------------------

    def enum(self, full: str, d: dict) -> str:
        lines = [f"class {_short(full)}(StrEnum):"]
        if d.get("doc"):
            lines.append(f"    {_docstring(d['doc'])}")
            lines.append("")
        lines += [f"    {s} = {_q(s)}" for s in d["symbols"]]
        return "\n".join(lines) + "\n"

    def record(self, full: str, d: dict, mod: _Module) -> str:
        name = _short(full)
        fields = d["fields"]
        is_event = any(f["name"] == "meta" for f in fields)
        base = "EventRecord" if is_event else "Record"
        lines = ["@dataclass(frozen=True, slots=True, kw_only=True)", f"class {name}({base}):"]
        if d.get("doc"):
            lines.append(f"    {_docstring(d['doc'])}")
            lines.append("")
        lines.append(f"    AVRO_NAME: ClassVar[str] = {_q(full)}")
        readers, writers = [], []
        for f in fields:
            fname = f["name"]
            if keyword.iskeyword(fname):
                raise SchemaCatalogueError(f"{full}.{fname} is a Python keyword")
            ann = self.annotation(f["type"], mod)
            default = self.default(f["type"], f["default"], mod) if "default" in f else ""
            lines.append(f"    {fname}: {ann}{default}")
            # A field that may be absent reads as its default: a record stored before the field
            # was added (a dict in Redis, say) still reads.
            value = f"r[{_q(fname)}]"
            if "default" in f and f["default"] in (None, [], {}):
                value = f"r.get({_q(fname)})" if f["default"] is None else f"r.get({_q(fname)}, {f['default']!r})"
            readers.append(f"            {fname}={self.reader(f['type'], value, mod)},")
            writers.append(f"            {_q(fname)}: {self.writer(f['type'], f'self.{fname}', mod)},")
        lines += ["", "    @classmethod", f"    def from_avro(cls, r: dict[str, Any]) -> {name}:",
                  "        return cls(", *readers, "        )", "",
                  "    def to_avro(self) -> dict[str, Any]:", "        return {", *writers, "        }"]
        return "\n".join(lines) + "\n"

    def modules(self) -> dict[str, str]:
        mods: dict[str, _Module] = {}
        # Enums first: record defaults name their symbols at class creation.
        order = lambda n: (_domain(n), self.raw[n]["type"] != "enum", _short(n))  # noqa: E731
        for full in sorted(self.raw, key=order):
            d = self.raw[full]
            mod = mods.setdefault(_domain(full), _Module(_domain(full)))
            if d["type"] == "enum":
                mod.blocks.append(self.enum(full, d))
            elif d["type"] == "record":
                mod.blocks.append(self.record(full, d, mod))
            else:
                raise SchemaCatalogueError(f"{full}: named type {d['type']} is not supported")
        out = {name: self.render(mod) for name, mod in mods.items()}
        out[INDEX] = self.render_index(sorted(mods))
        return out

    def render(self, mod: _Module) -> str:
        head = [HEADER.format(domain=mod.domain), "from __future__ import annotations", ""]
        if mod.uses_field:
            head.append("from dataclasses import dataclass, field")
        else:
            head.append("from dataclasses import dataclass")
        if mod.datetime_names:
            head.append(f"from datetime import {', '.join(sorted(mod.datetime_names))}")
        head.append("from typing import Any, ClassVar")
        head.append("")
        body = "\n\n".join(mod.blocks)
        base = [n for n in ("EventRecord", "Record", "StrEnum", "_optional")
                if re.search(rf"\b{n}\b", body)]
        head.append(f"from .base import {', '.join(base)}")
        for domain in sorted(mod.foreign):
            head.append(f"from .{domain} import {', '.join(sorted(mod.foreign[domain]))}")
        return "\n".join(head) + "\n\n\n" + body

    def render_index(self, domains: list[str]) -> str:
        lines = ['"""Every generated record class, re-exported by `nahnetz.records` (generated; do not edit)."""',
                 "", "from .base import EventRecord, Record", ""]
        names = []
        for domain in domains:
            shorts = sorted(_short(f) for f in self.raw if _domain(f) == domain)
            names += shorts
            lines.append(f"from .{domain} import (  # noqa: F401")
            lines += [f"    {s}," for s in shorts]
            lines.append(")")
        lines += ["", "__all__ = [", '    "EventRecord",', '    "Record",']
        lines += [f"    {_q(s)}," for s in sorted(names)]
        lines.append("]")
        return "\n".join(lines) + "\n"


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _docstring(doc: str) -> str:
    doc = doc.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return f'"""{doc}"""'


def generate(schemas_root: Path | None = None) -> dict[str, str]:
    """File name (without `.py`) -> source, for every domain and the index."""
    raw, _ = read_definitions(Path(schemas_root or default_schemas_dir()))
    return Generator(raw).modules()


def write(target: Path | None = None, schemas_root: Path | None = None) -> list[Path]:
    target = Path(target or records_dir())
    written = []
    for name, source in generate(schemas_root).items():
        path = target / f"{name}.py"
        if not path.exists() or path.read_text(encoding="utf-8") != source:
            path.write_text(source, encoding="utf-8")
            written.append(path)
    return written


def stale(target: Path | None = None, schemas_root: Path | None = None) -> list[str]:
    """Modules whose committed source differs from what the schemas generate."""
    target = Path(target or records_dir())
    expected = generate(schemas_root)
    out = [name for name, source in expected.items()
           if not (target / f"{name}.py").exists() or (target / f"{name}.py").read_text(encoding="utf-8") != source]
    generated = {p.stem for p in target.glob("*.py")} - HAND_WRITTEN
    out += sorted(generated - set(expected))
    return out
