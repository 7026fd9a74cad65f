"""What a load pays its ride, by the trip's price rule.

PER_KM: the rate times the detour the trip drives for its bundle, shared by its
loads (rounded to cents); FIXED: the trip's price per load; FREE: nothing
(neighbours helping neighbours); ON_REQUEST: what the sender offered at most
(to be agreed at the hand-over), else nothing. A price above what the sender
pays at most is no match.
"""

from __future__ import annotations


def price_cents(rule: str, *, detour_m: int, loads: int = 1, per_km_cents: int | None = None,
                fixed_cents: int | None = None, offered_cents: int | None = None) -> int:
    if rule == "PER_KM":
        return round((per_km_cents or 0) * max(0, detour_m) / 1000 / max(1, loads))
    if rule == "FIXED":
        return fixed_cents or 0
    if rule == "FREE":
        return 0
    return offered_cents or 0


def affordable(price: int, offered_cents: int | None) -> bool:
    """Within what the sender pays at most (no limit when they named none)."""
    return offered_cents is None or price <= offered_cents
