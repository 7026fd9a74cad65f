"""The rules that keep the services alike, checked on the tree itself.

Import rules (domain pure, services independent) are import-linter's contracts in
pyproject.toml; this module checks what an import graph cannot: every service has the
skeleton of CONTRIBUTING.md, and only `nahnetz.topics` writes a topic's name.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from nahnetz.stack.discovery import discover, service_names
from nahnetz.topics import all_with_dead_letters

REPO = Path(__file__).resolve().parents[2]
SERVICES = REPO / "services"

ALWAYS = {"__init__.py", "worker.py", "settings.py", "keys.py", "rebuild.py"}
# The web front reads and writes only through the APIs: no topic, so no worker and
# nothing to rebuild (its own records are sign-ins: accounts and sessions).
NO_WORKER = {"web"}
WITH_API = {"api.py", "routes.py", "http_models.py"}
OPTIONAL_MODULES = {"queries.py"}
PACKAGES = {"domain", "handlers"}
OPTIONAL_FOLDERS = {"templates", "static", "node_modules", "__pycache__"}


def service_folders() -> list[Path]:
    return [SERVICES / name for name in service_names(discover(SERVICES))]


def skeleton_problems(folder: Path) -> list[str]:
    """What the folder lacks or has beyond the skeleton, in words."""
    files = {p.name for p in folder.iterdir() if p.is_file() and p.suffix == ".py"}
    folders = {p.name for p in folder.iterdir() if p.is_dir()}
    has_api = "api.py" in files or "routes.py" in files
    always = ALWAYS - {"worker.py", "rebuild.py"} if folder.name in NO_WORKER else ALWAYS
    required = always | (WITH_API if has_api else set())
    problems = [f"missing {name}" for name in sorted(required - files)]
    # More routers of the API, one module per concern (`export_routes.py`, `report_routes.py`).
    more_routes = {name for name in files if has_api and name.endswith("_routes.py")}
    problems += [f"{name} is not part of the skeleton (move it into domain/ or handlers/)"
                 for name in sorted(files - required - OPTIONAL_MODULES - more_routes)]
    problems += [f"missing package {name}/" for name in sorted(PACKAGES - folders)]
    problems += [f"{name}/ is not part of the skeleton" for name in sorted(folders - PACKAGES - OPTIONAL_FOLDERS)]
    for package in PACKAGES & folders:
        for sub in [folder / package, *[p for p in (folder / package).rglob("*") if p.is_dir()]]:
            if sub.name != "__pycache__" and any(sub.glob("*.py")) and not (sub / "__init__.py").is_file():
                problems.append(f"{sub.relative_to(folder)}/ has no __init__.py (no namespace packages)")
    return problems


@pytest.mark.parametrize("folder", service_folders(), ids=lambda p: p.name)
def test_every_service_has_the_one_skeleton(folder):
    assert skeleton_problems(folder) == []


def test_the_skeleton_check_names_what_is_wrong(tmp_path):
    service = tmp_path / "lonely"
    (service / "domain").mkdir(parents=True)
    (service / "domain" / "rules.py").write_text("")
    for name in ("__init__.py", "worker.py", "helpers.py"):
        (service / name).write_text("")
    problems = skeleton_problems(service)
    assert "missing settings.py" in problems and "missing keys.py" in problems
    assert "helpers.py is not part of the skeleton (move it into domain/ or handlers/)" in problems
    assert "missing package handlers/" in problems
    assert "domain/ has no __init__.py (no namespace packages)" in problems


def topic_literals(path: Path, root: Path = REPO) -> list[str]:
    """String constants in a Python file that are a topic's name (or a dead-letter topic's)."""
    names = {t.name for t in all_with_dead_letters()}
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names:
            found.append(f"{path.relative_to(root)}:{node.lineno}: {node.value!r}")
    return found


def test_only_the_topic_registry_writes_a_topic_name():
    sources = [*SERVICES.rglob("*.py"), *(REPO / "libs" / "nahnetz").rglob("*.py")]
    registry = REPO / "libs" / "nahnetz" / "topics.py"
    found = [hit for path in sources if path != registry for hit in topic_literals(path)]
    assert found == [], "use the constants of nahnetz.topics:\n" + "\n".join(found)


def test_the_topic_check_finds_a_literal(tmp_path):
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text('TOPIC = "orders.orders"\nDLQ = "orders.orders.dlq"\nOTHER = "orders"\n', encoding="utf-8")
    assert topic_literals(sneaky, tmp_path) == ["sneaky.py:1: 'orders.orders'", "sneaky.py:2: 'orders.orders.dlq'"]


def test_every_service_says_what_it_does_in_its_package_docstring():
    for folder in service_folders():
        doc = ast.get_docstring(ast.parse((folder / "__init__.py").read_text(encoding="utf-8")))
        assert doc and re.search(r"topic", doc, re.I), f"{folder.name}/__init__.py: say what it does and its topics"
