"""FULL_TRANSITIVE compatibility of the event schemas with every earlier version.

`nahnetz schemas check` compares the working tree's schemas (so uncommitted
changes count) with each distinct earlier version in the git history of a base
revision, both ways, with the official Avro package's
`ReaderWriterCompatibilityChecker`:

- backward: the new schema reads events written with the old one (a service
  reading the topic from the start after an upgrade);
- forward: the old schema reads events written with the new one (a service
  not yet upgraded).

An event whose schema changed must also keep each earlier version in
`schemas/_released/`, because a reader finds the writer schema of every event
by its fingerprint. `nahnetz schemas release` writes the missing ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

from ..avro.catalogue import RELEASED_DIR, Schema, SchemaCatalogue, default_schemas_dir
from ..avro.errors import SchemaCatalogueError, UnknownSchema
from .history import Commit, Git, GitError, SchemaHistory, Version

BACKWARD = "backward (new schema reads old events)"
FORWARD = "forward (old schema reads new events)"
RELEASE_HINT = "run `nahnetz schemas release` and commit schemas/_released/"


INCOMPATIBLE = "INCOMPATIBLE"
NOT_RELEASED = "NOT RELEASED"


@dataclass(frozen=True)
class Problem:
    kind: str  # INCOMPATIBLE or NOT_RELEASED
    full_name: str
    commit: Commit | None
    text: str

    def __str__(self) -> str:
        where = f" vs {self.commit}" if self.commit else ""
        return f"{self.kind} {self.full_name}{where}: {self.text}"


@dataclass
class Comparison:
    """The working tree's schemas and their earlier versions."""

    schemas_dir: Path
    current: SchemaCatalogue
    history: dict[str, list[Version]] = field(default_factory=dict)
    base: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def commit_count(self) -> int:
        return len({c.sha for versions in self.history.values() for v in versions for c in v.commits})

    def current_of(self, full_name: str) -> Schema | None:
        try:
            return self.current.get(full_name)
        except UnknownSchema:
            return None

    def is_released(self, version: Version) -> bool:
        """Old events written with `version` decode through the catalogue."""
        try:
            self.current.by_fingerprint(version.fingerprint)
            return True
        except UnknownSchema:
            return False

    def needs_release(self, full_name: str) -> list[Version]:
        """Earlier versions of an event that differ from the current one on the wire.
        Only events are written alone; a changed sub-record shows up as a new
        version of each event that holds it."""
        now = self.current_of(full_name)
        return [
            v for v in self.history.get(full_name, [])
            if (v.schema.is_event or (now is not None and now.is_event))
            and (now is None or v.fingerprint != now.fingerprint)
        ]


# -- the checker -------------------------------------------------------------------------
@lru_cache(maxsize=4096)
def _parse(schema_json: str) -> avro.schema.Schema:
    return avro.schema.parse(schema_json)


def _avro(expanded: dict[str, Any]) -> avro.schema.Schema:
    return _parse(json.dumps(expanded, sort_keys=True))


def incompatibility(reader: dict[str, Any], writer: dict[str, Any]) -> str | None:
    """None when `reader` can read everything `writer` writes, else the checker's message."""
    # A fresh checker per pair: it memoises by object identity.
    result = ReaderWriterCompatibilityChecker().get_compatibility(_avro(reader), _avro(writer))
    if result.compatibility is SchemaCompatibilityType.compatible:
        return None
    kinds = ", ".join(sorted({kind.value for kind in result.incompatibilities}))
    messages = "; ".join(sorted(result.messages))
    # Union branches are checked without a location and report "/": keep the real ones.
    locations = ", ".join(sorted(loc for loc in result.locations if loc != "/") or ["/"])
    return f"{kinds}: {messages} at {locations}"


def _enums(node: Any, out: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every enum defined in an expanded schema, by full name."""
    if isinstance(node, list):
        for item in node:
            _enums(item, out)
    elif isinstance(node, dict):
        if node.get("type") == "enum":
            out[node["name"]] = node
        for value in node.values():
            if isinstance(value, (dict, list)):
                _enums(value, out)
    return out


def lost_enum_symbols(old: dict[str, Any], new: dict[str, Any]) -> str | None:
    """Our rule on top of Avro's: an enum never loses a symbol. Avro accepts it
    when the enum has a default, but replaying old events would then silently
    turn the symbol into the default."""
    before, after = _enums(old, {}), _enums(new, {})
    lost = []
    for name, enum in sorted(before.items()):
        if name in after:
            gone = [s for s in enum["symbols"] if s not in after[name]["symbols"]]
            if gone:
                lost.append(f"enum {name} lost symbol(s) {', '.join(gone)}: old events holding them "
                            f"would read as {after[name].get('default')!r}")
    return "; ".join(lost) or None


def find_problems(comparison: Comparison) -> list[Problem]:
    problems = []
    for name, versions in sorted(comparison.history.items()):
        now = comparison.current_of(name)
        if now is not None:
            for version in versions:
                if version.fingerprint == now.fingerprint:
                    continue  # same canonical form: same fields and types
                for direction, reader, writer in (
                    (BACKWARD, now, version.schema),
                    (FORWARD, version.schema, now),
                ):
                    message = incompatibility(reader.expanded, writer.expanded)
                    if message:
                        problems.append(Problem(INCOMPATIBLE, name, version.newest, f"{direction}: {message}"))
                message = lost_enum_symbols(version.schema.expanded, now.expanded)
                if message:
                    problems.append(Problem(INCOMPATIBLE, name, version.newest, message))
        for version in comparison.needs_release(name):
            if not comparison.is_released(version):
                gone = "was removed" if now is None else "changed"
                problems.append(Problem(
                    NOT_RELEASED, name, version.newest,
                    f"the event {gone} but its earlier version {version.fingerprint.hex()} is not in "
                    f"{RELEASED_DIR}/, so its events could no longer be decoded: {RELEASE_HINT}",
                ))
    return problems


# -- loading -------------------------------------------------------------------------------
def compare(base: str = "origin/main", root: Path | str | None = None) -> Comparison:
    """Load the working tree's schemas and their history on `base` (falling back
    to HEAD when `base` does not resolve). Raises SchemaCatalogueError, GitError."""
    schemas_dir = Path(root) / "schemas" if root is not None else default_schemas_dir()
    comparison = Comparison(schemas_dir, SchemaCatalogue.load(schemas_dir))
    top = Git(schemas_dir).toplevel()
    if top is None:
        comparison.notes.append(f"{schemas_dir} is not in a git repository: no earlier versions to compare with")
        return comparison
    git = Git(top)  # pathspecs are relative to where git runs
    try:
        folder = schemas_dir.resolve().relative_to(top.resolve()).as_posix()
    except ValueError:
        comparison.notes.append(f"{schemas_dir} lies outside the repository {top}")
        return comparison
    rev = git.resolve(base)
    comparison.base = base
    if rev is None:
        rev = git.resolve("HEAD")
        comparison.base = "HEAD"
        if rev is None:
            comparison.notes.append(f"{base} does not resolve and there are no commits yet: nothing to compare with")
            return comparison
        comparison.notes.append(f"{base} does not resolve; comparing with the history of HEAD")
    if git.is_shallow():
        comparison.notes.append("shallow clone: versions older than the clone's depth are not checked")
    history = SchemaHistory(git, folder)
    comparison.history = history.versions(rev)
    comparison.base = f"{comparison.base} ({rev[:10]})"
    comparison.notes.extend(history.notes)
    return comparison


def _load(base: str, root: Path | str | None) -> Comparison | None:
    try:
        return compare(base, root)
    except SchemaCatalogueError as exc:
        print(f"error: the schemas do not load: {exc}")
    except GitError as exc:
        print(f"error: {exc}")
    return None


# -- commands ------------------------------------------------------------------------------
def check_command(base: str = "origin/main", root: Path | str | None = None) -> int:
    """Print every incompatible (schema, earlier version) pair and every missing
    release; 0 when there are none."""
    comparison = _load(base, root)
    if comparison is None:
        return 1
    for note in comparison.notes:
        print(f"note: {note}")
    versions = sum(len(v) for v in comparison.history.values())
    print(f"compared {len(list(comparison.current))} schemas with {versions} versions "
          f"from {comparison.commit_count} commits of {comparison.base or 'no history'}")
    problems = find_problems(comparison)
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problem(s)" if problems else "all schemas are fully compatible with their history")
    return 1 if problems else 0


def release_command(base: str = "origin/main", root: Path | str | None = None) -> int:
    """Write each earlier version of a changed or removed event that is not yet
    in `schemas/_released/` as `<full name>.<fingerprint hex>.avsc`."""
    comparison = _load(base, root)
    if comparison is None:
        return 1
    for note in comparison.notes:
        print(f"note: {note}")
    out_dir = comparison.schemas_dir / RELEASED_DIR
    written = []
    for name in sorted(comparison.history):
        for version in comparison.needs_release(name):
            if comparison.is_released(version):
                continue
            out_dir.mkdir(exist_ok=True)
            # The hex of the fingerprint's 8 bytes in wire order, as in an event's header.
            path = out_dir / f"{name}.{version.fingerprint.hex()}.avsc"
            path.write_text(json.dumps(version.schema.expanded, indent=2, ensure_ascii=False) + "\n",
                            encoding="utf-8")
            written.append(path)
            print(f"released {path} (from {version.newest})")
    if not written:
        print("every earlier version is already released")
    return 0
