"""Earlier versions of the event schemas, read from git.

A schema's earlier version is its type *expanded with the schema files as they
were at that commit*: when `common/Money.avsc` changed, every event using Money
changed with it, although the event's own file did not.

Reading is kept cheap: one `git log` for the schema folder, one `git ls-tree`
per commit that touched it, one `git cat-file --batch` for all file contents
not read before, and expansion only once per distinct set of files a type
depends on.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from fastavro.schema import SchemaParseException

from ..avro.catalogue import RELEASED_DIR, Schema, expand
from ..avro.errors import SchemaCatalogueError


class GitError(RuntimeError):
    """A git command failed."""


@dataclass(frozen=True)
class Commit:
    sha: str
    date: str  # committer date, YYYY-MM-DD
    subject: str

    @property
    def short(self) -> str:
        return self.sha[:10]

    def __str__(self) -> str:
        return f"{self.short} ({self.date} {self.subject!r})"


@dataclass
class Version:
    """One distinct earlier version of a type (distinct by fingerprint), with
    the commits that had it, newest first."""

    schema: Schema
    commits: list[Commit] = field(default_factory=list)

    @property
    def fingerprint(self) -> bytes:
        return self.schema.fingerprint

    @property
    def newest(self) -> Commit:
        return self.commits[0]


class Git:
    """The few git plumbing commands the history needs, run in one repository."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._blobs: dict[str, bytes] = {}

    def run(self, *args: str, input: bytes | None = None) -> bytes:
        try:
            done = subprocess.run(
                ["git", "-C", str(self.root), *args],
                input=input, capture_output=True, check=False,
                env={**os.environ, "LC_ALL": "C"},  # English messages, which toplevel() reads
            )
        except FileNotFoundError as exc:
            raise GitError("git is not installed") from exc
        if done.returncode != 0:
            raise GitError(f"git {' '.join(args)}: {done.stderr.decode(errors='replace').strip()}")
        return done.stdout

    def toplevel(self) -> Path | None:
        """The repository's root, None outside a repository. Other failures (e.g.
        git refusing a repository of another owner) raise: the check must not
        pass silently because git could not be asked."""
        try:
            return Path(self.run("rev-parse", "--show-toplevel").decode().strip())
        except GitError as exc:
            if "not a git repository" in str(exc).lower():
                return None
            raise

    def resolve(self, rev: str) -> str | None:
        """The commit `rev` names, or None when it names none (no origin, no commits)."""
        try:
            out = self.run("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
        except GitError:
            return None
        return out.decode().strip() or None

    def is_shallow(self) -> bool:
        try:
            return self.run("rev-parse", "--is-shallow-repository").decode().strip() == "true"
        except GitError:
            return False

    def commits_touching(self, rev: str, path: str) -> list[Commit]:
        """Commits reachable from `rev` that changed `path`, newest first."""
        out = self.run("log", "-z", "--format=%H%x1f%cs%x1f%s", rev, "--", path).decode(errors="replace")
        commits = []
        for entry in filter(None, (e.strip("\n") for e in out.split("\0"))):
            sha, date, subject = entry.split("\x1f", 2)
            commits.append(Commit(sha, date, subject))
        return commits

    def tree(self, commit: str, path: str) -> dict[str, str]:
        """{file path: blob id} of every file under `path` at `commit`."""
        out = self.run("ls-tree", "-r", "-z", "--full-tree", commit, "--", path).decode()
        files = {}
        for entry in filter(None, out.split("\0")):
            meta, name = entry.split("\t", 1)
            _mode, kind, blob = meta.split()
            if kind == "blob":
                files[name] = blob
        return files

    def read_blobs(self, blobs: set[str]) -> dict[str, bytes]:
        """Contents of the given blobs; each is read from git once per instance."""
        missing = sorted(blobs - self._blobs.keys())
        if missing:
            out = self.run("cat-file", "--batch", input="".join(b + "\n" for b in missing).encode())
            pos = 0
            for blob in missing:
                header_end = out.index(b"\n", pos)
                sha, kind, size = out[pos:header_end].decode().split()
                if sha != blob or kind != "blob":
                    raise GitError(f"cat-file answered {sha} {kind} for {blob}")
                start = header_end + 1
                self._blobs[blob] = out[start:start + int(size)]
                pos = start + int(size) + 1  # content is followed by a newline
        return {b: self._blobs[b] for b in blobs}


def _named_full_name(doc: dict[str, Any]) -> str:
    name = doc["name"]
    if "." in name or not doc.get("namespace"):
        return name
    return f"{doc['namespace']}.{name}"


def _strings(node: Any, out: set[str]) -> set[str]:
    if isinstance(node, str):
        out.add(node)
    elif isinstance(node, list):
        for item in node:
            _strings(item, out)
    elif isinstance(node, dict):
        for value in node.values():
            _strings(value, out)
    return out


class SchemaHistory:
    """Every earlier version of every type under `folder` in the history of a revision."""

    def __init__(self, git: Git, folder: str = "schemas"):
        self.git = git
        self.folder = str(PurePosixPath(folder))
        self.notes: list[str] = []
        self._docs: dict[str, tuple[str, dict[str, Any]] | None] = {}
        self._expanded: dict[tuple, Schema | None] = {}

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def versions(self, rev: str) -> dict[str, list[Version]]:
        """{full name: distinct versions, newest first} over every commit reachable
        from `rev` that changed the schema folder."""
        commits = self.git.commits_touching(rev, self.folder)
        trees = {c.sha: self._schema_files(c.sha) for c in commits}
        self._parse_blobs({blob for tree in trees.values() for blob in tree.values()})
        found: dict[str, dict[bytes, Version]] = {}
        for commit in commits:  # newest first, so each version's commits are too
            for name, schema in self._expand_all(commit, trees[commit.sha]).items():
                version = found.setdefault(name, {}).setdefault(schema.fingerprint, Version(schema))
                version.commits.append(commit)
        return {name: list(by_fp.values()) for name, by_fp in found.items()}

    def _schema_files(self, commit: str) -> dict[str, str]:
        return {
            path: blob
            for path, blob in self.git.tree(commit, self.folder).items()
            if path.endswith(".avsc") and RELEASED_DIR not in PurePosixPath(path).parts
        }

    def _parse_blobs(self, blobs: set[str]) -> None:
        new = blobs - self._docs.keys()
        for blob, data in self.git.read_blobs(new).items():
            try:
                doc = json.loads(data.decode("utf-8"))
                self._docs[blob] = (_named_full_name(doc), doc)
            except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, AttributeError):
                self._docs[blob] = None

    def _expand_all(self, commit: Commit, files: dict[str, str]) -> dict[str, Schema]:
        raw: dict[str, dict[str, Any]] = {}
        blob_of: dict[str, str] = {}
        for path, blob in sorted(files.items()):
            parsed = self._docs[blob]
            if parsed is None:
                self._note(f"{path} at {commit.short} is not a named Avro type; skipped")
                continue
            name, doc = parsed
            if name in raw:
                self._note(f"{name} is defined twice at {commit.short}; kept the first")
                continue
            raw[name], blob_of[name] = doc, blob
        by_short: dict[str, list[str]] = {}
        for name in raw:
            by_short.setdefault(name.rsplit(".", 1)[-1], []).append(name)

        def direct_refs(name: str) -> set[str]:
            # Every string that could name a type: a superset is fine, it only
            # makes the cache key larger.
            refs = set()
            for s in _strings(raw[name], set()):
                if s in raw:
                    refs.add(s)
                refs.update(by_short.get(s.rsplit(".", 1)[-1], ()))
            return refs

        refs = {name: direct_refs(name) for name in raw}
        out = {}
        for name in raw:
            closure, todo = set(), [name]
            while todo:
                current = todo.pop()
                if current not in closure:
                    closure.add(current)
                    todo.extend(refs[current] - closure)
            key = (name, tuple(sorted((dep, blob_of[dep]) for dep in closure)))
            if key not in self._expanded:
                try:
                    schema = Schema(name, expand(name, raw), Path(f"{commit.short}:{self.folder}"), current=False)
                    schema.fingerprint  # parses it: a broken old file is skipped here, not later
                    self._expanded[key] = schema
                except (SchemaCatalogueError, SchemaParseException, KeyError, TypeError, ValueError) as exc:
                    # fastavro's parse errors are ValueErrors; an old broken commit
                    # must not stop the check of the current schemas.
                    self._note(f"{name} at {commit.short} could not be expanded ({exc}); skipped")
                    self._expanded[key] = None
            if self._expanded[key] is not None:
                out[name] = self._expanded[key]
        return out
