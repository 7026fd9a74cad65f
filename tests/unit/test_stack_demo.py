"""`nahnetz up --seed` runs the demo against the ready stack, or says there is none."""

from __future__ import annotations

import dataclasses
import stat

import pytest

from nahnetz.stack import launcher
from nahnetz.stack.config import StackConfig
from nahnetz.stack.discovery import ServiceProcess, assign_ports
from nahnetz.stack.launcher import Stack
from nahnetz.stack.state import StackState


@pytest.fixture
def stack(tmp_path):
    # A stand-in interpreter: shows how it was called and what it was given.
    fake_python = tmp_path / "python"
    fake_python.write_text("#!/bin/sh\n"
                           'echo "demo called with: $*"\n'
                           'echo "catalog at $NAHNETZ_URL_CATALOG, broker at $KAFKA_BOOTSTRAP"\n'
                           "exit 3\n")
    fake_python.chmod(fake_python.stat().st_mode | stat.S_IEXEC)
    config = dataclasses.replace(StackConfig.from_env({"NAHNETZ_RUN_DIR": str(tmp_path / "run")}),
                                 python=str(fake_python))
    said: list[str] = []
    stack = Stack(config, said.append)
    stack.planned = assign_ports([ServiceProcess("catalog", "api")], 8100, 8200)
    stack.state = StackState(str(config.run_dir), "now", config.bootstrap, config.local_redis_url)
    stack.said = said
    return stack


def test_the_demo_runs_with_every_api_url_and_its_output_reaches_the_terminal(stack, monkeypatch, capfd):
    monkeypatch.setattr(launcher, "DEMO_MODULE", "json")  # a module that exists
    assert stack.run_demo() == 3
    out = capfd.readouterr().out
    assert "demo called with: -m json" in out
    assert f"catalog at http://127.0.0.1:8100, broker at {stack.config.bootstrap}" in out
    assert "The demo exited with code 3; the stack keeps running." in stack.said
    assert stack.state.by_name("demo") is None  # forgotten once it ended


def test_without_a_demo_module_up_says_so(stack, monkeypatch):
    monkeypatch.setattr(launcher, "DEMO_MODULE", "nahnetz.no_such_demo")
    assert stack.run_demo() is None
    assert any("No demo is installed yet" in line for line in stack.said)
