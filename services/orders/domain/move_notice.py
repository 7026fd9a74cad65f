"""What the resident is told when a part of their order arrives on another day:
which shop's goods, the new day and why, and from when the whole order waits at
the pick-up point (the code follows once everything is in). The whole text rides
along in German and English (`text_de`, `text_en`), as the notify service sends
a template it does not know from that text.
"""

from __future__ import annotations

from datetime import date

from nahnetz.records import DeliveryMoveReason, OrderDeliveryMoved

from .lifecycle import OrderView
from .notices import ASSISTED_CHANNELS, Notice
from .packing_list import order_ref

TEMPLATE = "order_moved"
_WEEKDAYS_DE = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WHY = {
    DeliveryMoveReason.SHOP_CLOSED: ("der Laden hat an dem Tag geschlossen",
                                     "the shop is closed that day"),
    DeliveryMoveReason.PICKUP_POINT_CLOSED: ("die Abholstelle hat an dem Tag geschlossen",
                                             "the pick-up point is closed that day"),
    DeliveryMoveReason.MISSED_COLLECTION: ("die Ware konnte beim Laden nicht abgeholt werden",
                                           "the goods could not be collected at the shop"),
}
OTHER = ("die Tour wurde umgeplant", "the tour was re-planned")


def day_de(day: date) -> str:
    return f"{_WEEKDAYS_DE[day.weekday()]}, {day:%d.%m.%Y}"


def day_en(day: date) -> str:
    return f"{_WEEKDAYS_EN[day.weekday()]} {day.day} {day:%b %Y}"


def moved_notice(order: OrderView, moved: OrderDeliveryMoved, shop_name: str | None = None,
                 pickup_point_name: str | None = None) -> Notice:
    """The resident's message about the moved part of `order` (the view after the move)."""
    ref, shop = order_ref(order.order_id), shop_name or moved.shop_id
    point = pickup_point_name or order.pickup_point_id
    why_de, why_en = WHY.get(moved.reason, OTHER)
    text_de = (f"Ihre Bestellung {ref}: Die Ware von {shop} kommt erst am {day_de(moved.to_day)} statt am "
               f"{day_de(moved.from_day)} ({why_de}). Ihre Bestellung liegt damit ab {day_de(order.delivery_day)} "
               f"in {point} bereit; den Abholcode erhalten Sie, sobald alles da ist.")
    text_en = (f"Your order {ref}: the goods from {shop} arrive on {day_en(moved.to_day)} instead of "
               f"{day_en(moved.from_day)} ({why_en}). Your order will be ready at {point} from "
               f"{day_en(order.delivery_day)}; you get the pick-up code once everything is there.")
    return Notice(
        notification_id=f"{order.order_id}:{TEMPLATE}:{moved.shop_id}:{moved.to_day.isoformat()}",
        recipient_id=order.resident_id,
        channel="PHONE_CALL" if order.channel in ASSISTED_CHANNELS else "PUSH",
        template=TEMPLATE,
        params={"order_id": order.order_id, "order_ref": ref, "shop": shop, "pickup_point": point,
                "from_day": day_de(moved.from_day), "to_day": day_de(moved.to_day),
                "delivery_day": day_de(order.delivery_day), "reason": str(moved.reason),
                "subject_de": f"Bestellung {ref}: neuer Liefertag {day_de(order.delivery_day)}",
                "subject_en": f"Order {ref}: new delivery day {day_en(order.delivery_day)}",
                "text_de": text_de, "text_en": text_en},
    )
