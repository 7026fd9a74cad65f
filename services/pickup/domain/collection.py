"""Collecting a parcel with its code: opens once, locks after too many wrong codes.

`decide_collection` is the whole rule; the handler reads the parcel's state,
asks it, and writes the answer in one atomic Redis step, so two terminals
racing with the right code get one COLLECTED and one ALREADY_COLLECTED.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

MAX_FAILED_ATTEMPTS = 5

DEPOSITED = "deposited"
COLLECTED = "collected"
EXPIRED = "expired"


class Outcome(str, Enum):
    COLLECTED = "collected"                  # open the doors
    WRONG_CODE = "wrong_code"                # counted; attempts left
    LOCKED_NOW = "locked_now"                # this wrong code was the last one allowed
    LOCKED = "locked"                        # locked before; even the right code waits for an operator
    ALREADY_COLLECTED = "already_collected"  # the code opened once already
    EXPIRED = "expired"                      # too late; the goods go back


@dataclass(frozen=True)
class ParcelState:
    status: str
    failed_attempts: int
    locked: bool
    expires_at: datetime


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    failed_attempts: int  # after this attempt
    attempts_left: int


def register_failure(failed_attempts: int, max_failed: int = MAX_FAILED_ATTEMPTS) -> tuple[int, bool]:
    """(failed attempts after one more wrong code, whether that locks the code)."""
    failed = failed_attempts + 1
    return failed, failed >= max_failed


def decide_collection(state: ParcelState, code_matches: bool, now: datetime,
                      max_failed: int = MAX_FAILED_ATTEMPTS) -> Decision:
    def decision(outcome: Outcome, failed: int = state.failed_attempts) -> Decision:
        return Decision(outcome, failed, max(0, max_failed - failed))

    if state.status == COLLECTED:
        return decision(Outcome.ALREADY_COLLECTED)
    if state.status == EXPIRED or now >= state.expires_at:
        return decision(Outcome.EXPIRED)
    if state.locked:
        return decision(Outcome.LOCKED)
    if code_matches:
        return decision(Outcome.COLLECTED)
    failed, locks = register_failure(state.failed_attempts, max_failed)
    return decision(Outcome.LOCKED_NOW if locks else Outcome.WRONG_CODE, failed)
