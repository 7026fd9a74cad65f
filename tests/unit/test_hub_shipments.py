"""The hub's pure logic for turning a confirmed order into shipments: one per
shop, amounts and temperature class from the lines, collection windows from
opening hours (Europe/Berlin -> UTC, summer and winter time), and the rules for
shops closed on the delivery day and for missed collections."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from dataclasses import replace

from nahnetz.events import new_event, read_event
from nahnetz.records import (DeliveryMoveReason, GeoPoint, OpeningHours, OpeningInterval, OrderPlaced,
                             ShipmentRequested, Weekday)
from services.hub.domain.opening_hours import Window, local_intervals, windows_on
from services.hub.domain.places import PickupPoint, Shop
from services.hub.domain.shipments import (
    CollectionRules,
    ShipmentRequest,
    Unplannable,
    collection_day_of,
    order_problems,
    part_compartments,
    plan_collection,
    rescheduled,
    shipment_for_shop,
    shipment_id,
    shop_ids,
    strictest,
)

UTC = timezone.utc
WEDNESDAY_SUMMER = date(2031, 7, 16)
WEDNESDAY_WINTER = date(2031, 1, 15)
RULES = CollectionRules(latest_on_delivery_day=time(15, 0), max_days_in_hub=6, reschedule_horizon_days=14)


def hours(days: str, opens: str, closes: str, closed_on: tuple[date, ...] = ()) -> OpeningHours:
    names = {"Mo": "MONDAY", "Tu": "TUESDAY", "We": "WEDNESDAY", "Th": "THURSDAY", "Fr": "FRIDAY",
             "Sa": "SATURDAY", "Su": "SUNDAY"}
    return OpeningHours(intervals=[OpeningInterval(weekday=Weekday(names[d]), opens=time.fromisoformat(opens),
                                                   closes=time.fromisoformat(closes)) for d in days.split()],
                        closed_on=list(closed_on))


def shop(shop_id: str = "shop-a", opening: OpeningHours | None = None) -> Shop:
    return Shop(shop_id, f"Laden {shop_id}", GeoPoint(lat=51.72, lon=9.18),
                opening or hours("Mo Tu We Th Fr Sa", "08:00", "18:00"))


LOCKER = PickupPoint("pp-locker", "Pick-up-Point HX Brakel", "LOCKER", GeoPoint(lat=51.71, lon=9.19), None)


def line(shop_id: str, product: str, *, weight_g: int = 500, volume_ml: int = 1000, temperature: str = "AMBIENT",
         quantity: int = 1) -> dict:
    return {"product_id": product, "shop_id": shop_id, "product_name": f"Ware {product}", "unit": "Stück",
            "quantity": quantity, "unit_price": {"amount_cents": 250, "currency": "EUR"}, "vat_rate_bp": 700,
            "temperature_class": temperature, "weight_g": weight_g, "volume_ml": volume_ml}


def placed(lines: list[dict], day: date = WEDNESDAY_SUMMER, point: str = "pp-locker") -> OrderPlaced:
    event = new_event("OrderPlaced", producer="orders-api", order_id="o-1", resident_id="r-1", lines=lines,
                      pickup_point_id=point, delivery_day=day, payment_method="SIMULATED", channel="WEB",
                      delivery_fee={"amount_cents": 250, "currency": "EUR"},
                      total={"amount_cents": 1000, "currency": "EUR"})
    return read_event(event.encode())  # as the worker reads it


# -- one shipment per shop ------------------------------------------------------------------
def test_an_order_of_two_shops_becomes_two_shipments_with_their_own_lines_and_amounts():
    order = placed([line("shop-a", "p1", weight_g=1200, volume_ml=2000),
                    line("shop-b", "p2", weight_g=300, volume_ml=400, temperature="CHILLED"),
                    line("shop-a", "p3", weight_g=800, volume_ml=500, temperature="FROZEN", quantity=2)])
    assert shop_ids(order) == ("shop-a", "shop-b")
    a = shipment_for_shop(order, shop("shop-a"), LOCKER, ["C1", "F2"], date(2031, 7, 15), RULES)
    b = shipment_for_shop(order, shop("shop-b"), LOCKER, ["C1", "F2"], date(2031, 7, 15), RULES)
    assert isinstance(a, ShipmentRequest) and isinstance(b, ShipmentRequest)
    assert (a.weight_g, a.volume_ml, a.temperature_class) == (2000, 2500, "FROZEN")
    assert (b.weight_g, b.volume_ml, b.temperature_class) == (300, 400, "CHILLED")
    assert [i.product_id for i in a.items] == ["p1", "p3"] and a.items[1].quantity == 2
    assert a.compartment_ids == ("C1", "F2")
    assert a.shipment_id != b.shipment_id


def test_the_shipment_id_depends_only_on_order_and_shop():
    assert shipment_id("o-1", "shop-a") == shipment_id("o-1", "shop-a")
    assert shipment_id("o-1", "shop-a") != shipment_id("o-1", "shop-b")
    assert shipment_id("o-1", "shop-a") != shipment_id("o-2", "shop-a")
    # No separator trick makes two pairs collide.
    assert shipment_id("o-1x", "y") != shipment_id("o-1", "xy")


def test_the_strictest_temperature_class_wins():
    assert strictest(["AMBIENT", "CHILLED", "AMBIENT"]) == "CHILLED"
    assert strictest(["CHILLED", "FROZEN"]) == "FROZEN"
    assert strictest([]) == "AMBIENT"


def test_the_event_fields_make_a_valid_shipment_requested():
    order = placed([line("shop-a", "p1")])
    request = shipment_for_shop(order, shop(), LOCKER, ["A1"], date(2031, 7, 15), RULES)
    event = new_event(ShipmentRequested, producer="hub-worker", **request.event_fields())
    back = read_event(event.encode())
    assert back == event
    assert back.shipment_id == request.shipment_id and back.attempt == 1
    assert back.shop_location == GeoPoint(lat=51.72, lon=9.18)
    assert back.items[0].product_name == "Ware p1" and back.temperature_class == "AMBIENT"
    assert back.delivery_windows == []  # a locker: any time
    assert collection_day_of(back) == WEDNESDAY_SUMMER


def test_order_problems_are_named():
    order = placed([line("shop-a", "p1")])
    assert order_problems(order) == []
    broken = replace(order, lines=[replace(order.lines[0], quantity=0)])
    assert "no quantity" in " ".join(order_problems(broken))
    assert order_problems(replace(order, lines=[])) == ["the order has no lines"]


# -- windows: local opening hours in UTC -----------------------------------------------------
def test_opening_hours_become_utc_windows_in_summer_and_in_winter():
    opening = hours("We", "08:00", "18:00")
    [summer] = windows_on(opening, WEDNESDAY_SUMMER)
    [winter] = windows_on(opening, WEDNESDAY_WINTER)
    assert summer == Window(datetime(2031, 7, 16, 6, 0, tzinfo=UTC), datetime(2031, 7, 16, 16, 0, tzinfo=UTC))
    assert winter == Window(datetime(2031, 1, 15, 7, 0, tzinfo=UTC), datetime(2031, 1, 15, 17, 0, tzinfo=UTC))


def test_on_the_days_the_clocks_change_a_window_has_the_wall_clocks_length():
    opening = hours("Su", "01:00", "05:00")
    [spring] = windows_on(opening, date(2031, 3, 30))  # 02:00 -> 03:00
    [autumn] = windows_on(opening, date(2031, 10, 26))  # 03:00 -> 02:00
    assert spring.start == datetime(2031, 3, 30, 0, 0, tzinfo=UTC)  # 01:00 CET
    assert spring.end == datetime(2031, 3, 30, 3, 0, tzinfo=UTC)  # 05:00 CEST
    assert spring.end - spring.start == timedelta(hours=3)
    assert autumn.end - autumn.start == timedelta(hours=5)


def test_intervals_of_a_day_are_sorted_and_merged_and_closed_days_have_none():
    wednesday = Weekday.WEDNESDAY
    opening = OpeningHours(intervals=[OpeningInterval(weekday=wednesday, opens=time(14, 30), closes=time(18)),
                                      OpeningInterval(weekday=wednesday, opens=time(8), closes=time(12, 30)),
                                      OpeningInterval(weekday=wednesday, opens=time(12), closes=time(13))],
                           closed_on=[WEDNESDAY_WINTER])
    assert local_intervals(opening, WEDNESDAY_SUMMER) == [(time(8), time(13)), (time(14, 30), time(18))]
    assert local_intervals(opening, WEDNESDAY_WINTER) == []
    assert local_intervals(opening, WEDNESDAY_SUMMER + timedelta(days=1)) == []


def test_opening_hours_are_read_as_a_shops_event_carries_them():
    event = new_event("ShopRegistered", producer="catalog-api", shop_id="shop-a", name="Hofladen", kind="FARM",
                      address={"street": "Dorfstraße 3", "postal_code": "37671", "locality": "Ottbergen",
                               "country": "DE"},
                      location={"lat": 51.72, "lon": 9.30}, municipality="Höxter",
                      opening_hours={"intervals": [{"weekday": "WEDNESDAY", "opens": time(9), "closes": time(17)}],
                                     "closed_on": [date(2031, 12, 24)], "note": None},
                      contact={"person": None, "phone": "+4952711234", "email": None})
    opening = read_event(event.encode()).opening_hours
    assert local_intervals(opening, WEDNESDAY_SUMMER) == [(time(9), time(17))]
    assert local_intervals(opening, date(2031, 12, 24)) == []  # a Wednesday, closed against the rule


# -- when goods are collected ----------------------------------------------------------------
def test_goods_for_day_d_are_collected_on_d_until_the_latest_collection_time():
    plan = plan_collection(shop(), LOCKER, WEDNESDAY_SUMMER, date(2031, 7, 15), RULES)
    assert plan.collection_day == plan.delivery_day == WEDNESDAY_SUMMER and not plan.via_hub
    [window] = plan.pickup_windows
    assert window.start == datetime(2031, 7, 16, 6, 0, tzinfo=UTC)  # opens 08:00 local
    assert window.end == datetime(2031, 7, 16, 13, 0, tzinfo=UTC)  # latest 15:00 local, not 18:00
    assert plan.delivery_windows == ()


def test_a_shop_closed_on_the_delivery_day_hands_over_on_its_last_open_day_and_the_goods_wait_at_the_hub():
    honey = shop("shop-imker", hours("Th Fr Sa", "10:00", "17:00"))
    tuesday = date(2031, 7, 15)
    plan = plan_collection(honey, LOCKER, tuesday, date(2031, 7, 10), RULES)
    assert plan.collection_day == date(2031, 7, 12) and plan.delivery_day == tuesday and plan.via_hub
    [window] = plan.pickup_windows
    assert window.end == datetime(2031, 7, 12, 15, 0, tzinfo=UTC)  # the whole opening, no cut-off: not same day


def test_an_earlier_collection_never_lies_before_the_day_after_confirmation():
    honey = shop("shop-imker", hours("Th Fr Sa", "10:00", "17:00"))
    tuesday = date(2031, 7, 15)
    plan = plan_collection(honey, LOCKER, tuesday, date(2031, 7, 14), RULES)
    # Not open on Monday or Tuesday: the next day both are open is Thursday, the delivery day moves.
    assert plan.collection_day == plan.delivery_day == date(2031, 7, 17)
    # ... and the request says so, for the order and the pick-up point to follow.
    assert (plan.moved_from, plan.move_reason) == (tuesday, DeliveryMoveReason.SHOP_CLOSED)


def test_a_counter_closed_on_the_delivery_day_moves_the_delivery_to_the_next_common_day():
    counter = PickupPoint("pp-counter", "Dorfladen (Theke)", "COUNTER", GeoPoint(lat=51.8, lon=9.2),
                          hours("Mo Tu Th Fr", "07:00", "19:00"))
    plan = plan_collection(shop(), counter, WEDNESDAY_SUMMER, date(2031, 7, 10), RULES)
    assert plan.delivery_day == plan.collection_day == date(2031, 7, 17)
    assert (plan.moved_from, plan.move_reason) == (WEDNESDAY_SUMMER, DeliveryMoveReason.PICKUP_POINT_CLOSED)
    [delivery] = plan.delivery_windows
    assert delivery.start == datetime(2031, 7, 17, 5, 0, tzinfo=UTC)


def test_a_shop_that_never_opens_is_unplannable_with_a_reason():
    closed = shop("shop-x", OpeningHours())
    result = shipment_for_shop(placed([line("shop-x", "p1")]), closed, LOCKER, [], date(2031, 7, 15), RULES)
    assert isinstance(result, Unplannable)
    assert "no common open day" in result.reason


def test_a_holiday_counts_as_closed():
    holiday = shop("shop-a", hours("Mo Tu We Th Fr Sa", "08:00", "18:00", closed_on=(WEDNESDAY_SUMMER,)))
    plan = plan_collection(holiday, LOCKER, WEDNESDAY_SUMMER, date(2031, 7, 10), RULES)
    assert plan.collection_day == date(2031, 7, 15) and plan.via_hub
    assert plan.moved_from is None and plan.move_reason is None  # the delivery day holds


def test_each_shop_s_part_names_only_the_compartments_of_its_goods():
    parts = {"shop-a": ["A1"], "shop-b": ["K1", "A1"]}
    assert part_compartments(parts, "shop-a", ["A1", "K1"]) == ("A1",)
    assert part_compartments(parts, "shop-b", ["A1", "K1"]) == ("K1", "A1")
    assert part_compartments({}, "shop-a", ["A1", "K1"]) == ("A1", "K1")  # a confirmation older than parts
    order = placed([line("shop-a", "p1"), line("shop-b", "p2")])
    request = shipment_for_shop(order, shop(), LOCKER, part_compartments(parts, "shop-a", ["A1", "K1"]),
                                date(2031, 7, 10), RULES)
    fields = request.event_fields()
    assert fields["compartment_ids"] == ["A1"] and fields["moved_from"] is None


# -- missed collections ----------------------------------------------------------------------
def _current(day: date) -> ShipmentRequested:
    request = shipment_for_shop(placed([line("shop-a", "p1")], day=day), shop(), LOCKER, ["A1"], day - timedelta(days=3),
                                RULES)
    return read_event(new_event(ShipmentRequested, producer="hub-worker", **request.event_fields()).encode())


def test_a_missed_collection_on_the_delivery_day_moves_to_the_next_day_the_shop_opens():
    current = _current(WEDNESDAY_SUMMER)
    again = rescheduled(current, shop(), LOCKER, WEDNESDAY_SUMMER, RULES)
    assert again.shipment_id == current.shipment_id and again.attempt == 2
    assert again.plan.collection_day == again.plan.delivery_day == date(2031, 7, 17)
    assert (again.weight_g, again.compartment_ids, again.items) == (current.weight_g, ("A1",), tuple(current.items))
    event = read_event(new_event(ShipmentRequested, producer="hub-worker", **again.event_fields()).encode())
    assert (event.moved_from, event.move_reason) == (WEDNESDAY_SUMMER, DeliveryMoveReason.MISSED_COLLECTION)


def test_a_missed_early_collection_keeps_the_delivery_day_when_the_shop_opens_again_before_it():
    friday = date(2031, 7, 18)
    current = _current(friday)
    again = rescheduled(current, shop(), LOCKER, date(2031, 7, 16), RULES)
    assert again.plan.collection_day == date(2031, 7, 17) and again.plan.delivery_day == friday
    assert again.plan.via_hub and again.plan.moved_from is None


def test_no_next_day_within_the_horizon_gives_nothing():
    current = _current(WEDNESDAY_SUMMER)
    assert rescheduled(current, shop("shop-a", OpeningHours()), LOCKER, WEDNESDAY_SUMMER, RULES) is None


@pytest.mark.parametrize("bad", [{"start": datetime(2031, 1, 1, 8), "end": datetime(2031, 1, 1, 9)}])
def test_windows_must_be_timezone_aware(bad):
    with pytest.raises(ValueError):
        Window(bad["start"], bad["end"])
