"""A new pick-up code for a parcel that still waits: when the code was locked, or
lost. The resident asks for it and receives it on their own channel only (their
phone: the second factor, so a stolen login alone opens nothing); an operator may
issue one for any parcel, and is recorded as the event's actor. The old code
stops opening; the lock and every lockout end.
"""

from __future__ import annotations

from datetime import datetime

from nahnetz.kit.errors import DomainError

from .collection import COLLECTED, EXPIRED, Decision, Outcome, ParcelState, refusal


class TooManyReissues(DomainError, status_code=409, code="too_many_reissues"):
    """The resident asked for new codes too often; the operator or the counter helps."""


def check_reissue(state: ParcelState, now: datetime, order_id: str, *, by_staff: bool, reissues: int,
                  max_reissues: int) -> None:
    """Refuse a new code for a parcel that waits no more, or a resident's request past the limit
    (each request sends a message: the limit keeps it from becoming a way to flood a phone)."""
    if state.status == COLLECTED:
        raise refusal(Decision(Outcome.ALREADY_COLLECTED, 0, 0), order_id)
    if state.status == EXPIRED or now >= state.expires_at:
        raise refusal(Decision(Outcome.EXPIRED, 0, 0), order_id)
    if not by_staff and reissues >= max_reissues:
        raise TooManyReissues(
            f"Für die Sendung {order_id} wurden schon {reissues} neue Codes verschickt; bitte wenden Sie sich an "
            f"das Service-Team oder die Theke. {reissues} new codes were sent for order {order_id} already; "
            f"please ask the operator or the counter.")
