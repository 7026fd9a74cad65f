"""Ports, process groups and logs: the pieces `up` and `down` are made of.

These start a few `python -c` processes (no broker, no Redis), so they stay fast."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from nahnetz.stack.launcher import check_ports
from nahnetz.stack.processes import (
    ManagedProcess, StackError, group_alive, last_lines, live_groups, port_in_use,
    process_alive, process_start_ticks, stop_groups,
)


def test_port_in_use_sees_listening_and_merely_bound_sockets():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        assert port_in_use(port)  # bound, not listening: a server could not bind it
        s.listen()
        assert port_in_use(port)
    assert not port_in_use(port)


def test_port_in_use_sees_a_listener_on_all_interfaces():
    with socket.socket() as s:
        s.bind(("0.0.0.0", 0))
        s.listen()
        assert port_in_use(s.getsockname()[1])


def test_check_ports_names_every_taken_and_doubly_planned_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        taken = s.getsockname()[1]
        with socket.socket() as f:
            f.bind(("127.0.0.1", 0))
            free = f.getsockname()[1]
        with pytest.raises(StackError) as failure:
            check_ports([(taken, "broker", "NAHNETZ_BROKER_PORT"),
                         (free, "catalog-api", "NAHNETZ_API_PORT_BASE"),
                         (free, "redis", "NAHNETZ_REDIS_PORT")])
    message = str(failure.value)
    assert f"port {taken} (broker) is already in use" in message and "NAHNETZ_BROKER_PORT" in message
    assert f"port {free} is planned for both catalog-api and redis" in message


def spawn_family(tmp_path: Path, ignore_sigterm: bool) -> ManagedProcess:
    """A process group of a parent and a grandchild that would outlive it."""
    script = textwrap.dedent(f"""
        import signal, subprocess, sys, time
        if {ignore_sigterm}:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        print(child.pid, flush=True)
        time.sleep(600)
    """)
    proc = ManagedProcess("family", [sys.executable, "-c", script], tmp_path / "family.log").start()
    deadline = time.monotonic() + 10
    while not last_lines(proc.log_path, 1) and time.monotonic() < deadline:
        time.sleep(0.02)
    return proc


def grandchild_pid(proc: ManagedProcess) -> int:
    return int(last_lines(proc.log_path, 1)[0])


def test_stop_groups_terminates_a_process_and_its_grandchildren(tmp_path):
    proc = spawn_family(tmp_path, ignore_sigterm=False)
    grandchild = grandchild_pid(proc)
    assert live_groups([proc.pid]) == {proc.pid}
    assert stop_groups([proc.pid], grace=5) == []  # stopped by SIGTERM alone
    assert not process_alive(grandchild)
    assert live_groups([proc.pid]) == set()
    proc.popen.wait(timeout=5)


def test_stop_groups_kills_what_ignores_sigterm(tmp_path):
    proc = spawn_family(tmp_path, ignore_sigterm=True)
    grandchild = grandchild_pid(proc)
    started = time.monotonic()
    assert stop_groups([proc.pid], grace=0.5) == [proc.pid]
    assert time.monotonic() - started < 5
    assert not process_alive(proc.pid) and not process_alive(grandchild)
    proc.popen.wait(timeout=5)


def test_a_reused_pid_is_not_taken_for_our_process(tmp_path):
    proc = spawn_family(tmp_path, ignore_sigterm=False)
    ticks = process_start_ticks(proc.pid)
    assert group_alive(proc.pid, ticks)
    assert not group_alive(proc.pid, ticks - 1)  # same pid, other start time: a stranger
    assert process_alive(proc.pid, ticks) and not process_alive(proc.pid, ticks + 1)
    proc.stop(grace=2)
    assert not group_alive(proc.pid, ticks)


def test_a_zombie_does_not_count_as_alive():
    child = subprocess.Popen([sys.executable, "-c", "pass"], start_new_session=True)
    deadline = time.monotonic() + 10
    while process_alive(child.pid) and time.monotonic() < deadline:
        time.sleep(0.02)  # exited but not reaped yet: a zombie
    assert not process_alive(child.pid)
    assert live_groups([child.pid]) == set()
    child.wait()


def test_last_lines_reads_the_end_of_a_long_log(tmp_path):
    log = tmp_path / "x.log"
    log.write_text("".join(f"line {i} " + "x" * 50 + "\n" for i in range(5000)))
    tail = last_lines(log, 300)
    assert len(tail) == 300 and tail[0].startswith("line 4700 ") and tail[-1].startswith("line 4999 ")
    assert last_lines(tmp_path / "missing.log", 5) == []
    assert last_lines(log, 0) == []
