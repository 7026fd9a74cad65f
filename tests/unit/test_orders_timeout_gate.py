"""When the orders worker may reject overdue orders (services/orders/domain/timeout_gate.py)."""

from services.orders.domain.timeout_gate import TimeoutGate, horizon


def test_timeouts_wait_until_the_group_has_been_settled_for_the_grace():
    gate = TimeoutGate(grace_s=30)
    assert not gate.open(False, 0)
    assert not gate.open(True, 10)      # settled from 10 on
    assert not gate.open(True, 39.9)
    assert gate.open(True, 40)
    assert not gate.open(False, 41)     # a rebalance: catch up again
    assert not gate.open(True, 42)
    assert gate.open(True, 72)


def test_an_outage_counts_the_grace_anew():
    gate = TimeoutGate(grace_s=30)
    assert not gate.open(True, 0)
    assert gate.open(True, 30)
    gate.interrupted()                  # Redis did not answer the scan
    assert not gate.open(True, 31)
    assert not gate.open(True, 60)
    assert gate.open(True, 61)


def test_a_deadline_is_judged_only_once_the_answer_topics_are_handled_past_it():
    assert horizon(1000.0, []) == 1000.0
    assert horizon(1000.0, [999_500, 2_000_000]) == 999.5     # one partition behind: its time
    assert horizon(1000.0, [5_000_000]) == 1000.0              # never beyond the clock
