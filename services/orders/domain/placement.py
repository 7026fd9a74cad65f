"""Validating and pricing a resident's basket: one order across shops.

Every rule that fails is reported with the field it concerns, so a form (or an
assistant on the phone) can point at the line to fix:

    validate_order(request, products, point, rules, now, shops=shops)
    -> PricedOrder, or raises OrderInvalid([Problem("lines[1].quantity", "..."), ...])

Prices, shops, temperature classes, weights and volumes are the listing's as
the orders service last saw it; the catalog decides the stock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Mapping, Sequence

from nahnetz.kit.errors import Unprocessable
from nahnetz.records import Money, OrderLine, TemperatureClass

from .booking import BookingRules, booking_window, delivery_day_problem, earliest_collection
from .collection_days import describe, shops_of, unreachable
from .listings import PickupPointListing, ProductListing, ShopListing

PAYMENT_METHODS = ("ONLINE", "SIMULATED", "AT_PICKUP")
CHANNELS = ("WEB", "APP", "PHONE", "COUNTER", "MARKET", "PAPER")
MAX_NOTE_LENGTH = 500


@dataclass(frozen=True)
class LineRequest:
    product_id: str
    quantity: int


@dataclass(frozen=True)
class OrderRequest:
    resident_id: str
    lines: tuple[LineRequest, ...]
    pickup_point_id: str
    delivery_day: date
    payment_method: str
    channel: str
    entered_by: str | None = None  # the assistant who typed it in for the resident
    note: str | None = None


@dataclass(frozen=True)
class Problem:
    field: str
    message: str


class OrderInvalid(Unprocessable):
    """The order breaks one or more rules; `problems` name the fields (422)."""

    code = "validation_failed"

    def __init__(self, problems: Sequence[Problem]):
        self.problems = tuple(problems)
        summary = "; ".join(f"{p.field}: {p.message}" for p in self.problems[:3])
        more = f" (and {len(self.problems) - 3} more)" if len(self.problems) > 3 else ""
        super().__init__(f"the order is invalid: {summary}{more}")

    def as_body(self) -> dict[str, Any]:
        # The same shape as the kit's answer to a malformed body.
        return {"error": self.code, "message": self.message,
                "detail": [{"field": p.field, "in": "body", "message": p.message} for p in self.problems]}


def line_total_cents(line: OrderLine) -> int:
    return line.unit_price.amount_cents * line.quantity


@dataclass(frozen=True)
class PricedOrder:
    request: OrderRequest
    lines: tuple[OrderLine, ...]   # priced from the listings, as OrderPlaced carries them
    delivery_fee_cents: int
    currency: str

    @property
    def goods_cents(self) -> int:
        return sum(line_total_cents(line) for line in self.lines)

    @property
    def total_cents(self) -> int:
        return self.goods_cents + self.delivery_fee_cents

    @property
    def shop_ids(self) -> tuple[str, ...]:
        return tuple(sorted({line.shop_id for line in self.lines}))


def validate_order(request: OrderRequest, products: Mapping[str, ProductListing | None],
                   pickup_point: PickupPointListing | None, rules: BookingRules, now: datetime,
                   shops: Mapping[str, ShopListing | None] | None = None) -> PricedOrder:
    """Check every rule; price the lines from the listings. Raises OrderInvalid
    naming every problem found, not only the first. `shops`: the opening hours of
    the order's shops, where known (a day their goods cannot make is refused)."""
    problems: list[Problem] = []
    problems += _line_problems(request.lines, products, rules)
    if not request.resident_id.strip():
        problems.append(Problem("resident_id", "the resident is missing"))
    if pickup_point is None:
        problems.append(Problem("pickup_point_id", f"there is no pick-up point {request.pickup_point_id!r}"))
    elif not pickup_point.in_service:
        problems.append(Problem("pickup_point_id",
                                f"the pick-up point {pickup_point.name!r} takes no orders at the moment"))
    day_problem = delivery_day_problem(request.delivery_day, now, rules)
    if day_problem:
        problems.append(Problem("delivery_day", day_problem))
    elif shops:
        day_problem = _collection_problem(request, products, shops, rules, now)
        if day_problem:
            problems.append(Problem("delivery_day", day_problem))
    if request.payment_method not in PAYMENT_METHODS:
        problems.append(Problem("payment_method", f"payment must be one of {', '.join(PAYMENT_METHODS)}"))
    if request.channel not in CHANNELS:
        problems.append(Problem("channel", f"the channel must be one of {', '.join(c.lower() for c in CHANNELS)}"))
    if request.note is not None and len(request.note) > MAX_NOTE_LENGTH:
        problems.append(Problem("note", f"the note may have at most {MAX_NOTE_LENGTH} characters"))
    if problems:
        raise OrderInvalid(problems)

    lines = tuple(_priced(line, products[line.product_id]) for line in request.lines)  # type: ignore[arg-type]
    foreign = [i for i, line in enumerate(lines) if line.unit_price.currency != rules.currency]
    if foreign:
        raise OrderInvalid([Problem(f"lines[{i}].product_id",
                                    f"the product is priced in {lines[i].unit_price.currency}, not {rules.currency}")
                            for i in foreign])
    return PricedOrder(request, lines, rules.delivery_fee_cents, rules.currency)


def _collection_problem(request: OrderRequest, products: Mapping[str, ProductListing | None],
                        shops: Mapping[str, ShopListing | None], rules: BookingRules, now: datetime) -> str | None:
    """Why the order's shops cannot make the delivery day (naming the next day they all can)."""
    shop_ids = [p.shop_id for line in request.lines if (p := products.get(line.product_id)) is not None]
    known = shops_of(shop_ids, dict(shops))
    late = unreachable(known, request.delivery_day, earliest_collection(now, rules), booking_window(now, rules),
                       rules)
    return None if late is None else describe(late, request.delivery_day)


def _line_problems(lines: Sequence[LineRequest], products: Mapping[str, ProductListing | None],
                   rules: BookingRules) -> list[Problem]:
    if not lines:
        return [Problem("lines", "the order needs at least one line")]
    if len(lines) > rules.max_lines:
        return [Problem("lines", f"an order may have at most {rules.max_lines} lines")]
    problems = []
    first_line_of: dict[str, int] = {}
    for i, line in enumerate(lines):
        product = products.get(line.product_id)
        if product is None:
            problems.append(Problem(f"lines[{i}].product_id", f"there is no product {line.product_id!r}"))
        elif product.delisted:
            problems.append(Problem(f"lines[{i}].product_id",
                                    f"{product.name!r} is no longer offered by its shop"))
        if line.product_id in first_line_of:
            problems.append(Problem(f"lines[{i}].product_id",
                                    f"the product is already in line {first_line_of[line.product_id]}; "
                                    "order it in one line with the total quantity"))
        else:
            first_line_of[line.product_id] = i
        if line.quantity < 1:
            problems.append(Problem(f"lines[{i}].quantity", "the quantity must be at least 1"))
        elif line.quantity > rules.max_quantity:
            problems.append(Problem(f"lines[{i}].quantity",
                                    f"the quantity can be at most {rules.max_quantity}"))
    return problems


def _priced(line: LineRequest, product: ProductListing) -> OrderLine:
    return OrderLine(
        product_id=product.product_id, shop_id=product.shop_id, product_name=product.name,
        unit=product.unit, quantity=line.quantity,
        unit_price=Money(amount_cents=product.price_cents, currency=product.currency),
        vat_rate_bp=product.vat_rate_bp, temperature_class=TemperatureClass(product.temperature_class),
        weight_g=product.weight_g * line.quantity, volume_ml=product.volume_ml * line.quantity,
    )
