"""Which processes the stack runs, and on which ports."""

from __future__ import annotations

from pathlib import Path

import pytest

from nahnetz.stack.discovery import ServiceProcess, api_urls, assign_ports, discover
from nahnetz.stack.processes import StackError


def make_services(root: Path, layout: dict[str, list[str]]) -> Path:
    folder = root / "services"
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    for service, files in layout.items():
        (folder / service).mkdir()
        for name in files:
            (folder / service / name).write_text("")
    return folder


def test_discovers_apis_and_workers_sorted_by_service_api_first(tmp_path):
    folder = make_services(tmp_path, {
        "pickup": ["__init__.py", "worker.py", "api.py"],
        "catalog": ["__init__.py", "api.py", "worker.py", "domain.py"],
        "notify": ["__init__.py", "worker.py"],
        "kpi": ["__init__.py", "api.py"],
    })
    assert [p.name for p in discover(folder)] == [
        "catalog-api", "catalog-worker", "kpi-api", "notify-worker", "pickup-api", "pickup-worker"]


def test_skips_private_folders_libraries_and_files(tmp_path):
    folder = make_services(tmp_path, {
        "_template": ["api.py", "worker.py"],
        "__pycache__": ["api.py"],
        "routing": ["__init__.py", "solver.py"],  # a library, no entry point
        "orders": ["__init__.py", "api.py"],
    })
    (folder / "api.py").write_text("")  # a module directly in services/ is no service
    assert [p.name for p in discover(folder)] == ["orders-api"]


def test_a_folder_that_cannot_be_imported_is_named(tmp_path):
    folder = make_services(tmp_path, {"freight-exchange": ["api.py"]})
    with pytest.raises(StackError, match="freight-exchange.*Python identifier.*'freight_exchange'"):
        discover(folder)


def test_a_missing_services_folder_is_named(tmp_path):
    with pytest.raises(StackError, match="no services folder at .*nowhere"):
        discover(tmp_path / "nowhere")


def test_commands_and_environment_follow_the_conventions():
    api, worker = ServiceProcess("freight_exchange", "api"), ServiceProcess("freight_exchange", "worker")
    assert api.name == "freight-exchange-api"
    assert api.argv("python") == ["python", "-m", "services.freight_exchange.api"]
    assert worker.argv("python") == ["python", "-m", "services.freight_exchange.worker"]
    assert api.env(8100) == {"NAHNETZ_SERVICE": "freight_exchange", "NAHNETZ_HTTP_HOST": "127.0.0.1",
                             "NAHNETZ_HTTP_PORT": "8100"}
    assert worker.env(8200) == {"NAHNETZ_SERVICE": "freight_exchange", "NAHNETZ_WORKER_PORT": "8200"}


def test_the_nth_service_gets_base_plus_n_for_both_its_ports(tmp_path):
    folder = make_services(tmp_path, {
        "catalog": ["api.py", "worker.py"], "notify": ["worker.py"], "orders": ["api.py", "worker.py"]})
    ports = {p.name: p.port for p in assign_ports(discover(folder), 8100, 8200)}
    assert ports == {"catalog-api": 8100, "catalog-worker": 8200, "notify-worker": 8201,
                     "orders-api": 8102, "orders-worker": 8202}


def test_adding_a_service_keeps_the_ports_of_those_before_it(tmp_path):
    (tmp_path / "before").mkdir()
    (tmp_path / "after").mkdir()
    before = make_services(tmp_path / "before", {"catalog": ["api.py"], "orders": ["api.py"]})
    after = make_services(tmp_path / "after", {"catalog": ["api.py"], "orders": ["api.py"], "pickup": ["api.py"]})
    old = {p.name: p.port for p in assign_ports(discover(before), 8100, 8200)}
    new = {p.name: p.port for p in assign_ports(discover(after), 8100, 8200)}
    assert {name: new[name] for name in old} == old
    assert new["pickup-api"] == 8102


def test_overlapping_port_ranges_are_refused():
    processes = [ServiceProcess(f"s{i}", "api") for i in range(5)]
    with pytest.raises(StackError, match="overlap for 5 services"):
        assign_ports(processes, 8100, 8103)
    with pytest.raises(StackError, match="out of range"):
        assign_ports(processes, 65534, 100)


def test_every_api_is_announced_to_every_process():
    planned = assign_ports([ServiceProcess("catalog", "api"), ServiceProcess("catalog", "worker"),
                            ServiceProcess("notify", "worker")], 8100, 8200)
    assert api_urls(planned) == {"NAHNETZ_URL_CATALOG": "http://127.0.0.1:8100"}
