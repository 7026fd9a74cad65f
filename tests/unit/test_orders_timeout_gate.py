"""When the orders worker may reject overdue orders (services/orders/domain/timeout_gate.py)."""

from services.orders.domain.timeout_gate import TimeoutGate


def test_timeouts_wait_until_the_group_has_been_settled_for_the_grace():
    gate = TimeoutGate(grace_s=30)
    assert not gate.open(False, 0)
    assert not gate.open(True, 10)      # settled from 10 on
    assert not gate.open(True, 39.9)
    assert gate.open(True, 40)
    assert not gate.open(False, 41)     # a rebalance: catch up again
    assert not gate.open(True, 42)
    assert gate.open(True, 72)
