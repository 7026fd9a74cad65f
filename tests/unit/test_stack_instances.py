"""`nahnetz up --instances`: several instances of a worker in one consumer group,
each with a health port of its own."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from nahnetz.stack.config import StackConfig, parse_instances
from nahnetz.stack.discovery import assign_ports, discover
from nahnetz.stack.launcher import with_instances
from nahnetz.stack.processes import StackError

REPO = Path(__file__).resolve().parents[2]


def config(instances: str = "") -> StackConfig:
    return StackConfig.from_env({"NAHNETZ_WORKER_INSTANCES": instances})


def planned(instances: str) -> dict[str, int]:
    processes = assign_ports(discover(REPO / "services"), 8100, 8200)
    return {p.name: p.port for p in with_instances(processes, config(instances), 8200)}


def test_instances_are_given_for_every_worker_or_per_service():
    assert parse_instances("") == ()
    assert parse_instances("2") == (("*", 2),)
    assert parse_instances("catalog=2, pickup=3") == (("catalog", 2), ("pickup", 3))
    both = config("2,orders=1")
    assert (both.instances_of("catalog"), both.instances_of("orders")) == (2, 1)
    assert config().instances_of("catalog") == 1
    for wrong in ("0", "two", "catalog=", "catalog=2,catalog=3", "99"):
        with pytest.raises(StackError, match="worker instances"):
            parse_instances(wrong)


def test_by_default_each_worker_runs_once_on_its_registered_port():
    ports = planned("")
    assert [n for n in ports if n.startswith("catalog")] == ["catalog-api", "catalog-worker"]
    assert ports["catalog-worker"] == 8200 and ports["routing-worker"] == 8206


def test_extra_instances_get_ports_after_every_registered_one_and_move_none():
    ports = planned("2,routing=3")
    services = len({n.split("-")[0] for n in ports})
    # The first instances keep the ports the README and the deployment files name.
    assert ports["catalog-worker"] == 8200 and ports["orders-worker"] == 8204
    assert ports["catalog-worker-2"] == 8200 + services and ports["orders-worker-2"] == 8204 + services
    assert ports["routing-worker-3"] == 8206 + 2 * services
    assert "routing-worker-4" not in ports and "catalog-worker-3" not in ports
    assert len(set(ports.values())) == len(ports)
    assert not any(name.startswith(("catalog-api-", "orders-api-")) for name in ports)  # APIs run once


def test_instances_of_a_service_without_a_worker_are_refused():
    with pytest.raises(StackError, match="no such worker"):
        planned("nosuch=2")


def test_the_instances_option_replaces_the_variable():
    from_cli = dataclasses.replace(config("3"), worker_instances=parse_instances("pickup=2"))
    assert (from_cli.instances_of("pickup"), from_cli.instances_of("catalog")) == (2, 1)
