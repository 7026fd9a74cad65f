"""Which processes the stack runs, and on which ports."""

from __future__ import annotations

from pathlib import Path

import pytest

from nahnetz.stack.discovery import ServiceProcess, api_urls, assign_ports, discover, service_names
from nahnetz.stack.registry import SERVICE_NUMBERS, next_free_number
from nahnetz.stack.processes import StackError

REPO = Path(__file__).resolve().parents[2]


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


def test_service_number_n_gets_base_plus_n_for_both_its_ports(tmp_path):
    folder = make_services(tmp_path, {
        "catalog": ["api.py", "worker.py"], "notify": ["worker.py"], "orders": ["api.py", "worker.py"]})
    numbers = {"catalog": 0, "notify": 3, "orders": 4}
    ports = {p.name: p.port for p in assign_ports(discover(folder), 8100, 8200, numbers)}
    assert ports == {"catalog-api": 8100, "catalog-worker": 8200, "notify-worker": 8203,
                     "orders-api": 8104, "orders-worker": 8204}


def test_ports_come_from_the_registry_not_from_alphabetical_order(tmp_path):
    # "apiary" sorts before every service: with positional ports it would move them all.
    folder = make_services(tmp_path, {"apiary": ["api.py"], "catalog": ["api.py"], "routing": ["api.py"]})
    numbers = {"catalog": 0, "routing": 6, "apiary": 7}
    ports = {p.name: p.port for p in assign_ports(discover(folder), 8100, 8200, numbers)}
    assert ports == {"catalog-api": 8100, "routing-api": 8106, "apiary-api": 8107}


def test_a_service_not_yet_registered_gets_a_number_after_the_registered_ones(tmp_path):
    folder = make_services(tmp_path, {"catalog": ["api.py"], "echo": ["api.py"], "zeta": ["api.py"]})
    ports = {p.name: p.port for p in assign_ports(discover(folder), 8100, 8200, {"catalog": 0, "orders": 4})}
    assert ports == {"catalog-api": 8100, "echo-api": 8105, "zeta-api": 8106}


def test_every_service_of_the_repository_is_registered_with_a_number_of_its_own():
    services = service_names(discover(REPO / "services"))
    missing = [s for s in services if s not in SERVICE_NUMBERS]
    assert not missing, (f"register {missing} in nahnetz.stack.registry.SERVICE_NUMBERS "
                         f"(next free number: {next_free_number()})")
    assert len(set(SERVICE_NUMBERS.values())) == len(SERVICE_NUMBERS)
    # The ports the README and the deployment files name stay where they were.
    ports = {p.name: p.port for p in assign_ports(discover(REPO / "services"), 8100, 8200)}
    assert ports["catalog-api"] == 8100 and ports["routing-worker"] == 8206


def test_overlapping_port_ranges_are_refused():
    processes = [ServiceProcess(f"s{i}", "api") for i in range(5)]
    with pytest.raises(StackError, match="overlap for 5 service numbers"):
        assign_ports(processes, 8100, 8103, {f"s{i}": i for i in range(5)})
    with pytest.raises(StackError, match="out of range"):
        assign_ports(processes, 65534, 100, {f"s{i}": i for i in range(5)})


def test_every_api_is_announced_to_every_process():
    planned = assign_ports([ServiceProcess("catalog", "api"), ServiceProcess("catalog", "worker"),
                            ServiceProcess("notify", "worker")], 8100, 8200)
    assert api_urls(planned) == {"NAHNETZ_URL_CATALOG": "http://127.0.0.1:8100"}
