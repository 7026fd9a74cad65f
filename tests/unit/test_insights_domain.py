"""The insights domain on hand-made event sequences with known values: each fold,
each KPI formula, percentiles, periods, suppression and reach. The cells are kept
in a dict the way the worker keeps them in Redis (`Store` below applies a fold's
changes as `handlers/cells.py` does)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone

import pytest

from nahnetz.events import new_event
from nahnetz.records import (
    CompartmentHoldMoved, CompartmentRejected, CompartmentReleased, CompartmentReserved, LoadDelivered, LoadPosted,
    MatchAgreed, MatchCancelled, OrderCancelled, OrderCollected, OrderConfirmed, OrderDeliveryMoved, OrderExpired,
    OrderPlaced, OrderReadyForPickup, OrderRejected, ProductDelisted, ProductListed, RoutePlanned, ShopClosed,
    ShopRegistered, StopCompleted, TourCompleted, TourDispatched, TripOffered,
)
from services.insights.domain.catalogue import CATALOGUE, KPIS
from services.insights.domain.changes import LOAD, POINT, SHOP, TRIP, Add, Cell, Sample
from services.insights.domain.compartments import fold_reservation, occupancy, point_day
from services.insights.domain.coverage import NATIONAL_REFERENCE, VillageDistance, village_tally
from services.insights.domain.days import Period, buckets, day_of
from services.insights.domain.figures import FORMULAS, Factors, kpi_values
from services.insights.domain.freight import fold_listing, fold_match
from services.insights.domain.orders import OrderNotPlaced, fold_order
from services.insights.domain.privacy import MIN_COUNT, shown, shown_all
from services.insights.domain.tally import Tally, combined, level_at, percentile
from services.insights.domain.tours import TourNotDispatched, fold_tour, planned_tours
from services.insights.domain.trade import fold_catalog

DAY = date(2026, 11, 10)          # a Tuesday
T0 = datetime(2026, 11, 10, 7, 0, tzinfo=timezone.utc)   # 08:00 in Berlin (CET)
FACTORS = Factors(co2_g_per_km=170.0)
POINT_ID = "pp-test"


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def ev(cls, when: datetime, **fields):
    return new_event(cls, producer="test", occurred_at=when, **fields)


def line(quantity: int, shop: str = "shop-a") -> dict:
    return {"product_id": f"p-{shop}", "shop_id": shop, "product_name": "Brot", "unit": "Laib", "quantity": quantity,
            "unit_price": {"amount_cents": 300}, "vat_rate_bp": 700, "weight_g": 500, "volume_ml": 1000}


def placed(order_id: str, when: datetime, channel: str = "WEB", lines=None, total: int = 1000) -> OrderPlaced:
    return ev(OrderPlaced, when, order_id=order_id, resident_id=f"resident-{order_id}", lines=lines or [line(2)],
              pickup_point_id=POINT_ID, delivery_day=DAY, channel=channel, delivery_fee={"amount_cents": 0},
              total={"amount_cents": total})


class Store:
    """Cells as the worker keeps them: counters per cell, samples per cell and entity."""

    def __init__(self) -> None:
        self.cells: dict[Cell, Counter] = defaultdict(Counter)
        self.samples: dict[tuple[Cell, str], dict[str, int]] = defaultdict(dict)
        self.traces: dict[str, object] = {}

    def apply(self, changes) -> None:
        for change in changes:
            if isinstance(change, Add):
                self.cells[change.cell][change.counter] += int(change.amount)
            elif isinstance(change, Sample):
                self.samples[(change.cell, change.measure)][change.ref] = change.value

    def order(self, event) -> None:
        trace, changes = fold_order(self.traces.get(event.order_id), event)
        self.traces[event.order_id] = trace
        self.apply(changes)

    def point_tally(self, day: date, compartments=None, open_at=None) -> Tally:
        cell = Cell(day, POINT, POINT_ID)
        derived = point_day(self.cells[cell], compartments or {}, open_at)
        tally = Tally()
        tally.add_counts(derived)
        tally.add_maximum("occupancy", occupancy(derived))
        for measure in ("lead_ready_s", "ready_collected_s"):
            tally.add_samples(measure, self.samples[(cell, measure)].values())
        return tally


# -- orders ------------------------------------------------------------------------------------
@pytest.fixture
def six_orders() -> Store:
    """Six orders on one day: 3 web, 2 phone, 1 counter; five confirmed, one rejected
    (out of stock); ready after 10, 20, 30, 40, 50 h; four collected, one expired."""
    store = Store()
    channels = ["WEB", "WEB", "WEB", "PHONE", "PHONE", "COUNTER"]
    for n, channel in enumerate(channels):
        store.order(placed(f"o{n}", at(0), channel, lines=[line(2), line(1, "shop-b")], total=1000 + n * 100))
    for n in range(5):
        store.order(ev(OrderConfirmed, at(1), order_id=f"o{n}", pickup_point_id=POINT_ID, delivery_day=DAY,
                       compartment_ids=["A1"]))
    store.order(ev(OrderRejected, at(1), order_id="o5", reason="OUT_OF_STOCK"))
    for n in range(5):
        store.order(ev(OrderReadyForPickup, at(10 * (n + 1)), order_id=f"o{n}", pickup_point_id=POINT_ID,
                       compartment_ids=["A1"], collect_by=at(200)))
    for n in range(4):  # waited 1, 2, 3, 4 h after ready
        store.order(ev(OrderCollected, at(10 * (n + 1) + n + 1), order_id=f"o{n}", pickup_point_id=POINT_ID))
    store.order(ev(OrderExpired, at(120), order_id="o4", pickup_point_id=POINT_ID))
    return store


def days_of(store: Store) -> list[date]:
    return sorted({cell.day for cell in store.cells if cell.kind == POINT})


def whole(store: Store) -> Tally:
    return combined(store.point_tally(day) for day in days_of(store))


def test_order_counts_items_value_and_channels(six_orders):
    values = kpi_values(whole(six_orders), FACTORS, ["orders", "items", "order_value", "orders_web", "orders_phone",
                                                     "orders_counter", "orders_app", "assisted_share"])
    assert values == {"orders": 6, "items": 18, "order_value": 75.0, "orders_web": 3, "orders_phone": 2,
                      "orders_counter": 1, "orders_app": 0, "assisted_share": 50.0}


def test_confirmation_rate_and_rejection_reasons(six_orders):
    values = kpi_values(whole(six_orders), FACTORS, ["confirmation_rate", "rejections", "rejected_out_of_stock",
                                                     "rejected_timeout"])
    assert values == {"confirmation_rate": round(100 * 5 / 6, 2), "rejections": 1, "rejected_out_of_stock": 1,
                      "rejected_timeout": 0}


def test_lead_times_are_nearest_rank_percentiles(six_orders):
    values = kpi_values(whole(six_orders), FACTORS, ["lead_time_ready_p50", "lead_time_ready_p90",
                                                     "ready_to_collected_p50", "ready_to_collected_p90"])
    # lead times 10..50 h: p50 is the 3rd of 5, p90 the 5th; waits 1..4 h: p50 the 2nd, p90 the 4th
    assert values == {"lead_time_ready_p50": 30.0, "lead_time_ready_p90": 50.0,
                      "ready_to_collected_p50": 2.0, "ready_to_collected_p90": 4.0}


def test_collected_and_expired(six_orders):
    assert kpi_values(whole(six_orders), FACTORS, ["collected", "expired", "cancelled"]) == {
        "collected": 4, "expired": 1, "cancelled": 0}


def test_an_event_counts_on_its_berlin_day(six_orders):
    # Ready after 20 h (03:00 UTC + 1 = Berlin next day) count on 11 November, placed ones on the 10th.
    cells = {cell.day: counters for cell, counters in six_orders.cells.items() if cell.kind == POINT}
    assert cells[DAY]["orders"] == 6 and cells[DAY]["ready"] == 1
    assert cells[DAY + timedelta(days=1)]["ready"] == 2
    assert day_of(datetime(2026, 11, 10, 23, 30, tzinfo=timezone.utc)) == date(2026, 11, 11)


def test_orders_per_shop_counts_each_shop_of_the_order_once(six_orders):
    shop_cells = {cell.ref: counters["orders"] for cell, counters in six_orders.cells.items() if cell.kind == SHOP}
    assert shop_cells == {"shop-a": 6, "shop-b": 6}


def test_a_repeated_placement_readiness_or_end_counts_nothing():
    store = Store()
    first = placed("o1", at(0))
    store.order(first)
    trace, changes = fold_order(store.traces["o1"], placed("o1", at(1)))
    assert changes == []
    store.order(ev(OrderReadyForPickup, at(5), order_id="o1", pickup_point_id=POINT_ID, compartment_ids=[],
                   collect_by=at(100)))
    for again in (ev(OrderReadyForPickup, at(6), order_id="o1", pickup_point_id=POINT_ID, compartment_ids=[],
                     collect_by=at(100)),):
        assert fold_order(store.traces["o1"], again)[1] == []
    store.order(ev(OrderCollected, at(7), order_id="o1", pickup_point_id=POINT_ID))
    assert fold_order(store.traces["o1"], ev(OrderExpired, at(8), order_id="o1", pickup_point_id=POINT_ID))[1] == []


def test_an_order_event_without_its_placement_is_refused():
    with pytest.raises(OrderNotPlaced):
        fold_order(None, ev(OrderCancelled, at(0), order_id="ghost"))


def test_a_moved_delivery_and_a_cancellation():
    store = Store()
    store.order(placed("o1", at(0)))
    moved = ev(OrderDeliveryMoved, at(1), order_id="o1", shop_id="shop-a", pickup_point_id=POINT_ID,
               from_day=DAY, to_day=DAY + timedelta(days=1))
    assert fold_order(store.traces["o1"], moved)[1] == []
    store.order(ev(OrderCancelled, at(2), order_id="o1"))
    assert store.cells[Cell(DAY, POINT, POINT_ID)]["cancelled"] == 1


def test_no_resident_appears_in_a_cell_or_trace(six_orders):
    text = json.dumps([{str(c): dict(v) for c, v in six_orders.cells.items()},
                       [t.as_json() for t in six_orders.traces.values() if t]], default=str)
    assert "resident-" not in text


# -- compartments and collections --------------------------------------------------------------
COMPARTMENTS = {"A1": ("S", "AMBIENT"), "A2": ("M", "AMBIENT"), "C1": ("S", "CHILLED"), "F1": ("M", "FROZEN")}


def reserved(order_id: str, compartments: list[str], day: date = DAY) -> CompartmentReserved:
    return ev(CompartmentReserved, at(0), order_id=order_id, pickup_point_id=POINT_ID, delivery_day=day,
              compartment_ids=compartments)


def test_compartment_use_by_temperature_and_size_and_days_full():
    store = Store()
    for event in (reserved("o1", ["A1"]), reserved("o2", ["A2", "C1"]), reserved("o3", ["F1"]),
                  ev(CompartmentReleased, at(1), order_id="o3", pickup_point_id=POINT_ID, delivery_day=DAY,
                     compartment_ids=["F1"], reason="CANCELLED"),
                  ev(CompartmentReleased, at(2), order_id="o1", pickup_point_id=POINT_ID, delivery_day=DAY,
                     compartment_ids=["A1"], reason="COLLECTED")):
        store.apply(fold_reservation(event))
    tally = store.point_tally(DAY, COMPARTMENTS)
    values = kpi_values(tally, FACTORS, ["compartment_use", "compartment_use_ambient", "compartment_use_frozen",
                                         "compartment_use_s", "peak_occupancy", "days_full"])
    # held: A1 (collected: it was used), A2, C1; F1's hold was cancelled
    assert values == {"compartment_use": 75.0, "compartment_use_ambient": 100.0, "compartment_use_frozen": 0.0,
                      "compartment_use_s": 100.0, "peak_occupancy": 75.0, "days_full": 0}
    store.apply(fold_reservation(ev(CompartmentRejected, at(3), order_id="o4", pickup_point_id=POINT_ID,
                                    delivery_day=DAY, reason="FULL")))
    assert kpi_values(store.point_tally(DAY, COMPARTMENTS), FACTORS, ["days_full"]) == {"days_full": 1}


def test_a_moved_hold_frees_the_old_day_and_holds_the_new():
    store = Store()
    store.apply(fold_reservation(reserved("o1", ["A1", "A2"])))
    store.apply(fold_reservation(ev(CompartmentHoldMoved, at(1), order_id="o1", pickup_point_id=POINT_ID,
                                    shop_id="shop-a", from_day=DAY, to_day=DAY + timedelta(days=1),
                                    released_compartment_ids=["A2"], compartment_ids=["A2"])))
    assert store.point_tally(DAY, COMPARTMENTS).counts["held"] == 1
    assert store.point_tally(DAY + timedelta(days=1), COMPARTMENTS).counts["held"] == 1


def test_capacity_counts_on_days_without_orders_and_peak_is_the_fullest_day():
    store = Store()
    store.apply(fold_reservation(reserved("o1", ["A1", "A2"])))
    week = combined(store.point_tally(DAY + timedelta(days=n), COMPARTMENTS) for n in range(2))
    assert kpi_values(week, FACTORS, ["compartment_use", "peak_occupancy"]) == {
        "compartment_use": 25.0, "peak_occupancy": 50.0}


def test_collections_outside_shop_hours():
    store = Store()
    store.order(placed("o1", at(0)))
    store.order(placed("o2", at(0)))
    store.order(ev(OrderCollected, at(3), order_id="o1", pickup_point_id=POINT_ID))    # 11:00 Berlin
    store.order(ev(OrderCollected, at(13), order_id="o2", pickup_point_id=POINT_ID))   # 21:00 Berlin
    shops_open = lambda hhmm: "08:00" <= hhmm < "18:00"  # noqa: E731
    tally = store.point_tally(DAY, COMPARTMENTS, shops_open)
    assert tally.counts["collected_outside_hours"] == 1 and tally.counts["collected_timed"] == 2
    assert kpi_values(tally, FACTORS, ["collections_outside_shop_hours_share"]) == {
        "collections_outside_shop_hours_share": 50.0}
    # a staffed counter: no reference, nothing counted
    assert store.point_tally(DAY, COMPARTMENTS, None).counts["collected_timed"] == 0


# -- tours -------------------------------------------------------------------------------------
def dispatched(tour_id: str, etas: list[datetime], planned_km: float = 40.0) -> TourDispatched:
    return ev(TourDispatched, at(-1), tour_id=tour_id, plan_id="plan-1", day=DAY, driver_id="d1", vehicle_id="van",
              planned_distance_km=planned_km,
              stops=[{"kind": "DELIVERY", "place_id": f"s{n}", "location": {"lat": 51.7, "lon": 9.3}, "eta": eta,
                      "load_g": 0, "load_ml": 0} for n, eta in enumerate(etas)])


def test_tours_km_stops_on_time_and_the_plans_load_factor():
    store, traces = Store(), {}

    def tour(event):
        trace, changes = fold_tour(traces.get(event.tour_id), event, on_time_tolerance_s=15 * 60)
        traces[event.tour_id] = trace
        store.apply(changes)

    tour(dispatched("t1", [at(1), at(2), at(3)]))
    tour(ev(StopCompleted, at(1.1), tour_id="t1", stop_index=0, kind="ARRIVED"))        # on time
    tour(ev(StopCompleted, at(1.5), tour_id="t1", stop_index=0, kind="DELIVERED"))      # same stop: once
    tour(ev(StopCompleted, at(2.5), tour_id="t1", stop_index=1, kind="ARRIVED"))        # 30 min late
    tour(ev(TourCompleted, at(4), tour_id="t1", plan_id="plan-1", driver_id="d1", vehicle_id="van",
            stops_completed=2, stops_failed=1, distance_km=42.5))
    tour(dispatched("t2", [at(1)], planned_km=30.0))
    tour(ev(TourCompleted, at(4), tour_id="t2", plan_id="plan-1", driver_id="d1", vehicle_id="van",
            stops_completed=1, stops_failed=0))
    plan = ev(RoutePlanned, at(-2), plan_id="plan-1", day=DAY, distance_km=72.0, solve_time_ms=5, tours=[
        {"tour_id": tid, "vehicle_id": "van", "stops": [], "distance_km": 1.0, "duration_s": 1, "empty_km": e,
         "load_factor": lf} for tid, e, lf in (("t1", 5.0, 0.6), ("t2", 2.5, 0.4))])
    tally = Tally()
    for cell, counters in store.cells.items():
        tally.add_counts(counters)
    for figures in planned_tours(plan).values():
        tally.counts["planned_tours"] += 1
        tally.counts["planned_load_factor_sum"] += figures["load_factor"]
        tally.counts["planned_empty_km"] += figures["empty_km"]
    assert kpi_values(tally, FACTORS, ["tours", "km_driven", "stops_per_tour", "on_time_share", "load_factor",
                                       "empty_km"]) == {
        "tours": 2, "km_driven": 72.5, "stops_per_tour": 2.0, "on_time_share": 50.0, "load_factor": 50.0,
        "empty_km": 7.5}
    assert {cell.day for cell in store.cells} == {DAY}


def test_a_stop_of_an_unknown_tour_is_refused():
    with pytest.raises(TourNotDispatched):
        fold_tour(None, ev(StopCompleted, at(0), tour_id="ghost", stop_index=0), 900)


# -- freight -----------------------------------------------------------------------------------
def place(name: str) -> dict:
    return {"name": name, "location": {"lat": 51.8, "lon": 9.38}}


def test_freight_trips_loads_matches_km_co2_and_compensation():
    store, traces = Store(), {}
    window = {"start": at(24), "end": at(26)}
    origin, changes = fold_listing(ev(TripOffered, at(0), trip_id="tr1", participant_id="x", origin=place("Albaxen"),
                                      destination=place("Höxter"), departure=window, spare_weight_g=1000,
                                      spare_volume_ml=0))
    store.apply(changes)
    assert origin.name == "Albaxen"
    store.apply(fold_listing(ev(LoadPosted, at(0), load_id="l1", participant_id="y", origin=place("Albaxen"),
                                destination=place("Höxter"), description="Kiste", weight_g=1000, volume_ml=0,
                                pickup_window=window, delivery_window=window))[1])

    def match(event):
        trace, changes = fold_match(traces.get(event.match_id), event)
        traces[event.match_id] = trace
        store.apply(changes)

    match(ev(MatchAgreed, at(1), match_id="m1", trip_id="tr1", load_id="l1", price={"amount_cents": 450},
             detour_km=1.0, km_avoided=12.0, co2_kg_avoided=2.04))
    match(ev(MatchAgreed, at(1), match_id="m1", trip_id="tr1", load_id="l1", price={"amount_cents": 450},
             detour_km=1.0, km_avoided=12.0, co2_kg_avoided=2.04))  # the same agreement again: once
    match(ev(LoadDelivered, at(25), match_id="m1", trip_id="tr1", load_id="l1", km_avoided=11.5))
    match(ev(LoadDelivered, at(26), match_id="m1", trip_id="tr1", load_id="l1", km_avoided=11.5))
    match(ev(MatchCancelled, at(27), match_id="m1", trip_id="tr1", load_id="l1", was_agreed=True))
    tally = combined(_tally(c) for c in store.cells.values())
    assert {c.kind for c in store.cells} == {TRIP, LOAD}
    assert kpi_values(tally, FACTORS, ["trips_offered", "loads_posted", "loads_matched", "loads_delivered",
                                       "km_avoided", "co2_avoided", "compensation"]) == {
        "trips_offered": 1, "loads_posted": 1, "loads_matched": 1, "loads_delivered": 1, "km_avoided": 11.5,
        "co2_avoided": 2.0, "compensation": 4.5}   # 11.5 km × 170 g = 1.955 kg
    assert kpi_values(tally, Factors(co2_g_per_km=250.0), ["co2_avoided"]) == {"co2_avoided": 2.9}


def _tally(counters) -> Tally:
    tally = Tally()
    tally.add_counts(counters)
    return tally


# -- local trade -------------------------------------------------------------------------------
def test_active_shops_and_goods_are_states_summed_up_to_the_day():
    store = Store()
    shop = dict(shop_id="shop-a", name="Hofladen", address={"street": "Weg 1", "postal_code": "37671",
                                                             "locality": "Albaxen"},
                location={"lat": 51.8, "lon": 9.38}, municipality="Höxter", opening_hours={"intervals": []},
                contact={})
    store.apply(fold_catalog(ev(ShopRegistered, at(0), **shop), active=False))
    assert fold_catalog(ev(ShopRegistered, at(1), **shop), active=True) == []    # registered twice: once
    for n in range(3):
        store.apply(fold_catalog(ev(ProductListed, at(n), product_id=f"p{n}", shop_id="shop-a", name="Ei",
                                    unit="10", price={"amount_cents": 300}, vat_rate_bp=700, stock=1, weight_g=1,
                                    volume_ml=1), active=False))
    store.apply(fold_catalog(ev(ProductDelisted, at(48), product_id="p0", shop_id="shop-a"), active=True))
    store.apply(fold_catalog(ev(ShopClosed, at(72), shop_id="shop-a"), active=True))
    by_day = {c.day.isoformat(): counters for c, counters in store.cells.items()}
    goods = {d: c.get("goods_delta", 0) for d, c in by_day.items()}
    shops = {d: c.get("shops_opened", 0) - c.get("shops_closed", 0) for d, c in by_day.items()}
    assert [level_at(goods, (DAY + timedelta(days=n)).isoformat()) for n in range(4)] == [3, 3, 2, 2]
    assert [level_at(shops, (DAY + timedelta(days=n)).isoformat()) for n in range(4)] == [1, 1, 1, 0]


# -- percentiles, periods, the catalogue --------------------------------------------------------
def test_percentile_is_nearest_rank_and_independent_of_order():
    values = [7, 1, 9, 3, 5, 2, 8, 4, 6, 10]
    assert percentile(values, 0.5) == 5 and percentile(values, 0.9) == 9 and percentile(values, 1.0) == 10
    assert percentile(list(reversed(values)), 0.9) == percentile(sorted(values), 0.9)
    assert percentile([], 0.5) is None and percentile([42], 0.9) == 42


def test_weeks_and_months_are_sums_of_days():
    weeks = buckets(date(2026, 11, 1), date(2026, 11, 17), Period.WEEK)
    assert [(s, e, len(d)) for s, e, d in weeks] == [
        (date(2026, 11, 1), date(2026, 11, 1), 1), (date(2026, 11, 2), date(2026, 11, 8), 7),
        (date(2026, 11, 9), date(2026, 11, 15), 7), (date(2026, 11, 16), date(2026, 11, 17), 2)]
    months = buckets(date(2026, 10, 30), date(2026, 11, 2), Period.MONTH)
    assert [(s, e) for s, e, _ in months] == [(date(2026, 10, 30), date(2026, 10, 31)),
                                              (date(2026, 11, 1), date(2026, 11, 2))]
    store = Store()
    for n in range(3):
        store.order(placed(f"o{n}", at(24 * n)))
    week = combined(store.point_tally(DAY + timedelta(days=n)) for n in range(3))
    assert kpi_values(week, FACTORS, ["orders"]) == {"orders": sum(
        kpi_values(store.point_tally(DAY + timedelta(days=n)), FACTORS, ["orders"])["orders"] for n in range(3))}


def test_every_kpi_has_names_a_formula_a_unit_and_code():
    assert len({k.id for k in CATALOGUE}) == len(CATALOGUE)
    for kpi in CATALOGUE:
        assert kpi.name_de and kpi.name_en and kpi.formula and kpi.unit, kpi.id
        assert kpi.id in FORMULAS
    assert KPIS["co2_avoided"].basis == ("loads_delivered",)


# -- privacy -----------------------------------------------------------------------------------
def orders_tally(n: int) -> Tally:
    store = Store()
    for i in range(n):
        store.order(placed(f"o{i}", at(0)))
    return store.point_tally(DAY)


@pytest.mark.parametrize("n", [0, 1, 4])
def test_a_cell_of_fewer_than_five_orders_is_suppressed_not_zero(n):
    tally = orders_tally(n)
    values = kpi_values(tally, FACTORS, ["orders", "order_value", "assisted_share"])
    assert shown_all(values, tally) == {k: {"value": None, "suppressed": True} for k in values}


def test_a_cell_of_five_orders_is_shown():
    tally = orders_tally(5)
    assert shown("orders", 5.0, tally) == {"value": 5.0, "suppressed": False}
    # a channel with 5 orders of 5 is shown, one with none is suppressed (built from fewer than five)
    assert shown("orders_web", 5.0, tally)["suppressed"] is False
    assert shown("orders_phone", 0.0, tally) == {"value": None, "suppressed": True}


def test_figures_without_people_behind_them_are_never_suppressed():
    tally = Tally()
    tally.counts.update({"tours": 1, "m_driven": 12000})
    assert shown("tours", 1.0, tally) == {"value": 1.0, "suppressed": False}
    assert shown("km_driven", 12.0, tally)["suppressed"] is False


def test_the_threshold_can_rise_but_never_fall_below_five():
    tally = orders_tally(6)
    assert shown("orders", 6.0, tally, min_count=10)["suppressed"] is True
    assert shown("orders", None, orders_tally(4), min_count=2)["suppressed"] is True
    assert MIN_COUNT == 5


def test_a_lead_time_needs_five_orders_ready():
    store = Store()
    for n in range(6):
        store.order(placed(f"o{n}", at(0)))
    for n in range(4):
        store.order(ev(OrderReadyForPickup, at(3), order_id=f"o{n}", pickup_point_id=POINT_ID, compartment_ids=[],
                       collect_by=at(100)))
    tally = store.point_tally(DAY)
    assert shown("lead_time_ready_p50", 3.0, tally) == {"value": None, "suppressed": True}


# -- reach -------------------------------------------------------------------------------------
def test_reach_weighs_villages_by_population():
    villages = [VillageDistance("A", "M", 1000, 800.0), VillageDistance("B", "M", 3000, 1500.0),
                VillageDistance("C", "M", 1000, None)]
    tally = combined(village_tally(v) for v in villages)
    assert kpi_values(tally, FACTORS, ["reach_1000m", "reach_2000m", "reach_5000m"]) == {
        "reach_1000m": 20.0, "reach_2000m": 80.0, "reach_5000m": 80.0}
    assert NATIONAL_REFERENCE["value"] == 74.0 and "BBSR" in NATIONAL_REFERENCE["source"]


def test_reach_of_a_hamlet_under_five_residents_is_suppressed():
    tally = village_tally(VillageDistance("Einzelhof", "M", 4, 100.0))
    assert shown("reach_1000m", 100.0, tally) == {"value": None, "suppressed": True}


def test_a_suppressed_village_cannot_be_had_by_subtraction():
    from services.insights.domain.privacy import protect_parts

    villages = [orders_tally(6), orders_tally(5), orders_tally(2)]
    total = combined(villages)
    rows = [shown_all(kpi_values(t, FACTORS, ["orders", "tours"]), t) for t in villages]
    total_row = shown_all(kpi_values(total, FACTORS, ["orders", "tours"]), total)
    protect_parts(total_row, list(zip(rows, villages)))
    assert [r["orders"]["suppressed"] for r in rows] == [False, True, True]   # the smallest shown one too
    assert total_row["orders"] == {"value": 13.0, "suppressed": False}
    # the one part shown is suppressed and nothing else is left to hide: the total goes
    alone = [orders_tally(2)]
    rows = [shown_all(kpi_values(t, FACTORS, ["orders"]), t) for t in alone]
    total_row = {"orders": {"value": 6.0, "suppressed": False}}
    protect_parts(total_row, list(zip(rows, alone)))
    assert total_row["orders"] == {"value": None, "suppressed": True}


def test_a_kpi_given_by_municipality_only_leaves_the_villages_alone():
    from services.insights.domain.privacy import protect_parts

    # Freight figures belong to the municipality (a trip's origin), not to a village:
    # the village rows have no such cell, and the total's stays as it is.
    villages = [orders_tally(6), orders_tally(2)]
    rows = [shown_all(kpi_values(t, FACTORS, ["orders"]), t) for t in villages]
    total_row = {"orders": {"value": 8.0, "suppressed": False}, "loads_matched": {"value": 7.0, "suppressed": False}}
    protect_parts(total_row, list(zip(rows, villages)))
    assert total_row["loads_matched"] == {"value": 7.0, "suppressed": False}
    assert all("loads_matched" not in r for r in rows)
    assert [r["orders"]["suppressed"] for r in rows] == [True, True]


def test_a_suppressed_day_cannot_be_had_from_its_week_or_month():
    from services.insights.domain.privacy import protect_days

    def week_and_month(day: date):
        return [("week", day.isocalendar().week), ("month", day.month)]

    # Monday 2 March to Sunday 8 March 2026: six days of ten orders, one of two.
    counts = [10, 10, 2, 10, 11, 12, 13]
    tallies = [orders_tally(n) for n in counts]
    days = [(date(2026, 3, 2) + timedelta(days=n), shown_all(kpi_values(t, FACTORS, ["orders", "tours"]), t), t)
            for n, t in enumerate(tallies)]
    assert [d[1]["orders"]["suppressed"] for d in days] == [False, False, True, False, False, False, False]
    assert protect_days(days, week_and_month) is True
    # The week's 68 minus the shown days no longer tells Wednesday's 2: Monday (the smallest, earliest) goes too.
    assert [d[1]["orders"]["suppressed"] for d in days] == [True, False, True, False, False, False, False]
    assert days[0][1]["tours"]["suppressed"] is False            # no personal basis: never suppressed
    assert protect_days(days, week_and_month) is False            # it holds now: nothing more to hide
    # A week with nothing suppressed stays as it is.
    quiet = [(date(2026, 3, 9) + timedelta(days=n), shown_all(kpi_values(t, FACTORS, ["orders"]), t), t)
             for n, t in enumerate(orders_tally(9) for _ in range(7))]
    assert protect_days(quiet, week_and_month) is False
    assert not any(d[1]["orders"]["suppressed"] for d in quiet)


def test_days_when_nothing_happened_hide_no_other_day():
    from services.insights.domain.privacy import protect_days

    counts = [10, 10, 0, 10, 11, 0, 0]   # closed on Wednesday and at the weekend
    days = [(date(2026, 3, 2) + timedelta(days=n), shown_all(kpi_values(t, FACTORS, ["orders"]), t), t)
            for n, t in enumerate(orders_tally(c) for c in counts)]
    assert protect_days(days, lambda day: [day.isocalendar().week]) is False
    assert [d[1]["orders"]["suppressed"] for d in days] == [False, False, True, False, False, True, True]
