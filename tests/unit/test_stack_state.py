"""The state file and the stack's settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from nahnetz.stack.config import StackConfig
from nahnetz.stack.processes import StackError, process_start_ticks
from nahnetz.stack.state import ProcessRecord, StackState, StateFileError


def record(name: str, kind: str, pid: int | None = None, ticks: int | None = None) -> ProcessRecord:
    return ProcessRecord(name, kind, pid, 8100, f"http://127.0.0.1:8100", f"/tmp/{name}.log", ticks)


def test_state_round_trips_and_is_written_atomically(tmp_path):
    path = tmp_path / "run" / "state.json"
    state = StackState(str(tmp_path), "2026-01-01T00:00:00+00:00", "127.0.0.1:19092",
                       "redis://127.0.0.1:16379/0", supervisor_pid=123)
    state.record(record("broker", "broker", 11))
    state.record(record("catalog-api", "api", 12))
    state.record(record("catalog-api", "api", 13))  # recorded again: replaced, not doubled
    state.save(path)
    assert [p.name for p in tmp_path.joinpath("run").iterdir()] == ["state.json"]  # no temp file left
    loaded = StackState.load(path)
    assert loaded == state
    assert [p.pid for p in loaded.processes] == [11, 13]
    assert [p.name for p in loaded.services] == ["catalog-api"]
    assert [p.name for p in loaded.infrastructure] == ["broker"]


def test_a_missing_state_means_no_stack_and_a_broken_one_is_named(tmp_path):
    assert StackState.load(tmp_path / "state.json") is None
    (tmp_path / "state.json").write_text("{not json")
    with pytest.raises(StateFileError, match="state.json is unreadable"):
        StackState.load(tmp_path / "state.json")
    (tmp_path / "state.json").write_text(json.dumps({"something": "else"}))
    with pytest.raises(StateFileError, match="not a Nahnetz state file"):
        StackState.load(tmp_path / "state.json")


def test_liveness_of_recorded_processes():
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        ticks = process_start_ticks(sleeper.pid)
        state = StackState("/tmp", "now", "b", "r", supervisor_pid=os.getpid(),
                           supervisor_start_ticks=process_start_ticks(os.getpid()))
        state.record(record("notify-worker", "worker", sleeper.pid, ticks))
        state.record(record("redis", "redis", None))  # external: never "ours"
        assert [p.name for p in state.alive()] == ["notify-worker"]
        assert state.supervisor_alive
        state.supervisor_start_ticks += 1  # our pid, but someone else's start time
        assert not state.supervisor_alive
    finally:
        sleeper.kill()
        sleeper.wait()
    assert state.alive() == []


def test_config_defaults_and_overrides(tmp_path):
    config = StackConfig.from_env({})
    assert (config.broker_port, config.redis_port) == (19092, 16379)
    assert (config.api_port_base, config.worker_port_base) == (8100, 8200)
    assert config.run_dir == config.root / ".nahnetz"
    assert config.services_dir == config.root / "services"
    assert config.redis_url is None
    config = StackConfig.from_env({"NAHNETZ_RUN_DIR": str(tmp_path), "NAHNETZ_BROKER_PORT": "29092",
                                   "REDIS_URL": "redis://elsewhere:6379/0", "NAHNETZ_STOP_GRACE": "1.5"})
    assert config.run_dir == tmp_path and config.bootstrap == "127.0.0.1:29092"
    assert config.redis_url == "redis://elsewhere:6379/0" and config.stop_grace == 1.5
    assert config.state_path == tmp_path / "state.json"


@pytest.mark.parametrize("variable, value, message", [
    ("NAHNETZ_BROKER_PORT", "kafka", "NAHNETZ_BROKER_PORT='kafka' is not a port number"),
    ("NAHNETZ_API_PORT_BASE", "70000", "NAHNETZ_API_PORT_BASE=70000 is not a port number"),
    ("NAHNETZ_READY_TIMEOUT", "0", "NAHNETZ_READY_TIMEOUT=0 must be more than 0 seconds"),
])
def test_bad_settings_are_named(variable, value, message):
    with pytest.raises(StackError, match=message):
        StackConfig.from_env({variable: value})
