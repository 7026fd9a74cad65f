"""A shop's packing list for a day (services/orders/domain/packing_list.py)."""

from __future__ import annotations

from datetime import date, datetime, timezone

from nahnetz.records import Money, OrderLine, TemperatureClass
from services.orders.domain.lifecycle import OrderStatus, OrderView, StatusChange
from services.orders.domain.packing_list import build_packing_list, order_ref

DAY = date(2026, 5, 13)
AT = datetime(2026, 5, 12, 8, 0, tzinfo=timezone.utc)


def line(product_id: str, shop_id: str, quantity: int, name: str | None = None) -> OrderLine:
    return OrderLine(product_id=product_id, shop_id=shop_id, product_name=name or product_id.title(), unit="Stück",
                     quantity=quantity, unit_price=Money(amount_cents=300, currency="EUR"), vat_rate_bp=700,
                     temperature_class=TemperatureClass.CHILLED if "cheese" in product_id else TemperatureClass.AMBIENT,
                     weight_g=100 * quantity, volume_ml=200 * quantity)


def order(order_id: str, lines, status=OrderStatus.CONFIRMED, day=DAY, point="pp-brakel") -> OrderView:
    history = (StatusChange(OrderStatus.PLACED, AT, "e0"),)
    if status is not OrderStatus.PLACED:
        history += (StatusChange(status, AT, "e1"),)
    return OrderView(order_id, "r-1", tuple(lines), point, day, "ONLINE", "WEB", 250, 1000, "EUR", AT, history)


def test_lines_of_the_shop_grouped_by_order_with_totals_per_product():
    orders = [
        order("b-2", [line("p-cheese", "shop-hof", 2, "Ziegenkäse"), line("p-bread", "shop-b", 1)],
              point="pp-hoexter"),
        order("a-1", [line("p-cheese", "shop-hof", 1, "Ziegenkäse"), line("p-eggs", "shop-hof", 6, "Eier")]),
    ]
    packing = build_packing_list("shop-hof", DAY, orders, {"pp-brakel": "Brakel Markt", "pp-hoexter": "Höxter"})
    assert [(o.order_id, o.pickup_point_name) for o in packing.orders] == [("a-1", "Brakel Markt"),
                                                                         ("b-2", "Höxter")]
    assert [(l.product_id, l.quantity) for l in packing.orders[1].lines] == [("p-cheese", 2)], \
        "another shop's lines are not on the list"
    assert packing.orders[1].weight_g == 200 and packing.orders[1].volume_ml == 400
    assert packing.orders[1].lines[0].temperature_class == "CHILLED"
    assert [(t.product_name, t.quantity, t.orders) for t in packing.totals] == [("Eier", 6, 1),
                                                                              ("Ziegenkäse", 3, 2)]


def test_only_confirmed_orders_of_that_day_count():
    orders = [
        order("placed", [line("p-cheese", "shop-hof", 1)], status=OrderStatus.PLACED),
        order("rejected", [line("p-cheese", "shop-hof", 1)], status=OrderStatus.REJECTED),
        order("cancelled", [line("p-cheese", "shop-hof", 1)], status=OrderStatus.CANCELLED),
        order("other-day", [line("p-cheese", "shop-hof", 1)], day=date(2026, 5, 14)),
        order("other-shop", [line("p-bread", "shop-b", 1)]),
        order("in-locker", [line("p-cheese", "shop-hof", 4)], status=OrderStatus.READY_FOR_PICKUP),
        order("ok", [line("p-cheese", "shop-hof", 1)]),
    ]
    packing = build_packing_list("shop-hof", DAY, orders)
    assert [o.order_id for o in packing.orders] == ["in-locker", "ok"]
    assert packing.orders[0].pickup_point_name == "pp-brakel", "without a name the id stands in"
    assert [(t.product_id, t.quantity, t.orders) for t in packing.totals] == [("p-cheese", 5, 2)]


def test_an_empty_day():
    packing = build_packing_list("shop-hof", DAY, [])
    assert packing.orders == () and packing.totals == ()


def test_order_ref_is_short_and_readable():
    assert order_ref("3f2a9c1e-77aa-4c2b-9d1e-0a1b2c3d4e5f") == "3F2A9C1E"
