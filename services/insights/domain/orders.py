"""Folding orders.orders: an order's events (one partition per order, so in order)
and what the fold keeps of the order between them (`OrderTrace`).

    trace, changes = fold_order(None, placed)          # orders, items, value, channel
    trace, changes = fold_order(trace, ready)          # lead time ordered -> ready

Counters of a pick-up point's day cell (the day each event happened):
`orders`, `items`, `value_cents`, `channel:<CHANNEL>`, `confirmed`, `rejected`,
`rejected:<REASON>`, `cancelled`, `ready`, `collected`, `expired`, `at:<HH:MM>`
(local time of a collection); samples `lead_ready_s` (OrderPlaced -> OrderReadyForPickup)
and `ready_collected_s` (OrderReadyForPickup -> OrderCollected), in seconds. A shop's
day cell counts `orders` with a part from the shop.

An order placed again as an alternative to a rejected one (`OrderPlaced.replaces`)
counts as an order of its own, as its rejection counts among the reasons.

What the events lack: the resident's village (an order names only its pick-up point,
so an order counts in the point's village, where it is collected); when a parcel is
really taken out of a locker by a counter's staff (`OrderCollected` is the moment).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from nahnetz.records import (
    OrderCancelled, OrderCollected, OrderConfirmed, OrderExpired, OrderPlaced, OrderReadyForPickup, OrderRejected,
)
from nahnetz.records.base import EventRecord

from .changes import POINT, SHOP, Add, Cell, Change, Sample
from .days import day_of, local_minute


@dataclass(frozen=True)
class OrderTrace:
    """What the fold keeps of one order: where it is collected, and when it was placed and ready."""

    point: str
    placed_ms: int
    shops: list[str] = field(default_factory=list)
    ready_ms: int | None = None
    ended: bool = False   # collected or expired: a second end counts nothing

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> "OrderTrace":
        return cls(**doc)


class OrderNotPlaced(ValueError):
    """An order event for an order whose OrderPlaced was never seen."""


def _ms(event: EventRecord) -> int:
    return int(event.meta.occurred_at.timestamp() * 1000)


def fold_order(trace: OrderTrace | None, event: EventRecord) -> tuple[OrderTrace | None, list[Change]]:
    """The order's new trace and what the event adds. Events the KPIs do not use
    (OrderDeliveryMoved) change nothing."""
    if isinstance(event, OrderPlaced):
        return _placed(trace, event)
    if not isinstance(event, (OrderConfirmed, OrderRejected, OrderCancelled, OrderReadyForPickup,
                              OrderCollected, OrderExpired)):
        return trace, []
    if trace is None:
        raise OrderNotPlaced(f"{event.type} of order {event.order_id}, which was never placed")
    cell = Cell(day_of(event.meta.occurred_at), POINT, trace.point)
    if isinstance(event, OrderConfirmed):
        return trace, [Add(cell, "confirmed")]
    if isinstance(event, OrderRejected):
        return trace, [Add(cell, "rejected"), Add(cell, f"rejected:{event.reason.value}")]
    if isinstance(event, OrderCancelled):
        return trace, [Add(cell, "cancelled")]
    if isinstance(event, OrderReadyForPickup):
        if trace.ready_ms is not None:
            return trace, []  # ready once; a later part's deposit does not make it ready again
        ready = replace(trace, ready_ms=_ms(event))
        lead_s = max(0, (ready.ready_ms - trace.placed_ms) // 1000)
        return ready, [Add(cell, "ready"), Sample(cell, "lead_ready_s", event.order_id, lead_s)]
    if trace.ended:
        return trace, []
    ended = replace(trace, ended=True)
    if isinstance(event, OrderExpired):
        return ended, [Add(cell, "expired")]
    changes: list[Change] = [Add(cell, "collected"), Add(cell, f"at:{local_minute(event.meta.occurred_at)}")]
    if trace.ready_ms is not None:
        waited_s = max(0, (_ms(event) - trace.ready_ms) // 1000)
        changes.append(Sample(cell, "ready_collected_s", event.order_id, waited_s))
    return ended, changes


def _placed(trace: OrderTrace | None, event: OrderPlaced) -> tuple[OrderTrace, list[Change]]:
    if trace is not None:
        return trace, []  # the same order placed twice (a replay of a copy): counted once
    day = day_of(event.meta.occurred_at)
    cell = Cell(day, POINT, event.pickup_point_id)
    shops = sorted({line.shop_id for line in event.lines})
    changes: list[Change] = [
        Add(cell, "orders"),
        Add(cell, "items", sum(line.quantity for line in event.lines)),
        Add(cell, "value_cents", event.total.amount_cents),
        Add(cell, f"channel:{event.channel.value}"),
        *(Add(Cell(day, SHOP, shop), "orders") for shop in shops),
    ]
    return OrderTrace(point=event.pickup_point_id, placed_ms=_ms(event), shops=shops), changes
