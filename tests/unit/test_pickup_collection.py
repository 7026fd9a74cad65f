"""Collection decisions, lockout counting and rate-limit windows."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.pickup.domain.collection import (
    COLLECTED, DEPOSITED, EXPIRED, AlreadyCollected, CodeLocked, Decision, Outcome, ParcelGone, ParcelState,
    WrongCode, collection_method, decide_collection, refusal, register_failure,
)
from services.pickup.domain.rate_limit import PARCEL, POINT, TooManyAttempts, check_attempts, over_limit, window_of

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


def test_the_terminal_is_told_why_the_doors_stay_shut():
    wrong = refusal(Decision(Outcome.WRONG_CODE, 2, 3), "o-1")
    assert isinstance(wrong, WrongCode) and wrong.status_code == 403 and wrong.details == {"attempts_left": 3}
    assert "noch 3 Versuche" in wrong.message and "3 attempts left" in wrong.message
    for outcome in (Outcome.LOCKED_NOW, Outcome.LOCKED):
        locked = refusal(Decision(outcome, 5, 0), "o-1")
        assert isinstance(locked, CodeLocked) and locked.status_code == 423 and locked.code == "code_locked"
    collected = refusal(Decision(Outcome.ALREADY_COLLECTED, 0, 5), "o-1")
    assert isinstance(collected, AlreadyCollected) and collected.status_code == 409 and "o-1" in collected.message
    gone = refusal(Decision(Outcome.EXPIRED, 0, 5), "o-1")
    assert isinstance(gone, ParcelGone) and gone.status_code == 410 and gone.code == "parcel_expired"
    with pytest.raises(ValueError):
        refusal(Decision(Outcome.COLLECTED, 0, 5), "o-1")


def test_the_collection_method_says_how_the_parcel_was_opened():
    assert collection_method(True, None) == "QR"
    assert collection_method(False, "shop-staff-1") == "COUNTER_STAFF"
    assert collection_method(False, None) == "PIN"


def test_the_attempt_past_the_limit_is_refused_with_the_wait():
    window = window_of(150.0, 60)
    check_attempts(3, 3, window, PARCEL)
    with pytest.raises(TooManyAttempts) as parcel:
        check_attempts(4, 3, window, PARCEL)
    assert parcel.value.status_code == 429 and parcel.value.headers == {"Retry-After": "30"}
    assert "this parcel" in parcel.value.message and "30 s" in parcel.value.message
    with pytest.raises(TooManyAttempts, match="pick-up point"):
        check_attempts(31, 30, window, POINT)
