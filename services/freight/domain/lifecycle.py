"""A match's life: proposed to both sides, agreed once both accepted (and the trip
still has the room), picked up with the hand-over code, delivered with proof; or
declined by one side, or cancelled when its trip or load goes away.

    PROPOSED --both accept--> AGREED --code--> PICKED_UP --proof--> DELIVERED
    PROPOSED --decline--> DECLINED          PROPOSED|AGREED --withdrawn--> CANCELLED
"""

from __future__ import annotations

PROPOSED, AGREED, PICKED_UP, DELIVERED = "PROPOSED", "AGREED", "PICKED_UP", "DELIVERED"
DECLINED, CANCELLED = "DECLINED", "CANCELLED"
TRIP_SIDE, LOAD_SIDE = "TRIP_PROVIDER", "LOAD_PROVIDER"

# States in which the match holds room on its trip.
HOLDING = frozenset({PROPOSED, AGREED, PICKED_UP})
FINAL = frozenset({DELIVERED, DECLINED, CANCELLED})

# Load states
OPEN, MATCHED, WITHDRAWN = "OPEN", "MATCHED", "WITHDRAWN"

_NEXT = {
    PROPOSED: {AGREED, DECLINED, CANCELLED},
    AGREED: {PICKED_UP, CANCELLED},
    PICKED_UP: {DELIVERED},
}


def may_become(current: str, target: str) -> bool:
    return target in _NEXT.get(current, set())


def both_accepted(accepted_by: set[str] | frozenset[str]) -> bool:
    return {TRIP_SIDE, LOAD_SIDE} <= set(accepted_by)


def load_status(match_status: str) -> str:
    """The load's state while its match is in `match_status`."""
    return {PROPOSED: "PROPOSED", AGREED: "AGREED", PICKED_UP: "PICKED_UP", DELIVERED: "DELIVERED"}.get(
        match_status, OPEN)
