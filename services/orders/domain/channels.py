"""Who an order is for and how it reached us: digital werden UND analog bleiben.

A resident orders for themself, online unless they say otherwise. An assistant
(an operator at a counter, on the phone, at the market) orders for the resident
they name and is recorded as having typed it in; by phone unless they say
otherwise. Cancelling follows the same defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

from nahnetz.records import Channel

from .placement import OrderInvalid, Problem


@dataclass(frozen=True)
class Ordering:
    resident_id: str
    channel: Channel
    entered_by: str | None = None  # the assistant, when not the resident themself


def who_orders(user_id: str, is_resident: bool, resident_id: str | None, channel: Channel | None) -> Ordering:
    """For a resident (`user_id`) or an assistant ordering for `resident_id`. The
    resident may name themself; whether they may name someone else is the API's
    authorisation (403), not this."""
    if is_resident:
        return Ordering(resident_id or user_id, channel or Channel.WEB)
    if not resident_id:
        raise OrderInvalid([Problem("resident_id", "an assisted order needs the resident it is for")])
    return Ordering(resident_id, channel or Channel.PHONE, entered_by=user_id)


def cancel_channel(is_resident: bool, channel: Channel | None) -> Channel:
    return channel or (Channel.WEB if is_resident else Channel.PHONE)
