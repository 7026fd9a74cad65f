"""Collection decisions, lockout counting and rate-limit windows."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from nahnetz.events import Actor, new_event
from nahnetz.records import PickupCodeReissued
from services.pickup.domain.collection import (
    COLLECTED, DEPOSITED, EXPIRED, AlreadyCollected, Caller, CodeLocked, Decision, LockedOut, Outcome, ParcelGone,
    ParcelState, WrongCode, collection_method, decide_collection, refusal, register_failure,
)
from services.pickup.domain.parcels import after_reissue, is_holder, lock_was_cleared, took_reissue
from services.pickup.domain.rate_limit import (
    CALLER, CALLER_PARCEL, TooManyAttempts, check_attempts, over_limit, window_of,
)
from services.pickup.domain.reissue import TooManyReissues, check_reissue

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
    check_attempts(3, 3, window, CALLER_PARCEL)
    with pytest.raises(TooManyAttempts) as parcel:
        check_attempts(4, 3, window, CALLER_PARCEL)
    assert parcel.value.status_code == 429 and parcel.value.headers == {"Retry-After": "30"}
    assert "this parcel" in parcel.value.message and "30 s" in parcel.value.message
    with pytest.raises(TooManyAttempts) as caller:
        check_attempts(11, 10, window, CALLER)
    assert "this parcel" not in caller.value.message


# -- wrong codes bind whoever typed them ---------------------------------------------------------
def stranger(failed: int = 0) -> Caller:
    return Caller(holder=False, failed_attempts=failed)


def test_a_stranger_locks_out_only_themself_and_the_resident_still_collects():
    state = waiting()
    outcomes = []
    for attempt in range(5):
        decision = decide_collection(state, False, NOW, stranger(attempt))
        outcomes.append(decision.outcome)
        state = ParcelState(DEPOSITED, 0, False, LATER, decision.stranger_failures)
    assert outcomes == [Outcome.WRONG_CODE] * 4 + [Outcome.LOCKED_OUT_NOW]
    assert state.stranger_failures == 5 and state.failed_attempts == 0 and not state.locked
    # Locked out: even the right code does not open for them, and nothing more is counted.
    after = decide_collection(state, True, NOW, stranger(5))
    assert (after.outcome, after.stranger_failures) == (Outcome.LOCKED_OUT, 5)
    # The resident's attempts are their own.
    assert decide_collection(state, True, NOW).outcome is Outcome.COLLECTED
    assert decide_collection(state, False, NOW).attempts_left == 4


def test_many_strangers_together_lock_the_code_itself():
    near = ParcelState(DEPOSITED, 0, False, LATER, stranger_failures=19)
    decision = decide_collection(near, False, NOW, stranger(0), max_stranger_failures=20)
    assert decision.outcome is Outcome.LOCKED_NOW and decision.stranger_failures == 20
    assert decide_collection(ParcelState(DEPOSITED, 0, True, LATER, 20), True, NOW).outcome is Outcome.LOCKED


def test_a_locked_out_caller_is_told_so_apart_from_a_locked_code():
    for outcome in (Outcome.LOCKED_OUT_NOW, Outcome.LOCKED_OUT):
        refused = refusal(Decision(outcome, 5, 0), "o-1")
        assert isinstance(refused, LockedOut) and refused.status_code == 423 and refused.code == "locked_out"


def test_the_holder_is_the_parcel_s_resident_or_staff_handing_it_over():
    parcel = {"resident_id": "r-1"}
    assert is_holder(parcel, Actor("r-1", "RESIDENT"), None)
    assert not is_holder(parcel, Actor("r-2", "RESIDENT"), None)
    assert is_holder(parcel, Actor("shop-9", "SHOP"), "shop-9")
    assert is_holder(parcel, Actor("op-1", "OPERATOR"), None)
    assert not is_holder(parcel, Actor("shop-9", "SHOP"), None)
    assert not is_holder({"resident_id": ""}, Actor("", "RESIDENT"), None)


# -- a new code ----------------------------------------------------------------------------------
def test_a_new_code_only_for_a_waiting_parcel_and_a_few_times_for_residents():
    check_reissue(waiting(locked=True), NOW, "o-1", by_staff=False, reissues=2, max_reissues=3)
    with pytest.raises(TooManyReissues):
        check_reissue(waiting(), NOW, "o-1", by_staff=False, reissues=3, max_reissues=3)
    check_reissue(waiting(), NOW, "o-1", by_staff=True, reissues=30, max_reissues=3)
    with pytest.raises(AlreadyCollected):
        check_reissue(ParcelState(COLLECTED, 0, False, LATER), NOW, "o-1", by_staff=True, reissues=0, max_reissues=3)
    with pytest.raises(ParcelGone):
        check_reissue(waiting(), LATER, "o-1", by_staff=True, reissues=0, max_reissues=3)


def reissued_event(event_id: str, cleared: str | None) -> PickupCodeReissued:
    return new_event(PickupCodeReissued, producer="test", event_id=event_id, order_id="o-1", pickup_point_id="pp-1",
                     code_hash="new-pin-hash", qr_hash="new-qr-hash", hash_key_id="1", reason=None,
                     cleared_lock_event_id=cleared)


def test_a_new_code_ends_the_lock_and_every_count():
    record = {"code_hash": "old", "qr_hash": "old", "salt": "dep-1", "failed_attempts": "5", "locked": "1",
              "lock_event_id": "lock-1", "lock_published": "1", "locked_at_ms": "1", "stranger_failures": "3",
              "failed_by:r-2": "3", "status": DEPOSITED}
    changes, stale = after_reissue(record, reissued_event("re-1", "lock-1"))
    assert changes["salt"] == "re-1" and changes["code_hash"] == "new-pin-hash" and changes["locked"] == "0"
    assert changes["failed_attempts"] == changes["stranger_failures"] == "0" and changes["reissues"] == "1"
    assert sorted(stale) == ["failed_by:r-2", "lock_event_id", "lock_published", "locked_at_ms"]
    after = {k: v for k, v in {**record, **changes}.items() if k not in stale}
    # The lock's own event, arriving after the new code, must not lock it again.
    assert lock_was_cleared(after, "lock-1") and not lock_was_cleared(after, "lock-2")


def test_a_late_projection_of_an_older_code_does_not_bring_it_back():
    """The API writes each new code at once; the worker projects the events later, in order.
    By then the parcel may hold a newer code: the older event is known and changes nothing."""
    record = {"code_hash": "old", "qr_hash": "old", "salt": "dep-1", "status": DEPOSITED}
    for reissue_id in ("re-1", "re-2"):
        changes, stale = after_reissue(record, reissued_event(reissue_id, None))
        record = {k: v for k, v in {**record, **changes}.items() if k not in stale}
    assert record["salt"] == "re-2" and record["reissues"] == "2"
    assert took_reissue(record, "re-1") and took_reissue(record, "re-2")
    assert not took_reissue(record, "re-3") and not took_reissue({"salt": "dep-1"}, "re-1")
