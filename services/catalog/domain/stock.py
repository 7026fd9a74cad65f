"""Stock of one product and the decisions on it: reserve for an order, release,
adjust. Pure: the worker owning the product's partition loads a `StockState`,
asks one of these functions and writes the outcome together with its processed
marker in one atomic Redis step. Lines are the records of the events
(`StockLine`, `RejectedStockLine`), so a decision goes into StockReserved or
StockRejected as it is.

What the numbers mean:
- `available`: units a new order can still get. A reservation takes units from
  here and holds them for its order until the order is rejected, cancelled or
  expires (they come back) or is collected (they are sold).
- `reservations`: units held, per order. Each order is decided once per product,
  all or nothing: lines of one product in one order are summed.

A shop adjusting its stock speaks about `available` as well: a count ("set the
level to 12") is what is on the shelf for sale now, so it replaces `available`,
and units held for open orders stay held (they are set aside and were not
counted). A change by units ("+10 delivered", "-2 sold in the shop") moves
`available`; it never goes below zero, since held units belong to orders.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterable, Mapping

from nahnetz.records import DelistingReason, OrderLine, RejectedStockLine, StockLine, StockRejectionReason

LISTED, DELISTED = "LISTED", "DELISTED"
MAX_LEVEL = 1_000_000


@dataclass(frozen=True)
class StockState:
    product_id: str
    shop_id: str
    available: int
    reservations: Mapping[str, int] = field(default_factory=dict)
    status: str = LISTED
    delisting_reason: str | None = None

    @property
    def reserved(self) -> int:
        return sum(self.reservations.values())

    @property
    def orderable(self) -> bool:
        return self.status == LISTED and self.available > 0


def lines_of(order_lines: Iterable[OrderLine], product_id: str) -> tuple[StockLine, ...]:
    """The lines of one product in an order, as the decider sees them (product, shop, units)."""
    return tuple(StockLine(product_id=line.product_id, shop_id=line.shop_id, quantity=line.quantity)
                 for line in order_lines if line.product_id == product_id)


@dataclass(frozen=True)
class Reserved:
    order_id: str
    lines: tuple[StockLine, ...]
    state: StockState  # after the reservation

    @property
    def quantity(self) -> int:
        return sum(line.quantity for line in self.lines)


@dataclass(frozen=True)
class Rejected:
    order_id: str
    lines: tuple[RejectedStockLine, ...]


Decision = Reserved | Rejected


@dataclass(frozen=True)
class Released:
    order_id: str
    quantity: int
    state: StockState  # after the release


@dataclass(frozen=True)
class Adjustment:
    before: int
    after: int
    clamped: bool  # a decrease asked for more units than were available

    @property
    def delta(self) -> int:
        return self.after - self.before


def _rejected(line: StockLine, reason: StockRejectionReason, available: int | None = None) -> RejectedStockLine:
    return RejectedStockLine(product_id=line.product_id, shop_id=line.shop_id, quantity=line.quantity,
                             reason=reason, available=available)


def _reject_all(order_id: str, lines: Iterable[StockLine], reason: StockRejectionReason,
                available: int | None = None) -> Rejected:
    return Rejected(order_id, tuple(_rejected(l, reason, available) for l in lines))


def decide(state: StockState | None, order_id: str, lines: Iterable[StockLine]) -> Decision:
    """Reserve all `lines` of one product for `order_id`, or reject them all."""
    lines = tuple(lines)
    if not lines:
        raise ValueError(f"order {order_id}: no lines to decide")
    if state is None:
        return _reject_all(order_id, lines, StockRejectionReason.UNKNOWN_PRODUCT)
    if order_id in state.reservations:
        # Decided before (a replay into kept state): the same answer, nothing changes.
        return Reserved(order_id, lines, state)
    broken = [(l, _line_problem(state, l)) for l in lines]
    if any(problem for _, problem in broken):
        # The order asked for something impossible; its other lines of this product
        # are rejected with it (OTHER), since the product is decided all or nothing.
        return Rejected(order_id, tuple(_rejected(l, problem or StockRejectionReason.OTHER) for l, problem in broken))
    if state.status == DELISTED:
        closed = state.delisting_reason == DelistingReason.SHOP_CLOSED
        return _reject_all(order_id, lines,
                           StockRejectionReason.SHOP_CLOSED if closed else StockRejectionReason.DELISTED)
    wanted = sum(l.quantity for l in lines)
    if state.available <= 0:
        return _reject_all(order_id, lines, StockRejectionReason.OUT_OF_STOCK, 0)
    if wanted > state.available:
        return _reject_all(order_id, lines, StockRejectionReason.INSUFFICIENT_STOCK, state.available)
    after = replace(state, available=state.available - wanted,
                    reservations={**state.reservations, order_id: wanted})
    return Reserved(order_id, lines, after)


def _line_problem(state: StockState, line: StockLine) -> StockRejectionReason | None:
    if line.quantity <= 0:
        return StockRejectionReason.INVALID_QUANTITY
    if line.shop_id != state.shop_id:
        return StockRejectionReason.WRONG_SHOP
    return None


def release(state: StockState | None, order_id: str) -> Released | None:
    """Give back what `order_id` holds; None when it holds nothing (never
    reserved, rejected, or released before): a release is then a no-op."""
    if state is None or order_id not in state.reservations:
        return None
    held = state.reservations[order_id]
    rest = {o: q for o, q in state.reservations.items() if o != order_id}
    return Released(order_id, held, replace(state, available=state.available + held, reservations=rest))


@dataclass(frozen=True)
class Sold:
    order_id: str
    quantity: int
    state: StockState  # after the sale


def sell(state: StockState | None, order_id: str) -> Sold | None:
    """The order was collected: what it holds is sold, so it is held no more and
    does not come back to `available`. None when it holds nothing (never reserved,
    released, or sold before): a sale is then a no-op."""
    if state is None or order_id not in state.reservations:
        return None
    held = state.reservations[order_id]
    rest = {o: q for o, q in state.reservations.items() if o != order_id}
    return Sold(order_id, held, replace(state, reservations=rest))


def adjust(state: StockState, *, delta: int | None = None, level: int | None = None) -> Adjustment:
    """Apply a shop's count (`level`) or change (`delta`) to the available units."""
    if (delta is None) == (level is None):
        raise ValueError("adjust needs either a level or a delta")
    if level is not None:
        if not 0 <= level <= MAX_LEVEL:
            raise ValueError(f"stock level {level} is outside 0..{MAX_LEVEL}")
        return Adjustment(state.available, level, clamped=False)
    wanted = state.available + delta
    after = min(max(wanted, 0), MAX_LEVEL)
    return Adjustment(state.available, after, clamped=after != wanted)
