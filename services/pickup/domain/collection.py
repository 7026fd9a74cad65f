"""Collecting a parcel with its code: opens once; wrong codes lock out whoever types them.

Wrong codes bind the caller, never the victim: the parcel's own resident (or
staff acting for them) counts against the code itself, which locks after
MAX_FAILED_ATTEMPTS; anyone else counts against their own lockout at this
parcel only, so a stranger cannot lock somebody else's parcel. Many strangers
together (MAX_STRANGER_FAILURES wrong codes) do lock the code, since that is
guessing; the resident then gets a new code to their phone (`reissue`).

`decide_collection` is the whole rule; the handler reads the parcel's state,
asks it, and writes the answer in one atomic Redis step, so two terminals
racing with the right code get one COLLECTED and one ALREADY_COLLECTED.
`refusal` is what the person at the terminal is told when the doors stay shut.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from nahnetz.kit.errors import DomainError
from nahnetz.records import CollectionMethod

MAX_FAILED_ATTEMPTS = 5
MAX_STRANGER_FAILURES = 20

DEPOSITED = "deposited"
COLLECTED = "collected"
EXPIRED = "expired"


class Outcome(str, Enum):
    COLLECTED = "collected"                  # open the doors
    WRONG_CODE = "wrong_code"                # counted; attempts left
    LOCKED_NOW = "locked_now"                # this wrong code was the last one allowed
    LOCKED = "locked"                        # locked before; even the right code waits for a new code
    LOCKED_OUT_NOW = "locked_out_now"        # this caller's last wrong code allowed at this parcel
    LOCKED_OUT = "locked_out"                # this caller may try no more codes at this parcel
    ALREADY_COLLECTED = "already_collected"  # the code opened once already
    EXPIRED = "expired"                      # too late; the goods go back


@dataclass(frozen=True)
class ParcelState:
    status: str
    failed_attempts: int  # wrong codes of the resident's side: they lock the code
    locked: bool
    expires_at: datetime
    stranger_failures: int = 0  # wrong codes of everyone else together


@dataclass(frozen=True)
class Caller:
    """Who types the code, as far as the decision cares."""

    holder: bool              # the parcel's resident, or staff handing it over for them
    failed_attempts: int = 0  # this caller's own wrong codes at this parcel (strangers only)


HOLDER = Caller(holder=True)


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    failed_attempts: int  # after this attempt: the code's count (holder) or the caller's own (stranger)
    attempts_left: int
    stranger_failures: int = 0  # after this attempt


def register_failure(failed_attempts: int, max_failed: int = MAX_FAILED_ATTEMPTS) -> tuple[int, bool]:
    """(failed attempts after one more wrong code, whether that locks the code)."""
    failed = failed_attempts + 1
    return failed, failed >= max_failed


def decide_collection(state: ParcelState, code_matches: bool, now: datetime, caller: Caller = HOLDER,
                      max_failed: int = MAX_FAILED_ATTEMPTS,
                      max_stranger_failures: int = MAX_STRANGER_FAILURES) -> Decision:
    own = state.failed_attempts if caller.holder else caller.failed_attempts

    def decision(outcome: Outcome, failed: int = own, strangers: int = state.stranger_failures) -> Decision:
        return Decision(outcome, failed, max(0, max_failed - failed), strangers)

    if state.status == COLLECTED:
        return decision(Outcome.ALREADY_COLLECTED)
    if state.status == EXPIRED or now >= state.expires_at:
        return decision(Outcome.EXPIRED)
    if state.locked:
        return decision(Outcome.LOCKED)
    if not caller.holder and caller.failed_attempts >= max_failed:
        return decision(Outcome.LOCKED_OUT)
    if code_matches:
        return decision(Outcome.COLLECTED)
    failed, locks = register_failure(own, max_failed)
    if caller.holder:
        return decision(Outcome.LOCKED_NOW if locks else Outcome.WRONG_CODE, failed)
    strangers = state.stranger_failures + 1
    if strangers >= max_stranger_failures:
        return decision(Outcome.LOCKED_NOW, failed, strangers)
    return decision(Outcome.LOCKED_OUT_NOW if locks else Outcome.WRONG_CODE, failed, strangers)


def collection_method(by_qr: bool, staff_id: str | None) -> CollectionMethod:
    """How the parcel was opened: a scanned QR, counter staff handing it over, or the typed PIN."""
    if by_qr:
        return CollectionMethod.QR
    return CollectionMethod.COUNTER_STAFF if staff_id else CollectionMethod.PIN


# -- refusals, shown to the person at the terminal as they are --------------------------------
class WrongCode(DomainError, status_code=403, code="wrong_code"):
    """The PIN or QR code does not match; attempts are left."""


class CodeLocked(DomainError, status_code=423, code="code_locked"):
    """Too many wrong codes: the parcel opens only with a new code (resident or operator)."""


class LockedOut(DomainError, status_code=423, code="locked_out"):
    """This caller typed too many wrong codes at this parcel; others are not affected."""


class AlreadyCollected(DomainError, status_code=409, code="already_collected"):
    """The parcel was taken out already."""


class ParcelGone(DomainError, status_code=410, code="parcel_expired"):
    """The parcel's pick-up time ran out; it left the locker."""


def refusal(decision: Decision, order_id: str) -> DomainError:
    """Why the doors stay shut (for every outcome but COLLECTED), in German and English."""
    if decision.outcome is Outcome.WRONG_CODE:
        return WrongCode(f"Falscher Code; noch {decision.attempts_left} Versuche. "
                         f"Wrong code; {decision.attempts_left} attempts left.",
                         details={"attempts_left": decision.attempts_left})
    if decision.outcome in (Outcome.LOCKED_NOW, Outcome.LOCKED):
        return CodeLocked("Der Abholcode ist nach zu vielen Fehlversuchen gesperrt; das Service-Team ist "
                          "informiert. Einen neuen Code schicken wir Ihnen auf Anfrage aufs Telefon. "
                          "The pick-up code is locked after too many wrong attempts; the operator has been "
                          "told. Ask for a new code to be sent to your phone.")
    if decision.outcome in (Outcome.LOCKED_OUT_NOW, Outcome.LOCKED_OUT):
        return LockedOut(f"Sie haben für die Sendung {order_id} zu oft einen falschen Code eingegeben und "
                         f"können es hier nicht mehr versuchen. You entered a wrong code for order {order_id} "
                         f"too often and cannot try again here.")
    if decision.outcome is Outcome.ALREADY_COLLECTED:
        return AlreadyCollected(f"Die Sendung {order_id} wurde bereits abgeholt; der Code öffnet nur einmal. "
                                f"The parcel of order {order_id} was collected already; a code opens once.")
    if decision.outcome is Outcome.EXPIRED:
        return ParcelGone(f"Die Abholfrist für {order_id} ist abgelaufen; die Ware geht zurück. "
                          f"The pick-up period of order {order_id} has ended; the goods go back.")
    raise ValueError(f"{decision.outcome} opens the doors; it is no refusal")
