"""Collection decisions, lockout counting and rate-limit windows."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from services.pickup.domain.collection import (
    COLLECTED, DEPOSITED, EXPIRED, Outcome, ParcelState, decide_collection, register_failure,
)
from services.pickup.domain.rate_limit import over_limit, window_of

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=timezone.utc)
LATER = NOW + timedelta(days=3)


def waiting(failed: int = 0, locked: bool = False) -> ParcelState:
    return ParcelState(DEPOSITED, failed, locked, LATER)


def test_the_right_code_collects_once():
    assert decide_collection(waiting(), True, NOW).outcome is Outcome.COLLECTED
    assert decide_collection(ParcelState(COLLECTED, 0, False, LATER), True, NOW).outcome is Outcome.ALREADY_COLLECTED


def test_wrong_codes_count_and_the_fifth_locks():
    state = waiting()
    outcomes = []
    for _ in range(5):
        decision = decide_collection(state, False, NOW)
        outcomes.append((decision.outcome, decision.attempts_left))
        state = ParcelState(DEPOSITED, decision.failed_attempts, decision.outcome is Outcome.LOCKED_NOW, LATER)
    assert outcomes == [(Outcome.WRONG_CODE, 4), (Outcome.WRONG_CODE, 3), (Outcome.WRONG_CODE, 2),
                        (Outcome.WRONG_CODE, 1), (Outcome.LOCKED_NOW, 0)]
    # Locked: even the right code does not open, and nothing is counted any more.
    after = decide_collection(state, True, NOW)
    assert (after.outcome, after.failed_attempts) == (Outcome.LOCKED, 5)


def test_register_failure_counts_to_the_limit():
    assert register_failure(0) == (1, False)
    assert register_failure(3) == (4, False)
    assert register_failure(4) == (5, True)
    assert register_failure(1, max_failed=2) == (2, True)


def test_a_right_code_after_wrong_ones_still_opens():
    assert decide_collection(waiting(failed=4), True, NOW).outcome is Outcome.COLLECTED


def test_past_the_deadline_nothing_opens_even_before_the_expiry_job_ran():
    assert decide_collection(waiting(), True, LATER).outcome is Outcome.EXPIRED
    assert decide_collection(ParcelState(EXPIRED, 0, False, LATER), True, NOW).outcome is Outcome.EXPIRED


def test_rate_limit_windows():
    assert window_of(120.0, 60).index == window_of(179.9, 60).index
    assert window_of(120.0, 60).index != window_of(180.0, 60).index
    assert window_of(150.0, 60).retry_after == 30
    assert window_of(179.99, 60).retry_after == 1
    assert not over_limit(3, 3) and over_limit(4, 3)
