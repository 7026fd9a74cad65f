"""The basket across shops, as the web front keeps it in the session (plain JSON),
and what the pages show of goods and orders: euros in German, shops grouped, the
order body for the orders API, order statuses in words.

A basket is `{"lines": [line, ...], "place": str | None}`; a line holds what the
page needs to show it (the catalog's name, unit, price and shop when it was put in;
the orders API prices the order itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable

MAX_QUANTITY = 999
MAX_LINES = 50
# The orders API's statuses in which nothing changes any more.
FINAL_STATUSES = frozenset({"REJECTED", "CANCELLED", "COLLECTED", "EXPIRED"})
# While these last the order page asks for news every few seconds.
WAITING_STATUSES = frozenset({"PLACED", "CONFIRMED"})
STATUS_WORDS = {
    "PLACED": ("Eingegangen – wird geprüft", "Received – being checked"),
    "CONFIRMED": ("Bestätigt", "Confirmed"),
    "REJECTED": ("Abgelehnt", "Rejected"),
    "CANCELLED": ("Storniert", "Cancelled"),
    "CANCELLATION_REQUESTED": ("Stornierung angefragt", "Cancellation requested"),
    "READY_FOR_PICKUP": ("Abholbereit", "Ready for pick-up"),
    "COLLECTED": ("Abgeholt", "Collected"),
    "EXPIRED": ("Nicht abgeholt – abgelaufen", "Not collected – expired"),
}
PAYMENT_METHODS = {
    "AT_PICKUP": ("Bei Abholung bezahlen", "Pay at pick-up"),
    "SIMULATED": ("Online bezahlen (Testbetrieb)", "Pay online (trial)"),
}
# The catalog's categories (its search takes these symbols).
CATEGORIES = {
    "FRUIT_VEGETABLES": ("Obst & Gemüse", "Fruit & vegetables"),
    "BREAD_BAKERY": ("Brot & Backwaren", "Bread & bakery"),
    "DAIRY_EGGS": ("Milch & Eier", "Dairy & eggs"),
    "MEAT_SAUSAGE": ("Fleisch & Wurst", "Meat & sausage"),
    "FISH": ("Fisch", "Fish"),
    "FROZEN": ("Tiefkühl", "Frozen"),
    "PANTRY": ("Vorrat", "Pantry"),
    "BEVERAGES": ("Getränke", "Beverages"),
    "SWEETS_SNACKS": ("Süßes & Snacks", "Sweets & snacks"),
    "HOUSEHOLD": ("Haushalt", "Household"),
    "DRUGSTORE": ("Drogerie", "Drugstore"),
    "PLANTS_FLOWERS": ("Pflanzen & Blumen", "Plants & flowers"),
    "OTHER": ("Sonstiges", "Other"),
}
TEMPERATURE_WORDS = {"AMBIENT": ("ungekühlt", "ambient"), "CHILLED": ("gekühlt", "chilled"),
                     "FROZEN": ("tiefgekühlt", "frozen")}
ORDER_CHANNELS = {"PHONE": ("Telefon", "Phone"), "COUNTER": ("Theke", "Counter")}


class BasketError(ValueError):
    """What the person entered cannot go into the basket; the message in German and English."""

    def __init__(self, german: str, english: str):
        super().__init__(english)
        self.german, self.english = german, english


def euro(cents: int | None, currency: str = "EUR") -> str:
    """2,70 € / 1.234,50 € (German)."""
    if cents is None:
        return "–"
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(int(cents)), 100)
    grouped = f"{whole:,}".replace(",", ".")
    symbol = "€" if currency == "EUR" else currency
    return f"{sign}{grouped},{rest:02d} {symbol}"


def quantity_of(text: Any) -> int:
    """A quantity typed into a form: a whole number from 1 to MAX_QUANTITY."""
    try:
        value = int(str(text).strip())
    except (TypeError, ValueError):
        raise BasketError("Bitte eine ganze Zahl als Menge angeben.", "Please give a whole number as quantity.") \
            from None
    if not 1 <= value <= MAX_QUANTITY:
        raise BasketError(f"Die Menge muss zwischen 1 und {MAX_QUANTITY} liegen.",
                          f"The quantity must be between 1 and {MAX_QUANTITY}.")
    return value


def empty() -> dict[str, Any]:
    return {"lines": []}


def of(data: Any) -> dict[str, Any]:
    """The basket from session data (an empty one when there is none or it is broken)."""
    if not isinstance(data, dict) or not isinstance(data.get("lines"), list):
        return empty()
    lines = [line for line in data["lines"] if isinstance(line, dict) and line.get("product_id")]
    return {**data, "lines": lines}


def line_from_product(product: dict[str, Any], quantity: int) -> dict[str, Any]:
    """A basket line from the catalog's product page."""
    shop = product.get("shop") or {}
    location = shop.get("location") or {}
    price = product.get("price") or {}
    return {"product_id": product["product_id"], "name": product.get("name") or product["product_id"],
            "unit": product.get("unit") or "", "price_cents": int(price.get("amount_cents") or 0),
            "currency": price.get("currency") or "EUR", "shop_id": product.get("shop_id") or shop.get("shop_id"),
            "shop_name": shop.get("name") or product.get("shop_id"), "quantity": quantity,
            "temperature_class": product.get("temperature_class") or "AMBIENT",
            "lat": location.get("lat"), "lon": location.get("lon")}


def add(basket: dict[str, Any], line: dict[str, Any]) -> dict[str, Any]:
    """The basket with `line` in it; the same product again adds to its quantity."""
    basket = of(basket)
    lines = [dict(existing) for existing in basket["lines"]]
    for existing in lines:
        if existing["product_id"] == line["product_id"]:
            total = existing["quantity"] + line["quantity"]
            if total > MAX_QUANTITY:
                raise BasketError(f"Höchstens {MAX_QUANTITY} Stück je Ware.", f"At most {MAX_QUANTITY} per item.")
            existing.update({k: v for k, v in line.items() if k != "quantity"}, quantity=total)
            break
    else:
        if len(lines) >= MAX_LINES:
            raise BasketError(f"Höchstens {MAX_LINES} verschiedene Waren je Bestellung.",
                              f"At most {MAX_LINES} different goods per order.")
        lines.append(dict(line))
    return {**basket, "lines": lines}


def set_quantity(basket: dict[str, Any], product_id: str, quantity: int) -> dict[str, Any]:
    basket = of(basket)
    return {**basket, "lines": [{**line, "quantity": quantity} if line["product_id"] == product_id else line
                                for line in basket["lines"]]}


def remove(basket: dict[str, Any], product_id: str) -> dict[str, Any]:
    basket = of(basket)
    return {**basket, "lines": [line for line in basket["lines"] if line["product_id"] != product_id]}


def line_total(line: dict[str, Any]) -> int:
    return int(line.get("price_cents") or 0) * int(line.get("quantity") or 0)


def total_cents(basket: dict[str, Any]) -> int:
    return sum(line_total(line) for line in of(basket)["lines"])


@dataclass(frozen=True)
class ShopGroup:
    shop_id: str
    shop_name: str
    lines: tuple[dict[str, Any], ...]

    @property
    def subtotal_cents(self) -> int:
        return sum(line_total(line) for line in self.lines)


def by_shop(lines: Iterable[dict[str, Any]], shop_key: str = "shop_id", name_key: str = "shop_name") -> list[ShopGroup]:
    """Lines grouped by shop, shops in the order they first appear."""
    groups: dict[str, list[dict[str, Any]]] = {}
    names: dict[str, str] = {}
    for line in lines:
        shop_id = str(line.get(shop_key) or "")
        groups.setdefault(shop_id, []).append(line)
        names.setdefault(shop_id, str(line.get(name_key) or shop_id))
    return [ShopGroup(shop_id, names[shop_id], tuple(found)) for shop_id, found in groups.items()]


def shop_ids(basket: dict[str, Any]) -> list[str]:
    return sorted({str(line["shop_id"]) for line in of(basket)["lines"] if line.get("shop_id")})


def centre(basket: dict[str, Any]) -> tuple[float, float] | None:
    """The middle of the basket's shops (where to look for pick-up points when no place is chosen)."""
    points = [(line["lat"], line["lon"]) for line in of(basket)["lines"]
              if isinstance(line.get("lat"), (int, float)) and isinstance(line.get("lon"), (int, float))]
    if not points:
        return None
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


def order_body(basket: dict[str, Any], *, pickup_point_id: str, delivery_day: str, payment_method: str,
               resident_id: str | None = None, channel: str | None = None, note: str | None = None) -> dict[str, Any]:
    """The body of POST /v1/orders (PlaceOrderBody); the orders API checks the rules."""
    body: dict[str, Any] = {
        "lines": [{"product_id": line["product_id"], "quantity": int(line["quantity"])}
                  for line in of(basket)["lines"]],
        "pickup_point_id": pickup_point_id, "delivery_day": delivery_day, "payment_method": payment_method,
    }
    if resident_id:
        body["resident_id"] = resident_id
    if channel:
        body["channel"] = channel.lower()
    if note:
        body["note"] = note
    return body


def status_words(status: str | None) -> tuple[str, str]:
    return STATUS_WORDS.get(status or "", (status or "?", status or "?"))


def problems_of(detail: Any) -> list[str]:
    """The lines of an API error's `detail` (a list of {field, message} or a dict), for people."""
    found: list[str] = []
    if isinstance(detail, list):
        for item in detail:
            if isinstance(item, dict):
                where = item.get("field") or ".".join(str(p) for p in item.get("loc", []) if p != "body")
                what = item.get("message") or item.get("msg") or ""
                # The API's messages say what is wrong in words (German / English); the field only without one.
                found.append(str(what) if what else str(where))
            else:
                found.append(str(item))
    elif isinstance(detail, dict):
        for key in ("problems", "errors"):
            if isinstance(detail.get(key), list):
                return problems_of(detail[key])
    return [p for p in found if p]


def free_room(free: dict[str, Any] | None) -> list[tuple[str, int, int]]:
    """(temperature class, free, total) of a pick-up point's day, in a fixed order."""
    free = free or {}
    return [(kind, int(free[kind].get("free", 0)), int(free[kind].get("total", 0)))
            for kind in ("AMBIENT", "CHILLED", "FROZEN") if isinstance(free.get(kind), dict)]


def needed_classes(basket: dict[str, Any]) -> set[str]:
    return {str(line.get("temperature_class") or "AMBIENT") for line in of(basket)["lines"]}


def has_room(free: dict[str, Any] | None, classes: Iterable[str]) -> bool:
    """Whether the point has a free compartment of every class the basket needs."""
    room = {kind: n for kind, n, _ in free_room(free)}
    return all(room.get(kind, 0) > 0 for kind in classes)


WEEKDAYS = (("Mo", "Mon"), ("Di", "Tue"), ("Mi", "Wed"), ("Do", "Thu"), ("Fr", "Fri"), ("Sa", "Sat"), ("So", "Sun"))


def day_label(iso_day: str | None, english: bool = False) -> str:
    """"Di, 08.12.2026" (German) or "Tue, 08/12/2026"; the text itself when it is no day."""
    try:
        day = date.fromisoformat(str(iso_day))
    except ValueError:
        return str(iso_day or "–")
    name = WEEKDAYS[day.weekday()][1 if english else 0]
    return f"{name}, {day:%d/%m/%Y}" if english else f"{name}, {day:%d.%m.%Y}"


def local_time(iso: str | None) -> str:
    """"07.12.2026, 18:00" from an ISO time (as the API gives it, in Berlin time)."""
    try:
        moment = datetime.fromisoformat(str(iso))
    except ValueError:
        return str(iso or "–")
    return f"{moment:%d.%m.%Y, %H:%M}"
