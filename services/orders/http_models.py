"""HTTP shapes of the orders API, separate from the event records and converted
at the edge. Types are checked here (422 naming the field); the rules of an order
are the domain's (domain/placement.py)."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Any

from pydantic import Field, StrictBool, StrictInt, field_validator

from nahnetz.clock import in_berlin
from nahnetz.kit.request_model import Day, RequestModel

from .domain.alternatives import Choice
from .domain.booking import BookingWindow
from .domain.lifecycle import OrderView
from .domain.packing_list import PackingList, order_ref
from nahnetz.records import Channel as EventChannel

from .domain.channels import Ordering
from .domain.placement import MAX_NOTE_LENGTH, LineRequest, OrderRequest, line_total_cents


class PaymentMethod(str, Enum):
    ONLINE = "ONLINE"
    SIMULATED = "SIMULATED"
    AT_PICKUP = "AT_PICKUP"


class Channel(str, Enum):
    WEB = "web"
    APP = "app"
    PHONE = "phone"
    COUNTER = "counter"
    MARKET = "market"
    PAPER = "paper"


def event_channel(channel: Channel | None) -> EventChannel | None:
    """The API speaks lower case (`phone`); events upper case (`PHONE`)."""
    return None if channel is None else EventChannel(channel.value.upper())


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


# Rules the domain checks (domain/placement.py), stated here for the OpenAPI only: the
# domain reports every broken rule of an order at once, which field validation would cut short.
class LineBody(RequestModel):

    product_id: str = Field(min_length=1, max_length=100)
    quantity: StrictInt = Field(  # JSON true or "3" is not a quantity
        json_schema_extra={"minimum": 1}, description="At least 1; at most 999 unless configured otherwise")


class PlaceOrderBody(RequestModel):
    """`resident_id` is needed when an assistant (operator) orders for a resident;
    a resident may leave it out. `channel` defaults to web for residents and to
    phone for assistants."""


    resident_id: str | None = Field(None, min_length=1, max_length=100)
    lines: list[LineBody] = Field(json_schema_extra={"minItems": 1}, description=(
        "At least one line, one per product; at most 50 unless configured otherwise"))
    pickup_point_id: str = Field(min_length=1, max_length=100)
    delivery_day: Day
    payment_method: PaymentMethod
    channel: Channel | None = None
    note: str | None = Field(None, json_schema_extra={"maxLength": MAX_NOTE_LENGTH})

    _payment_upper = field_validator("payment_method", mode="before")(_upper)
    _channel_lower = field_validator("channel", mode="before")(_lower)

    def to_request(self, ordering: Ordering) -> OrderRequest:
        return OrderRequest(
            resident_id=ordering.resident_id,
            lines=tuple(LineRequest(line.product_id, line.quantity) for line in self.lines),
            pickup_point_id=self.pickup_point_id, delivery_day=self.delivery_day,
            payment_method=self.payment_method.value, channel=ordering.channel,
            entered_by=ordering.entered_by, note=self.note,
        )


class AlternativeBody(RequestModel):
    """What a rejected order becomes: another pick-up point, another day, or only the
    units the shops had left; what is left out stays as it was. `channel` as for a
    new order (an assistant on the phone, by default)."""

    pickup_point_id: str | None = Field(None, min_length=1, max_length=100)
    delivery_day: Day | None = None
    take_available: StrictBool = False
    channel: Channel | None = None

    _channel_lower = field_validator("channel", mode="before")(_lower)

    def to_choice(self) -> Choice:
        return Choice(self.pickup_point_id, self.delivery_day, self.take_available)


class CancelBody(RequestModel):

    reason: str | None = Field(None, max_length=500)
    channel: Channel | None = None

    _channel_lower = field_validator("channel", mode="before")(_lower)


def money(cents: int, currency: str) -> dict[str, Any]:
    return {"amount_cents": cents, "currency": currency}


def status_url(order_id: str) -> str:
    return f"/v1/orders/{order_id}"


def order_json(order: OrderView, pickup_point_name: str | None = None,
               instead: dict[str, Any] | None = None) -> dict[str, Any]:
    """An order for people and front ends: times in UTC and in Europe/Berlin.
    `instead`: what a rejected order can still become (`queries.instead`)."""
    return {
        "order_id": order.order_id,
        "order_ref": order_ref(order.order_id),
        "status": order.status.value,
        "status_url": status_url(order.order_id),
        "resident_id": order.resident_id,
        "pickup_point": {"pickup_point_id": order.pickup_point_id, "name": pickup_point_name},
        "delivery_day": order.delivery_day.isoformat(),
        "payment_method": order.payment_method,
        "channel": order.channel.lower(),
        "entered_by": order.entered_by,
        "note": order.note,
        "lines": [{
            "product_id": line.product_id, "shop_id": line.shop_id, "product_name": line.product_name,
            "unit": line.unit, "quantity": line.quantity,
            "unit_price": money(line.unit_price.amount_cents, line.unit_price.currency),
            "line_total": money(line_total_cents(line), line.unit_price.currency),
            "vat_rate_bp": line.vat_rate_bp, "temperature_class": line.temperature_class,
            "weight_g": line.weight_g, "volume_ml": line.volume_ml,
        } for line in order.lines],
        "goods_total": money(order.goods_cents, order.currency),
        "delivery_fee": money(order.delivery_fee_cents, order.currency),
        "total": money(order.total_cents, order.currency),
        "history": [{"status": change.status.value, "at": change.at.isoformat(),
                     "at_local": in_berlin(change.at).isoformat()} for change in order.history],
        "compartment_ids": list(order.compartment_ids),
        # Each shop's part and the day it arrives; the order's delivery_day is its last part's.
        "parts": [part.to_dict() for part in order.parts],
        "rejection": None if order.rejection is None else order.rejection.to_dict(),
        "collect_by": order.collect_by.isoformat() if order.collect_by else None,
        "collect_by_local": in_berlin(order.collect_by).isoformat() if order.collect_by else None,
        "cancel_reason": order.cancel_reason,
        "cancellable": order.cancellable,
        "instead": instead,
        "replaces": order.replaces,
        "replaced_by": order.replaced_by,
    }


def order_summary_json(order: OrderView) -> dict[str, Any]:
    return {
        "order_id": order.order_id, "order_ref": order_ref(order.order_id), "status": order.status.value,
        "status_url": status_url(order.order_id), "resident_id": order.resident_id,
        "pickup_point_id": order.pickup_point_id, "delivery_day": order.delivery_day.isoformat(),
        "total": money(order.total_cents, order.currency), "lines": len(order.lines),
        "placed_at": order.placed_at.isoformat(),
        "placed_at_local": in_berlin(order.placed_at).isoformat(),
    }


def packing_list_json(packing: PackingList) -> dict[str, Any]:
    return {
        "shop_id": packing.shop_id,
        "day": packing.day.isoformat(),
        "orders": [{
            "order_id": o.order_id, "order_ref": o.order_ref, "status": o.status,
            "pickup_point": {"pickup_point_id": o.pickup_point_id, "name": o.pickup_point_name},
            "weight_g": o.weight_g, "volume_ml": o.volume_ml,
            "lines": [{"product_id": line.product_id, "product_name": line.product_name, "unit": line.unit,
                       "quantity": line.quantity, "temperature_class": line.temperature_class}
                      for line in o.lines],
        } for o in packing.orders],
        "totals": [{"product_id": t.product_id, "product_name": t.product_name, "unit": t.unit,
                    "quantity": t.quantity, "orders": t.orders} for t in packing.totals],
    }


def booking_window_json(window: BookingWindow, cutoff: str, days: list[date] | None = None,
                        shop_ids: list[str] | None = None) -> dict[str, Any]:
    """`days`: those of the window the basket's shops can make (all of them by default)."""
    return {"earliest": window.earliest.isoformat(), "latest": window.latest.isoformat(),
            "cutoff": cutoff, "timezone": "Europe/Berlin", "shop_ids": shop_ids or [],
            "days": [d.isoformat() for d in (window.days() if days is None else days)]}
