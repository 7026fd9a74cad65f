"""What the resident is told when a part of their order arrives on another day:
which shop's goods, the new day and why, and from when the whole order waits at
the pick-up point (the code follows once everything is in). The notify service
renders its template `order_moved`; each day comes formatted for both languages.
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
# Why, as the template's reasons name it (notify's REASONS).
WHY = {
    DeliveryMoveReason.SHOP_CLOSED: "SHOP_CLOSED",
    DeliveryMoveReason.PICKUP_POINT_CLOSED: "PICKUP_POINT_CLOSED",
    DeliveryMoveReason.MISSED_COLLECTION: "MISSED_COLLECTION",
}
OTHER = "REPLANNED"


def day_de(day: date) -> str:
    return f"{_WEEKDAYS_DE[day.weekday()]}, {day:%d.%m.%Y}"


def day_en(day: date) -> str:
    return f"{_WEEKDAYS_EN[day.weekday()]} {day.day} {day:%b %Y}"


def moved_notice(order: OrderView, moved: OrderDeliveryMoved, shop_name: str | None = None,
                 pickup_point_name: str | None = None) -> Notice:
    """The resident's message about the moved part of `order` (the view after the move)."""
    ref, shop = order_ref(order.order_id), shop_name or moved.shop_id
    point = pickup_point_name or order.pickup_point_id
    return Notice(
        notification_id=f"{order.order_id}:{TEMPLATE}:{moved.shop_id}:{moved.to_day.isoformat()}",
        recipient_id=order.resident_id,
        channel="PHONE_CALL" if order.channel in ASSISTED_CHANNELS else "PUSH",
        template=TEMPLATE,
        params={"order_id": order.order_id, "order_ref": ref, "shop": shop, "pickup_point": point,
                "from_day": day_de(moved.from_day), "from_day_en": day_en(moved.from_day),
                "to_day": day_de(moved.to_day), "to_day_en": day_en(moved.to_day),
                "delivery_day": day_de(order.delivery_day), "delivery_day_en": day_en(order.delivery_day),
                "reason": WHY.get(moved.reason, OTHER)},
    )
