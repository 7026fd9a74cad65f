"""Properties of the orders domain: validating and pricing a basket
(services/orders/domain/placement.py, booking.py), the saga that joins the stock
and compartment answers (saga.py), and an order's life (lifecycle.py).

A valid basket is priced from the listings and its totals add up; a broken one
names every broken field; the bookable days follow the cut-off and the horizon;
the saga decides once, confirms exactly when everything is reserved, and a late
or repeated answer changes nothing; an order only moves along its diagram."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from nahnetz.clock import BERLIN
from nahnetz.events import new_event
from nahnetz.records import (CompartmentRejectionReason, Money, OrderCancelled, OrderCollected, OrderConfirmed,
                             OrderExpired, OrderLine, OrderPlaced, OrderReadyForPickup, OrderRejected,
                             OrderRejectionReason, RejectedOrderLine, StockRejectionReason, TemperatureClass)
from services.orders.domain.booking import BookingRules, booking_window, delivery_day_problem
from services.orders.domain.lifecycle import OrderStatus, OrderView, advance, placed_order
from services.orders.domain.listings import PickupPointListing, ProductListing
from services.orders.domain.placement import (CHANNELS, PAYMENT_METHODS, LineRequest, OrderInvalid, OrderRequest,
                                              validate_order)
from services.orders.domain.saga import (CompartmentAnswer, Confirm, Phase, Placement, SagaState, StockAnswer, close,
                                         record_compartment, record_stock, start, time_out)

FAST = settings(max_examples=100, deadline=None)
RULES = BookingRules()
POINT = PickupPointListing("pp-brakel", "Brakel Marktplatz", "LOCKER", "Brakel", "Brakel")

# Moments anywhere in the world, across both DST changes of a few years.
zones = st.sampled_from([BERLIN, timezone.utc, timezone(timedelta(hours=-5)), timezone(timedelta(hours=9))])
moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=zones)


# -- booking days -----------------------------------------------------------------------------------------------
@FAST
@given(moments, st.times(), st.integers(min_value=2, max_value=30))
def test_the_bookable_days_follow_the_cutoff_and_the_horizon(now, cutoff, horizon):
    rules = BookingRules(cutoff=cutoff, horizon_days=horizon)
    local = now.astimezone(BERLIN)
    today = local.date()
    bookable = [today + timedelta(days=n) for n in range(-2, horizon + 3)
                if delivery_day_problem(today + timedelta(days=n), now, rules) is None]
    # Tomorrow only before the cut-off (Berlin time), then every day up to the horizon.
    first = 1 if local.time() < cutoff else 2
    assert bookable == [today + timedelta(days=n) for n in range(first, horizon + 1)]
    assert booking_window(now, rules).days() == bookable


@FAST
@given(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31)))
def test_a_moment_without_a_zone_is_refused(naive):
    with pytest.raises(ValueError):
        booking_window(naive, RULES)


# -- validating and pricing -------------------------------------------------------------------------------------
listings = st.builds(
    ProductListing, st.just(""), st.sampled_from(["shop-hof", "shop-baecker", "shop-imker"]),
    st.text(min_size=1, max_size=20), st.sampled_from(["Stück", "200 g", "1 l"]),
    st.integers(min_value=1, max_value=50_000), st.just("EUR"), st.sampled_from([0, 700, 1900]),
    st.sampled_from(["AMBIENT", "CHILLED", "FROZEN"]), st.integers(min_value=1, max_value=5000),
    st.integers(min_value=1, max_value=5000))


@st.composite
def valid_orders(draw, max_lines: int = 5):
    """A basket that keeps every rule, the listings it names, and the moment it is placed."""
    catalog = draw(st.lists(listings, min_size=1, max_size=max_lines))
    products = {f"p-{i}": replace(p, product_id=f"p-{i}") for i, p in enumerate(catalog)}
    chosen = draw(st.permutations(sorted(products)))[:draw(st.integers(min_value=1, max_value=len(products)))]
    lines = tuple(LineRequest(pid, draw(st.integers(min_value=1, max_value=RULES.max_quantity))) for pid in chosen)
    now = draw(moments)
    window = booking_window(now, RULES)
    span = (window.latest - window.earliest).days
    day = window.earliest + timedelta(days=draw(st.integers(min_value=0, max_value=span)))
    request = OrderRequest(
        resident_id=draw(st.sampled_from(["r-1", "resident 7"])), lines=lines, pickup_point_id=POINT.pickup_point_id,
        delivery_day=day, payment_method=draw(st.sampled_from(PAYMENT_METHODS)),
        channel=draw(st.sampled_from(CHANNELS)),
        note=draw(st.none() | st.text(max_size=500)))
    return request, products, now


@FAST
@given(valid_orders())
def test_a_valid_basket_is_priced_from_the_listings_and_its_totals_add_up(case):
    request, products, now = case
    priced = validate_order(request, products, POINT, RULES, now)
    assert [(l.product_id, l.quantity) for l in priced.lines] == [(r.product_id, r.quantity) for r in request.lines]
    for line in priced.lines:
        listing = products[line.product_id]
        assert (line.shop_id, line.product_name, line.unit, line.vat_rate_bp, line.temperature_class) == (
            listing.shop_id, listing.name, listing.unit, listing.vat_rate_bp, listing.temperature_class)
        assert line.unit_price == Money(amount_cents=listing.price_cents, currency="EUR")
        assert (line.weight_g, line.volume_ml) == (listing.weight_g * line.quantity, listing.volume_ml * line.quantity)
    goods = sum(products[r.product_id].price_cents * r.quantity for r in request.lines)
    assert priced.goods_cents == goods
    assert priced.total_cents == goods + RULES.delivery_fee_cents == priced.goods_cents + priced.delivery_fee_cents
    assert priced.shop_ids == tuple(sorted({products[r.product_id].shop_id for r in request.lines}))


ORDER_DEFECTS = ("resident", "no point", "point out of service", "day too early", "day too late", "payment",
                 "channel", "note")
LINE_DEFECTS = ("unknown product", "delisted", "no quantity", "too many units")


@FAST
@given(valid_orders(), st.sets(st.sampled_from(ORDER_DEFECTS)),
       st.lists(st.sets(st.sampled_from(LINE_DEFECTS), max_size=2), max_size=5), st.booleans(),
       st.integers(min_value=1, max_value=3))
def test_a_broken_basket_names_every_broken_field(case, defects, line_defects, duplicate, k):
    request, products, now = case
    assume(defects or any(line_defects[:len(request.lines)]) or duplicate)
    window = booking_window(now, RULES)
    wrong_values = {"resident": ("resident_id", " \t"), "payment": ("payment_method", "CASH"),
                    "channel": ("channel", "FAX"), "note": ("note", "x" * 501),
                    "day too late": ("delivery_day", window.latest + timedelta(days=k)),
                    "day too early": ("delivery_day", window.earliest - timedelta(days=k))}
    changes = dict(wrong_values[d] for d in wrong_values if d in defects)  # one day: the early one wins
    expected = set(changes)
    point = POINT
    if "no point" in defects:
        point = None
    elif "point out of service" in defects:
        point = replace(POINT, in_service=False)
    if point is not POINT:
        expected.add("pickup_point_id")
    lines = list(request.lines)
    for i, wrong in enumerate(line_defects[:len(lines)]):
        if "unknown product" in wrong:
            lines[i] = replace(lines[i], product_id=f"p-gone-{i}")
        elif "delisted" in wrong:
            products = {**products, lines[i].product_id: products[lines[i].product_id].delist()}
        if "no quantity" in wrong:
            lines[i] = replace(lines[i], quantity=1 - k)
        elif "too many units" in wrong:
            lines[i] = replace(lines[i], quantity=RULES.max_quantity + k)
        expected |= {f"lines[{i}].product_id" for d in ("unknown product", "delisted") if d in wrong}
        expected |= {f"lines[{i}].quantity" for d in ("no quantity", "too many units") if d in wrong}
    if duplicate:
        lines.append(LineRequest(lines[0].product_id, 1))
        expected.add(f"lines[{len(lines) - 1}].product_id")
    broken = replace(request, lines=tuple(lines), **changes)
    with pytest.raises(OrderInvalid) as caught:
        validate_order(broken, products, point, RULES, now)
    assert {p.field for p in caught.value.problems} == expected
    assert all(p.message for p in caught.value.problems)
    assert caught.value.as_body()["detail"] == [{"field": p.field, "in": "body", "message": p.message}
                                                for p in caught.value.problems]


@FAST
@given(valid_orders(), st.data())
def test_only_lines_priced_in_another_currency_are_named(case, data):
    request, products, now = case
    foreign = data.draw(st.sets(st.integers(min_value=0, max_value=len(request.lines) - 1), min_size=1))
    for i in foreign:
        pid = request.lines[i].product_id
        products = {**products, pid: replace(products[pid], currency=data.draw(st.sampled_from(["CHF", "PLN"])))}
    with pytest.raises(OrderInvalid) as caught:
        validate_order(request, products, POINT, RULES, now)
    assert sorted(p.field for p in caught.value.problems) == sorted(f"lines[{i}].product_id" for i in foreign)


@FAST
@given(valid_orders(max_lines=8), st.integers(min_value=1, max_value=4))
def test_too_many_lines_or_none_is_one_problem(case, max_lines):
    request, products, now = case
    rules = BookingRules(max_lines=max_lines)
    too_many = len(request.lines) > max_lines
    for lines in ([request.lines] if too_many else []) + [()]:
        with pytest.raises(OrderInvalid) as caught:
            validate_order(replace(request, lines=tuple(lines)), products, POINT, rules, now)
        assert [p.field for p in caught.value.problems] == ["lines"]
    if not too_many:
        assert validate_order(request, products, POINT, rules, now).lines


# -- the saga -------------------------------------------------------------------------------------------------
DAY = date(2026, 5, 13)
PRODUCTS = ("p-0", "p-1", "p-2", "p-3")


def stock_answer(product_id: str, reserved: bool, reason: StockRejectionReason) -> StockAnswer:
    if reserved:
        return StockAnswer(product_id, True)
    return StockAnswer(product_id, False, RejectedOrderLine(product_id=product_id, shop_id="shop-hof", reason=reason,
                                                            available=0))


# Mostly reserved: the interesting runs are those that get far before anything is refused.
mostly_reserved = st.sampled_from([True, True, True, False])


def answers_for(product_id: str):
    return st.builds(stock_answer, st.just(product_id), mostly_reserved, st.sampled_from(StockRejectionReason))


compartment_answers = mostly_reserved.flatmap(lambda reserved: (
    st.lists(st.sampled_from(["AS1", "CM2", "FL3"]), min_size=1, max_size=3, unique=True).map(
        lambda ids: CompartmentAnswer(True, tuple(ids))) if reserved else
    st.sampled_from(CompartmentRejectionReason).map(lambda why: CompartmentAnswer(False, (), why))))


@st.composite
def sagas(draw):
    """An order's products and the answers to it, in the order they arrive (answers may overtake the order,
    come twice, or concern a product the order does not have)."""
    products = frozenset(draw(st.lists(st.sampled_from(PRODUCTS), min_size=1, max_size=4, unique=True)))
    placement = Placement(products, "pp-brakel", DAY, "corr-1", "ev-placed")
    events: list[tuple] = [("start",), ("compartment", draw(compartment_answers))]
    if draw(st.booleans()):
        events.append(("compartment", draw(compartment_answers)))  # pickup answering twice
    for pid in sorted(products):
        for _ in range(draw(st.integers(min_value=1, max_value=3))):
            events.append(("stock", [draw(answers_for(pid))]))
    events = list(draw(st.permutations(events)))
    # A foreign answer after the order (before it, it could not be told apart: see test_orders_saga).
    after_start = events.index(("start",)) + 1
    for _ in range(draw(st.integers(min_value=0, max_value=2))):
        events.insert(draw(st.integers(min_value=after_start, max_value=len(events))),
                      ("stock", [draw(answers_for("p-foreign"))]))
    return placement, events


def run(state: SagaState, placement: Placement, events) -> tuple[SagaState, list]:
    decisions = []
    for event in events:
        if event[0] == "start":
            state, decision = start(state, placement, deadline=1000.0)
        elif event[0] == "stock":
            state, decision = record_stock(state, event[1])
        else:
            state, decision = record_compartment(state, event[1])
        assert SagaState.from_dict(state.to_dict()) == state, "the state survives storage at every step"
        if decision is not None:
            decisions.append(decision)
        if decisions:
            assert state.phase in (Phase.CONFIRMED, Phase.REJECTED)
    return state, decisions


@FAST
@given(sagas())
def test_the_saga_decides_once_and_confirms_exactly_when_everything_is_reserved(saga):
    placement, events = saga
    state, decisions = run(SagaState("o-1"), placement, events)
    # What counts is the first answer of each of the order's products and pickup's first answer.
    first: dict[str, StockAnswer] = {}
    compartment = None
    for event in events:
        if event[0] == "stock":
            for answer in event[1]:
                if answer.product_id in placement.products:
                    first.setdefault(answer.product_id, answer)
        elif event[0] == "compartment" and compartment is None:
            compartment = event[1]
    assert len(decisions) == 1, "every order gets one decision, and only one"
    decision = decisions[0]
    if all(a.reserved for a in first.values()) and compartment.reserved:
        assert decision == Confirm("pp-brakel", DAY, compartment.compartment_ids)
        assert state.phase is Phase.CONFIRMED
    else:
        assert not isinstance(decision, Confirm) and state.phase is Phase.REJECTED
        refused = {pid for pid, a in first.items() if not a.reserved}
        assert {line.product_id for line in decision.lines} <= refused
        assert decision.lines or not compartment.reserved, "a rejection without lines is pickup's"


@FAST
@given(st.lists(st.sampled_from(PRODUCTS), min_size=2, max_size=4, unique=True), st.data())
def test_a_second_answer_for_a_product_changes_nothing(products, data):
    state, _ = start(SagaState("o-1"), Placement(frozenset(products), "pp-brakel", DAY), deadline=1000.0)
    pid = data.draw(st.sampled_from(products))
    state, decision = record_stock(state, [StockAnswer(pid, True)])
    assert decision is None, "the other products have not answered"
    assert record_stock(state, [data.draw(answers_for(pid))]) == (state, None)


@FAST
@given(sagas(), st.floats(min_value=0, max_value=2000))
def test_late_answers_and_a_second_start_change_nothing(saga, late):
    placement, events = saga
    decided, _ = run(SagaState("o-1"), placement, events)
    for event in events:
        again, decision = run(decided, placement, [event])
        assert (again, decision) == (decided, [])
    assert time_out(decided, late) == (decided, None)


@FAST
@given(st.lists(st.sampled_from(PRODUCTS), min_size=1, max_size=4, unique=True), st.data(),
       st.floats(min_value=0, max_value=2000, allow_nan=False))
def test_an_order_times_out_at_its_deadline_naming_what_did_not_answer(products, data, now):
    placement = Placement(frozenset(products), "pp-brakel", DAY)
    answered = data.draw(st.sets(st.sampled_from(products)))
    with_compartment = data.draw(st.booleans())
    assume(len(answered) < len(products) or not with_compartment)
    state, _ = start(SagaState("o-1"), placement, deadline=1000.0)
    state, _ = record_stock(state, [StockAnswer(pid, True) for pid in answered])
    if with_compartment:
        state, _ = record_compartment(state, CompartmentAnswer(True, ("AS1",)))
    assert state.awaiting
    after, decision = time_out(state, now)
    if now < 1000.0:
        assert (after, decision) == (state, None)
        return
    assert decision.reason == OrderRejectionReason.TIMEOUT and after.phase is Phase.REJECTED
    for pid in set(products) - answered:
        assert pid in decision.message
    for pid in answered:
        assert pid not in decision.message
    assert ("no compartment answer" in decision.message) != with_compartment
    # Answers after the timeout are late.
    assert record_stock(after, [StockAnswer(pid, True) for pid in products]) == (after, None)


@FAST
@given(sagas(), st.data())
def test_a_saga_closed_while_waiting_never_decides(saga, data):
    placement, events = saga
    # The answers up to (not including) the one that would decide.
    waiting_for = 0
    state = SagaState("o-1")
    for event in events:
        state, decisions = run(state, placement, [event])
        if decisions:
            break
        waiting_for += 1
    closed_after = data.draw(st.integers(min_value=0, max_value=waiting_for))
    waiting, _ = run(SagaState("o-1"), placement, events[:closed_after])
    cancelled = close(waiting, Phase.CANCELLED)
    state, decisions = run(cancelled, placement, events[closed_after:])
    assert decisions == [] and state == cancelled


# -- the order's life -------------------------------------------------------------------------------------------
# The diagram of lifecycle.py, written down again: where each status may go.
EDGES = {
    (OrderStatus.PLACED, OrderStatus.CONFIRMED), (OrderStatus.PLACED, OrderStatus.REJECTED),
    (OrderStatus.PLACED, OrderStatus.CANCELLED), (OrderStatus.CONFIRMED, OrderStatus.READY_FOR_PICKUP),
    (OrderStatus.CONFIRMED, OrderStatus.CANCELLED), (OrderStatus.READY_FOR_PICKUP, OrderStatus.COLLECTED),
    (OrderStatus.READY_FOR_PICKUP, OrderStatus.EXPIRED),
}
COLLECT_BY = datetime(2026, 5, 16, 18, 0, tzinfo=timezone.utc)
EVENTS = {
    OrderStatus.CONFIRMED: lambda: new_event(OrderConfirmed, producer="test", order_id="o-1",
                                             pickup_point_id="pp-brakel", delivery_day=DAY, compartment_ids=["A1"]),
    OrderStatus.REJECTED: lambda: new_event(OrderRejected, producer="test", order_id="o-1",
                                            reason=OrderRejectionReason.TIMEOUT),
    OrderStatus.CANCELLED: lambda: new_event(OrderCancelled, producer="test", order_id="o-1", reason="moved"),
    OrderStatus.READY_FOR_PICKUP: lambda: new_event(OrderReadyForPickup, producer="test", order_id="o-1",
                                                    pickup_point_id="pp-brakel", compartment_ids=["A1"],
                                                    collect_by=COLLECT_BY),
    OrderStatus.COLLECTED: lambda: new_event(OrderCollected, producer="test", order_id="o-1",
                                             pickup_point_id="pp-brakel"),
    OrderStatus.EXPIRED: lambda: new_event(OrderExpired, producer="test", order_id="o-1", pickup_point_id="pp-brakel"),
}

STATUS_OF = {OrderConfirmed: OrderStatus.CONFIRMED, OrderRejected: OrderStatus.REJECTED,
             OrderCancelled: OrderStatus.CANCELLED, OrderReadyForPickup: OrderStatus.READY_FOR_PICKUP,
             OrderCollected: OrderStatus.COLLECTED, OrderExpired: OrderStatus.EXPIRED}


def placed_event() -> OrderPlaced:
    line = OrderLine(product_id="p-0", shop_id="shop-hof", product_name="Käse", unit="Stück", quantity=2,
                     unit_price=Money(amount_cents=450), vat_rate_bp=700, temperature_class=TemperatureClass.CHILLED,
                     weight_g=400, volume_ml=600)
    return new_event(OrderPlaced, producer="test", order_id="o-1", resident_id="r-1", lines=[line],
                     pickup_point_id="pp-brakel", delivery_day=DAY, payment_method="ONLINE", channel="WEB",
                     delivery_fee=Money(amount_cents=250), total=Money(amount_cents=1150))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(sorted(EVENTS)), st.booleans()), max_size=8))
def test_an_order_only_moves_along_its_diagram_and_each_event_counts_once(steps):
    view = placed_order(placed_event())
    applied = []
    for target, replay in steps:
        event = applied[-1] if replay and applied else EVENTS[target]()
        target = STATUS_OF[type(event)]
        before = view.status
        moved = advance(view, event)
        fresh = all(change.event_id != event.event_id for change in view.history)
        assert moved.changed == (fresh and (before, target) in EDGES), moved.why_not
        if moved.changed:
            assert moved.view.status is target and moved.view.history[:-1] == view.history
            applied.append(event)
        else:
            assert moved.view == view
        view = moved.view
    statuses = [change.status for change in view.history]
    assert all(edge in EDGES for edge in zip(statuses, statuses[1:]))
    # Once in the locker the goods have travelled: the order can no longer be cancelled.
    assert view.cancellable == (view.status in (OrderStatus.PLACED, OrderStatus.CONFIRMED))
    assert OrderView.from_dict(view.to_dict()) == view
