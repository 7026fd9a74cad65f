"""The order saga: join the answers to an order into one decision.

Each product of an order gets one stock answer (the catalog worker owning the
product decides its lines), the pick-up point one compartment answer. The order
is confirmed when every product's stock and a compartment are reserved, and
rejected as soon as any answer is a rejection, or when the answers are not all
in by the deadline (TIMEOUT). A decision is made once: answers after it, and a
second answer for the same product, change nothing.

Answers may overtake the OrderPlaced event (they come on other topics), so the
state keeps answers that arrive before it and decides when it comes.

    state, decision = record_stock(state, stock_answers(stock_reserved_or_rejected))
    state, decision = record_compartment(state, compartment_answer(compartment_reserved_or_rejected))
    state, decision = start(state, Placement.of(order_placed), deadline)
    state, decision = time_out(state, now)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from enum import Enum
from typing import Any, Iterable, Mapping

from nahnetz.records import (CompartmentRejected, CompartmentRejectionReason, CompartmentReserved, OrderPart,
                             OrderPlaced, OrderRejectionReason, PickupAlternative, RejectedOrderLine, StockRejected,
                             StockRejectionReason, StockReserved)

from .lifecycle import Rejection, alternative_dict, alternative_of


class Phase(str, Enum):
    AWAITING = "AWAITING"
    CONFIRMED = "CONFIRMED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"   # closed from outside: the resident cancelled while we waited


# The catalog's and pickup's reasons as the order's (OTHER for any not named here).
Reason = OrderRejectionReason
STOCK_REASONS = {
    StockRejectionReason.OUT_OF_STOCK: Reason.OUT_OF_STOCK,
    StockRejectionReason.INSUFFICIENT_STOCK: Reason.OUT_OF_STOCK,
    StockRejectionReason.UNKNOWN_PRODUCT: Reason.UNKNOWN_PRODUCT,
    StockRejectionReason.DELISTED: Reason.UNKNOWN_PRODUCT,
    StockRejectionReason.WRONG_SHOP: Reason.UNKNOWN_PRODUCT,
    StockRejectionReason.SHOP_CLOSED: Reason.DELIVERY_DAY_UNAVAILABLE,
    StockRejectionReason.INVALID_QUANTITY: Reason.INVALID_ORDER,
}
COMPARTMENT_REASONS = {
    CompartmentRejectionReason.FULL: Reason.NO_COMPARTMENT,
    CompartmentRejectionReason.NO_TEMPERATURE_CLASS: Reason.NO_COMPARTMENT,
    CompartmentRejectionReason.TOO_LARGE: Reason.NO_COMPARTMENT,
    CompartmentRejectionReason.UNKNOWN_PICKUP_POINT: Reason.UNKNOWN_PICKUP_POINT,
    CompartmentRejectionReason.OUT_OF_SERVICE: Reason.DELIVERY_DAY_UNAVAILABLE,
    CompartmentRejectionReason.CLOSED_ON_DAY: Reason.DELIVERY_DAY_UNAVAILABLE,
}


@dataclass(frozen=True)
class Placement:
    """What the saga needs of OrderPlaced."""

    products: frozenset[str]
    pickup_point_id: str
    delivery_day: date
    # The flow the OrderPlaced started, so a timeout's rejection joins it.
    correlation_id: str = ""
    placed_event_id: str = ""

    @classmethod
    def of(cls, event: OrderPlaced) -> "Placement":
        return cls(frozenset(line.product_id for line in event.lines), event.pickup_point_id,
                   event.delivery_day, event.correlation_id, event.event_id)


@dataclass(frozen=True)
class StockAnswer:
    product_id: str
    reserved: bool
    rejected: RejectedOrderLine | None = None   # set when not reserved


@dataclass(frozen=True)
class CompartmentAnswer:
    reserved: bool
    compartment_ids: tuple[str, ...] = ()
    reason: CompartmentRejectionReason | None = None   # when not reserved
    parts: tuple[OrderPart, ...] = ()   # which compartments take each shop's goods
    alternatives: tuple[PickupAlternative, ...] = ()   # when not reserved: where and when it would fit


@dataclass(frozen=True)
class Confirm:
    pickup_point_id: str
    delivery_day: date
    compartment_ids: tuple[str, ...]
    parts: tuple[OrderPart, ...] = ()


Decision = Confirm | Rejection


@dataclass(frozen=True)
class SagaState:
    order_id: str
    phase: Phase = Phase.AWAITING
    placement: Placement | None = None
    stock: Mapping[str, StockAnswer] = field(default_factory=dict)
    compartment: CompartmentAnswer | None = None
    deadline: float | None = None          # epoch seconds

    @property
    def awaiting(self) -> bool:
        return self.phase is Phase.AWAITING

    def missing(self) -> list[str]:
        """What has not answered yet, for the operators' message on a timeout."""
        gaps = []
        if self.placement is not None:
            products = sorted(self.placement.products - set(self.stock))
            if products:
                gaps.append("no stock answer for " + ", ".join(products))
        if self.compartment is None:
            gaps.append("no compartment answer")
        return gaps

    # -- storage ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "phase": self.phase.value,
            "placement": None if self.placement is None else {
                "products": sorted(self.placement.products),
                "pickup_point_id": self.placement.pickup_point_id,
                "delivery_day": self.placement.delivery_day.isoformat(),
                "correlation_id": self.placement.correlation_id,
                "placed_event_id": self.placement.placed_event_id,
            },
            "stock": {pid: {"reserved": a.reserved,
                            "rejected": None if a.rejected is None else a.rejected.to_avro()}
                      for pid, a in self.stock.items()},
            "compartment": None if self.compartment is None else {
                "reserved": self.compartment.reserved,
                "compartment_ids": list(self.compartment.compartment_ids),
                "reason": None if self.compartment.reason is None else str(self.compartment.reason),
                "parts": [part.to_avro() for part in self.compartment.parts],
                "alternatives": [alternative_dict(a) for a in self.compartment.alternatives],
            },
            "deadline": self.deadline,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "SagaState":
        placement = data.get("placement")
        compartment = data.get("compartment")
        return cls(
            order_id=data["order_id"],
            phase=Phase(data["phase"]),
            placement=None if placement is None else Placement(
                frozenset(placement["products"]), placement["pickup_point_id"],
                date.fromisoformat(placement["delivery_day"]), placement.get("correlation_id", ""),
                placement.get("placed_event_id", "")),
            stock={pid: StockAnswer(pid, a["reserved"],
                                    RejectedOrderLine.from_avro(a["rejected"]) if a.get("rejected") else None)
                   for pid, a in data.get("stock", {}).items()},
            compartment=None if compartment is None else CompartmentAnswer(
                compartment["reserved"], tuple(compartment["compartment_ids"]),
                None if compartment.get("reason") is None else CompartmentRejectionReason(compartment["reason"]),
                tuple(OrderPart.from_avro(part) for part in compartment.get("parts", [])),
                tuple(alternative_of(a) for a in compartment.get("alternatives", []))),
            deadline=data.get("deadline"),
        )


Step = tuple[SagaState, Decision | None]


def stock_answers(event: StockReserved | StockRejected) -> list[StockAnswer]:
    """One answer per product of a stock decision."""
    if isinstance(event, StockReserved):
        return [StockAnswer(line.product_id, True) for line in event.lines]
    return [StockAnswer(line.product_id, False, RejectedOrderLine(
        product_id=line.product_id, shop_id=line.shop_id, reason=line.reason, available=line.available))
        for line in event.lines]


def compartment_answer(event: CompartmentReserved | CompartmentRejected) -> CompartmentAnswer:
    if isinstance(event, CompartmentReserved):
        return CompartmentAnswer(True, tuple(event.compartment_ids), parts=tuple(event.parts))
    return CompartmentAnswer(False, (), event.reason, alternatives=tuple(event.alternatives))


def start(state: SagaState, placement: Placement, deadline: float) -> Step:
    """OrderPlaced arrived: now we know which answers to wait for, and until when."""
    if state.placement is not None or not state.awaiting:
        return state, None
    # Early answers for products not in the order cannot count (a foreign decision).
    stock = {pid: answer for pid, answer in state.stock.items() if pid in placement.products}
    return _decide(replace(state, placement=placement, stock=stock, deadline=deadline))


def record_stock(state: SagaState, answers: Iterable[StockAnswer]) -> Step:
    """A stock decision for (the lines of) one or more products."""
    if not state.awaiting:
        return state, None
    stock = dict(state.stock)
    for answer in answers:
        if state.placement is not None and answer.product_id not in state.placement.products:
            continue
        stock.setdefault(answer.product_id, answer)  # the first answer for a product counts
    return _decide(replace(state, stock=stock))


def record_compartment(state: SagaState, answer: CompartmentAnswer) -> Step:
    if not state.awaiting or state.compartment is not None:
        return state, None
    return _decide(replace(state, compartment=answer))


def time_out(state: SagaState, now: float) -> Step:
    """Reject an order whose answers are not all in by its deadline."""
    if not state.awaiting or state.deadline is None or now < state.deadline:
        return state, None
    rejection = Rejection(Reason.TIMEOUT, (), "; ".join(state.missing()) or "no complete answer in time")
    return replace(state, phase=Phase.REJECTED), rejection


def close(state: SagaState, phase: Phase) -> SagaState:
    """The order was decided or cancelled on orders.orders: answers from now on are late."""
    return replace(state, phase=phase) if state.awaiting else state


def _decide(state: SagaState) -> Step:
    rejected = [a.rejected or RejectedOrderLine(product_id=pid, shop_id="")
                for pid, a in state.stock.items() if not a.reserved]
    if rejected:
        lines = tuple(sorted(rejected, key=lambda line: line.product_id))
        reason = STOCK_REASONS.get(lines[0].reason, Reason.OTHER)
        message = "; ".join(_describe(line) for line in lines)
        return replace(state, phase=Phase.REJECTED), Rejection(reason, lines, message)
    if state.compartment is not None and not state.compartment.reserved:
        why = state.compartment.reason or CompartmentRejectionReason.OTHER
        return (replace(state, phase=Phase.REJECTED),
                Rejection(COMPARTMENT_REASONS.get(why, Reason.OTHER), (), f"compartment rejected: {why}",
                          state.compartment.alternatives))
    placement = state.placement
    if (placement is not None and state.compartment is not None
            and placement.products <= {pid for pid, a in state.stock.items() if a.reserved}):
        return (replace(state, phase=Phase.CONFIRMED),
                Confirm(placement.pickup_point_id, placement.delivery_day, state.compartment.compartment_ids,
                        state.compartment.parts))
    return state, None


def _describe(line: RejectedOrderLine) -> str:
    available = f", {line.available} available" if line.available is not None else ""
    return f"stock rejected for {line.product_id} ({line.reason}{available})"
