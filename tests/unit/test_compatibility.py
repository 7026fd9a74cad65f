"""`nahnetz schemas check` and `release` against real git repositories: a copy
of schemas/ committed in a temporary repository, then changed."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any, Callable

import pytest
from click.testing import CliRunner

from nahnetz.avro import codec
from nahnetz.avro.catalogue import RELEASED_DIR, SchemaCatalogue
from nahnetz.cli import main
from nahnetz.contracts import history as history_module
from nahnetz.contracts.compatibility import check_command, compare, release_command
from nahnetz.contracts.history import Git, SchemaHistory
from nahnetz.events import new_event, read_event
from nahnetz.records import OrderCancelled

REPO = Path(__file__).resolve().parents[2]


class Repo:
    def __init__(self, root: Path):
        self.root = root
        self.schemas = root / "schemas"

    def git(self, *args: str) -> str:
        return subprocess.run(["git", "-C", str(self.root), *args], check=True,
                              capture_output=True, text=True).stdout.strip()

    def commit(self, message: str) -> str:
        self.git("add", "-A", "schemas")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD")

    def edit(self, rel: str, change: Callable[[dict[str, Any]], None]) -> None:
        path = self.schemas / rel
        doc = json.loads(path.read_text())
        change(doc)
        path.write_text(json.dumps(doc, indent=2))

    def catalogue(self) -> SchemaCatalogue:
        return SchemaCatalogue.load(self.schemas)


def add_field(field: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc["fields"].append(field)


def drop_field(name: str) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc.__setitem__("fields", [f for f in doc["fields"] if f["name"] != name])


def set_type(name: str, new_type: Any, **default: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        for f in doc["fields"]:
            if f["name"] == name:
                f["type"] = new_type
                f.pop("default", None)
                f.update(default)
    return change


def definition(node: Any, full_name: str) -> dict[str, Any] | None:
    """Where an expanded schema defines `full_name` (at its first use)."""
    if isinstance(node, dict):
        if node.get("name") == full_name and node.get("type") in ("record", "enum"):
            return node
        children = [f["type"] for f in node.get("fields", [])] + [node.get("type"), node.get("items"),
                                                                  node.get("values")]
    elif isinstance(node, list):
        children = node
    else:
        return None
    return next((d for d in (definition(c, full_name) for c in children) if d), None)


def drop_symbol(symbol: str) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc["symbols"].remove(symbol)


@pytest.fixture
def git_env(monkeypatch, tmp_path):
    for who in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{who}_NAME", "Contract Test")
        monkeypatch.setenv(f"GIT_{who}_EMAIL", "contract-test@example.invalid")
    # No global or system config (signing, hooks) of the machine gets in.
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-global-gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


@pytest.fixture
def plain_copy(tmp_path) -> Repo:
    # The domains the tests change, and what they refer to: enough to be real,
    # small enough to be quick (fingerprinting is pure Python).
    root = tmp_path / "work"
    for domain in ("common", "catalog", "orders"):
        shutil.copytree(REPO / "schemas" / domain, root / "schemas" / domain)
    return Repo(root)


@pytest.fixture
def repo(plain_copy, git_env) -> Repo:
    plain_copy.git("init", "-q", "-b", "main")
    plain_copy.first = plain_copy.commit("contracts v1")
    return plain_copy


def run_check(capsys, repo: Repo, base: str = "origin/main") -> tuple[int, str]:
    code = check_command(base, root=repo.root)
    return code, capsys.readouterr().out


def lines(output: str, kind: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(kind)]


# -- the check ---------------------------------------------------------------------------------
def test_unchanged_schemas_pass_and_a_missing_base_falls_back_to_head(capsys, repo):
    code, out = run_check(capsys, repo)
    assert code == 0, out
    assert "origin/main does not resolve; comparing with the history of HEAD" in out
    assert "fully compatible" in out


def test_a_field_with_a_default_is_compatible_and_passes_once_released(capsys, repo):
    before = repo.catalogue()
    old_bytes = new_event(OrderCancelled, producer="orders-api", catalogue=before,
                          order_id="o-7", reason="moved away").encode()
    repo.edit("orders/OrderCancelled.avsc", add_field(
        {"name": "refund", "type": ["null", "nahnetz.common.Money"], "default": None}))

    code, out = run_check(capsys, repo)
    assert code == 1
    assert lines(out, "INCOMPATIBLE") == []
    (missing,) = lines(out, "NOT RELEASED")
    assert "nahnetz.orders.OrderCancelled" in missing and "nahnetz schemas release" in missing
    assert repo.first[:10] in missing

    assert release_command(root=repo.root) == 0
    old_fp = before.get("OrderCancelled").fingerprint.hex()
    released = repo.schemas / RELEASED_DIR / f"nahnetz.orders.OrderCancelled.{old_fp}.avsc"
    assert json.loads(released.read_text()) == before.get("OrderCancelled").expanded
    assert sorted(p.name for p in (repo.schemas / RELEASED_DIR).iterdir()) == [released.name]

    code, out = run_check(capsys, repo)
    assert code == 0, out
    # An event written before the change still decodes, resolved to the new schema
    # (the codec's dict: nahnetz.records is generated from the repository's schemas,
    # not from this copy's edited one).
    schema, record = codec.decode(old_bytes, repo.catalogue())
    assert schema.fingerprint != before.get("OrderCancelled").fingerprint
    assert (record["order_id"], record["reason"], record["refund"]) == ("o-7", "moved away", None)

    assert release_command(root=repo.root) == 0
    assert "already released" in capsys.readouterr().out


@pytest.mark.parametrize("rel, change, expected", [
    ("orders/OrderCancelled.avsc", add_field({"name": "refund_cents", "type": "long"}),
     ["backward", "reader_field_missing_default_value", "refund_cents"]),
    ("orders/OrderCancelled.avsc", drop_field("order_id"),
     ["forward", "reader_field_missing_default_value", "order_id"]),
    ("orders/OrderCancelled.avsc", set_type("order_id", "long"),
     ["type_mismatch", "reader type: long not compatible with writer type: string"]),
    ("common/Channel.avsc", drop_symbol("PAPER"), ["enum nahnetz.common.Channel lost symbol(s) PAPER"]),
], ids=["field without default", "removed field", "changed type", "removed enum symbol"])
def test_incompatible_changes_fail_naming_schema_commit_and_reason(capsys, repo, rel, change, expected):
    repo.edit(rel, change)
    code, out = run_check(capsys, repo)
    assert code == 1
    found = [line for line in lines(out, "INCOMPATIBLE nahnetz.orders.OrderCancelled vs ")
             if all(text in line for text in expected)]
    assert found, out
    assert repo.first[:10] in found[0]


def test_type_changes_fail_both_ways(capsys, repo):
    repo.edit("orders/OrderCancelled.avsc", set_type("order_id", "long"))
    _, out = run_check(capsys, repo)
    mine = lines(out, "INCOMPATIBLE nahnetz.orders.OrderCancelled vs ")
    assert any("backward" in line for line in mine) and any("forward" in line for line in mine)


def test_an_old_version_is_expanded_with_the_files_of_its_commit(capsys, repo):
    before = repo.catalogue().get("OrderPlaced")
    # Money gains a field without default and this is committed: OrderPlaced's own
    # file never changed, but its version at the first commit had the old Money.
    repo.edit("common/Money.avsc", add_field({"name": "note", "type": "string"}))
    second = repo.commit("money notes")

    versions = SchemaHistory(Git(repo.root)).versions("HEAD")["nahnetz.orders.OrderPlaced"]
    assert len(versions) == 2
    by_commit = {v.newest.sha: v for v in versions}
    old, new = by_commit[repo.first], by_commit[second]
    assert old.schema.expanded == before.expanded
    assert old.fingerprint == before.fingerprint
    old_money = definition(old.schema.expanded, "nahnetz.common.Money")
    new_money = definition(new.schema.expanded, "nahnetz.common.Money")
    assert [f["name"] for f in old_money["fields"]] == ["amount_cents", "currency"]
    assert [f["name"] for f in new_money["fields"]] == ["amount_cents", "currency", "note"]

    code, out = run_check(capsys, repo)
    assert code == 1
    flagged = [line for line in lines(out, f"INCOMPATIBLE nahnetz.orders.OrderPlaced vs {repo.first[:10]}")
               if "backward" in line and "note" in line]
    assert flagged, out


def test_only_the_history_of_the_base_counts(capsys, repo):
    repo.git("branch", "released")
    repo.edit("orders/OrderCancelled.avsc", add_field({"name": "x", "type": "string", "default": ""}))
    second = repo.commit("x on main only")
    # Compatible with the released version (x is new there, with a default), not with main's.
    repo.edit("orders/OrderCancelled.avsc", set_type("x", "long", default=0))

    _, out = run_check(capsys, repo, base="released")
    assert "released (" in out
    assert lines(out, "INCOMPATIBLE") == []
    _, out = run_check(capsys, repo, base="HEAD")
    assert any(second[:10] in line for line in lines(out, "INCOMPATIBLE nahnetz.orders.OrderCancelled"))


def test_a_removed_event_must_stay_decodable(capsys, repo):
    old_bytes = new_event(OrderCancelled, producer="orders-api", catalogue=repo.catalogue(),
                          order_id="o-9").encode()
    (repo.schemas / "orders" / "OrderCancelled.avsc").unlink()
    code, out = run_check(capsys, repo)
    assert code == 1
    assert any("was removed" in line for line in lines(out, "NOT RELEASED nahnetz.orders.OrderCancelled"))
    assert release_command(root=repo.root) == 0
    assert run_check(capsys, repo)[0] == 0
    assert read_event(old_bytes, repo.catalogue()).order_id == "o-9"


def test_schemas_that_do_not_load_fail_with_a_clear_message(capsys, repo):
    (repo.schemas / "orders" / "OrderCancelled.avsc").write_text("{not json")
    code, out = run_check(capsys, repo)
    assert code == 1
    assert "error: the schemas do not load" in out and "OrderCancelled.avsc" in out


def test_without_git_history_the_check_passes_with_a_note(capsys, plain_copy, git_env):
    code, out = run_check(capsys, plain_copy)
    assert code == 0 and "not in a git repository" in out
    plain_copy.git("init", "-q", "-b", "main")
    code, out = run_check(capsys, plain_copy)
    assert code == 0 and "no commits yet" in out


def test_git_is_asked_once_per_commit_and_contents_once(capsys, repo, monkeypatch):
    repo.edit("common/Money.avsc", add_field({"name": "a", "type": "string", "default": ""}))
    repo.commit("a")
    repo.edit("common/Money.avsc", add_field({"name": "b", "type": "string", "default": ""}))
    repo.commit("b")
    calls: list[str] = []
    real_run = Git.run

    def counting(self, *args, **kwargs):
        calls.append(args[0])
        return real_run(self, *args, **kwargs)

    monkeypatch.setattr(history_module.Git, "run", counting)
    comparison = compare("HEAD", root=repo.root)
    assert comparison.commit_count == 3
    assert calls.count("log") == 1
    assert calls.count("ls-tree") == 3
    assert calls.count("cat-file") == 1


# -- the real repository ---------------------------------------------------------------------------
def test_the_repository_schemas_are_compatible_with_their_history(capsys):
    code, out = run_check(capsys, Repo(REPO))
    assert code == 0, out


def test_the_cli_runs_check_and_offers_release():
    runner = CliRunner()
    result = runner.invoke(main, ["schemas", "check", "--base", "HEAD"])
    assert result.exit_code == 0, result.output
    assert "fully compatible" in result.output
    result = runner.invoke(main, ["schemas", "release", "--help"])
    assert result.exit_code == 0 and "_released" in result.output
