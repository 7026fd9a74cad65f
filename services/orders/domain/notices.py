"""What the resident is told about their order, and when: confirmed, rejected,
ready for pick-up, expired. The notify service renders the template (German,
with English) from the params, which are already formatted for people.

People who ordered through an assistant (phone, counter, market, paper) are
called back (PHONE_CALL goes to the assistants' manual list); those who ordered
online get a push message. The pick-up PIN is not ours to send: the pickup
service sends it (template parcel_ready), we say where and until when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Mapping

from nahnetz.clock import in_berlin

from .lifecycle import OrderStatus, OrderView
from .packing_list import order_ref

TEMPLATES = {
    OrderStatus.CONFIRMED: "order_confirmed",
    OrderStatus.REJECTED: "order_rejected",
    OrderStatus.READY_FOR_PICKUP: "order_ready",
    OrderStatus.EXPIRED: "order_expired",
}
ASSISTED_CHANNELS = frozenset({"PHONE", "COUNTER", "MARKET", "PAPER"})


@dataclass(frozen=True)
class Notice:
    notification_id: str
    recipient_id: str
    channel: str          # nahnetz.notify.NotificationChannel
    template: str
    params: Mapping[str, str]


@dataclass(frozen=True)
class Suggestion:
    """What a rejected order could become instead (the pick-up point's first suggestion)."""

    pickup_point_name: str
    delivery_day: date


def notice_for(order: OrderView, pickup_point_name: str | None = None,
               suggestion: Suggestion | None = None) -> Notice | None:
    """The notice for the order's current status, if that status is news for the resident."""
    template = TEMPLATES.get(order.status)
    if template is None:
        return None
    params = {
        "order_id": order.order_id,
        "order_ref": order_ref(order.order_id),
        "delivery_day": format_day(order.delivery_day),
        "delivery_day_en": format_day_en(order.delivery_day),
        "pickup_point": pickup_point_name or order.pickup_point_id,
        "total": format_money(order.total_cents, order.currency),
    }
    if order.status is OrderStatus.REJECTED and order.rejection is not None:
        params["reason"] = str(order.rejection.reason)
        params["lines"] = ", ".join(
            order.product_name(line.product_id)
            + (f" ({line.available})" if line.available is not None else "")
            for line in order.rejection.lines)
        if suggestion is not None:
            params["alternative"] = f"{suggestion.pickup_point_name} am {format_day(suggestion.delivery_day)}"
            params["alternative_en"] = f"{suggestion.pickup_point_name} on {format_day_en(suggestion.delivery_day)}"
    if order.status is OrderStatus.READY_FOR_PICKUP:
        params["compartments"] = ", ".join(order.compartment_ids)
        if order.collect_by is not None:
            params["collect_by"] = format_time(order.collect_by)
            params["collect_by_en"] = format_time_en(order.collect_by)
    return Notice(
        notification_id=f"{order.order_id}:{template}",
        recipient_id=order.resident_id,
        channel="PHONE_CALL" if order.channel in ASSISTED_CHANNELS else "PUSH",
        template=template,
        params=params,
    )


def format_money(cents: int, currency: str = "EUR") -> str:
    """German style: 12,40 €."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    symbol = "€" if currency == "EUR" else currency
    return f"{sign}{euros:,}".replace(",", ".") + f",{rest:02d} {symbol}"


def format_day(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def format_day_en(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def format_time(at: datetime) -> str:
    """In Europe/Berlin, as people there read it."""
    return in_berlin(at).strftime("%d.%m.%Y %H:%M")


def format_time_en(at: datetime) -> str:
    local = in_berlin(at)
    return f"{local.day} {local:%b %Y, %H:%M}"
