"""The KPI catalogue: every figure the insights service shows, with its German and
English name, its formula and unit, the areas it is given for, and the count it is
built from (its privacy basis: a cell built from fewer than five orders or residents
is suppressed, `privacy.py`).

    KPIS["lead_time_ready_p50"].name_de  -> "Vorlaufzeit bis abholbereit (Median)"

Counters named in formulas are those the folds write (`orders.py`, `compartments.py`,
`tours.py`, `freight.py`, `trade.py`). How each is computed is `figures.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

from nahnetz.records import Channel, OrderRejectionReason

VILLAGE, MUNICIPALITY, DISTRICT = "village", "municipality", "district"
ALL_LEVELS = (VILLAGE, MUNICIPALITY, DISTRICT)
AREA_LEVELS = (MUNICIPALITY, DISTRICT)

# Channels where someone assisted, or that are not online at all (hybrid: digital UND analog).
ASSISTED_CHANNELS = (Channel.PHONE, Channel.COUNTER, Channel.MARKET, Channel.PAPER)
ORDER_CHANNELS = (Channel.WEB, Channel.APP, Channel.PHONE, Channel.COUNTER, Channel.MARKET, Channel.PAPER)
SIZES = ("S", "M", "L", "XL")
TEMPERATURES = ("AMBIENT", "CHILLED", "FROZEN")

SUM, LAST = "sum", "last"   # a period's value: its days summed, or its last day's (a state)


@dataclass(frozen=True)
class Kpi:
    id: str
    group: str
    name_de: str
    name_en: str
    formula: str
    unit: str
    basis: tuple[str, ...] = ()     # counters whose sum must reach the threshold; () = no personal basis
    levels: tuple[str, ...] = ALL_LEVELS
    period_value: str = SUM

    def as_json(self) -> dict:
        return {"id": self.id, "group": self.group, "name": {"de": self.name_de, "en": self.name_en},
                "formula": self.formula, "unit": self.unit, "levels": list(self.levels),
                "period_value": self.period_value,
                "suppressed_below": ({"count": " + ".join(self.basis)} if self.basis else None)}


_CHANNEL_DE = {"WEB": "Web", "APP": "App", "PHONE": "Telefon", "COUNTER": "Theke", "MARKET": "Wochenmarkt",
               "PAPER": "Papier"}
_REASON_DE = {
    "OUT_OF_STOCK": "nicht vorrätig", "NO_COMPARTMENT": "kein Fach frei", "TIMEOUT": "keine Antwort rechtzeitig",
    "UNKNOWN_PRODUCT": "unbekannte Ware", "UNKNOWN_PICKUP_POINT": "unbekannte Abholstation",
    "DELIVERY_DAY_UNAVAILABLE": "Liefertag nicht möglich", "PAYMENT_FAILED": "Zahlung fehlgeschlagen",
    "INVALID_ORDER": "ungültige Bestellung", "OTHER": "anderer Grund"}
_SIZE_TEMP_DE = {"S": "Größe S", "M": "Größe M", "L": "Größe L", "XL": "Größe XL", "AMBIENT": "ungekühlt",
                 "CHILLED": "gekühlt", "FROZEN": "tiefgekühlt"}


def _orders() -> list[Kpi]:
    g = "orders"
    out = [
        Kpi("orders", g, "Bestellungen", "Orders", "count of OrderPlaced", "count", ("orders",)),
        Kpi("items", g, "Bestellte Artikel", "Items ordered", "sum of the quantities of the order lines",
            "count", ("orders",)),
        Kpi("order_value", g, "Bestellwert", "Order value", "sum of OrderPlaced.total (goods and delivery fee)",
            "EUR", ("orders",)),
    ]
    for ch in ORDER_CHANNELS:
        out.append(Kpi(f"orders_{ch.value.lower()}", g, f"Bestellungen über {_CHANNEL_DE[ch.value]}",
                       f"Orders by {ch.value.lower()}", f"count of OrderPlaced with channel {ch.value}", "count",
                       (f"channel:{ch.value}",)))
    assisted = ", ".join(c.value for c in ASSISTED_CHANNELS)
    out += [
        Kpi("assisted_share", g, "Anteil assistierter/analoger Bestellungen", "Share of assisted or analog orders",
            f"orders with channel in ({assisted}) / orders × 100", "%", ("orders",)),
        Kpi("confirmation_rate", g, "Bestätigungsquote", "Confirmation rate",
            "OrderConfirmed / (OrderConfirmed + OrderRejected) × 100, decisions of the period", "%",
            ("confirmed", "rejected")),
        Kpi("rejections", g, "Abgelehnte Bestellungen", "Rejected orders", "count of OrderRejected", "count",
            ("rejected",)),
    ]
    for reason in OrderRejectionReason:
        out.append(Kpi(f"rejected_{reason.value.lower()}", g, f"Abgelehnt: {_REASON_DE[reason.value]}",
                       f"Rejected: {reason.value.lower().replace('_', ' ')}",
                       f"count of OrderRejected with reason {reason.value}", "count", (f"rejected:{reason.value}",)))
    out += [
        Kpi("cancelled", g, "Stornierte Bestellungen", "Cancelled orders", "count of OrderCancelled", "count",
            ("cancelled",)),
        Kpi("lead_time_ready_p50", g, "Vorlaufzeit bis abholbereit (Median)", "Lead time ordered to ready (median)",
            "50th percentile (nearest rank) of OrderReadyForPickup time − OrderPlaced time, orders ready in the period",
            "h", ("n:lead_ready_s",)),
        Kpi("lead_time_ready_p90", g, "Vorlaufzeit bis abholbereit (90 %)", "Lead time ordered to ready (p90)",
            "90th percentile (nearest rank) of OrderReadyForPickup time − OrderPlaced time", "h",
            ("n:lead_ready_s",)),
        Kpi("ready_to_collected_p50", g, "Wartezeit bis zur Abholung (Median)", "Ready to collected (median)",
            "50th percentile (nearest rank) of OrderCollected time − OrderReadyForPickup time", "h",
            ("n:ready_collected_s",)),
        Kpi("ready_to_collected_p90", g, "Wartezeit bis zur Abholung (90 %)", "Ready to collected (p90)",
            "90th percentile (nearest rank) of OrderCollected time − OrderReadyForPickup time", "h",
            ("n:ready_collected_s",)),
        Kpi("collected", g, "Abgeholte Bestellungen", "Orders collected", "count of OrderCollected", "count",
            ("collected",)),
        Kpi("expired", g, "Nicht abgeholte Sendungen", "Expired parcels", "count of OrderExpired", "count",
            ("expired",)),
    ]
    return out


def _pickup() -> list[Kpi]:
    g = "pickup"
    out = [
        Kpi("compartment_use", g, "Fachauslastung", "Compartment use",
            "compartments held for a delivery day / (compartments of the points × days) × 100", "%",
            ("reservations",)),
    ]
    for key in (*TEMPERATURES, *SIZES):
        out.append(Kpi(f"compartment_use_{key.lower()}", g, f"Fachauslastung {_SIZE_TEMP_DE[key]}",
                       f"Compartment use {key.lower()}",
                       f"held {key} compartment-days / {key} compartment-days × 100", "%", ("reservations",)))
    out += [
        Kpi("peak_occupancy", g, "Höchste Tagesauslastung", "Peak occupancy",
            "largest share of one point's compartments held on one day × 100", "%", ("reservations",)),
        Kpi("days_full", g, "Volle Tage", "Days full",
            "point-days with every compartment held or an order refused as FULL", "point-days", ("reservations",)),
        Kpi("collections_outside_shop_hours", g, "Abholungen außerhalb der Ladenöffnungszeiten",
            "Collections outside shop hours",
            "OrderCollected at a locker at a local time when no shop of its municipality is open", "count",
            ("collected_outside_hours",)),
        Kpi("collections_outside_shop_hours_share", g, "Anteil Abholungen außerhalb der Ladenöffnungszeiten",
            "Share of collections outside shop hours",
            "collections outside shop hours / collections at lockers × 100", "%", ("collected_timed",)),
    ]
    return out


def _logistics() -> list[Kpi]:
    g, at = "logistics", (DISTRICT,)
    return [
        Kpi("tours", g, "Touren", "Tours", "count of TourCompleted, on the tour's day", "count", levels=at),
        Kpi("km_driven", g, "Gefahrene Kilometer", "Kilometres driven",
            "sum of TourCompleted.distance_km (else the planned distance)", "km", levels=at),
        Kpi("stops_per_tour", g, "Stopps je Tour", "Stops per tour",
            "(stops completed + stops failed) / tours", "stops", levels=at),
        Kpi("on_time_share", g, "Pünktliche Stopps", "On-time stops",
            "stops first reported by ETA + tolerance / stops reported × 100", "%", levels=at),
        Kpi("load_factor", g, "Auslastung der Fahrzeuge", "Load factor",
            "mean of the planned load factor (RoutePlanned) of the completed tours × 100", "%", levels=at),
        Kpi("empty_km", g, "Leerkilometer", "Empty kilometres",
            "sum of the planned empty km (RoutePlanned) of the completed tours", "km", levels=at),
    ]


def _freight() -> list[Kpi]:
    g, at = "freight", AREA_LEVELS
    return [
        Kpi("trips_offered", g, "Angebotene Fahrten", "Trips offered", "count of TripOffered, by the trip's origin",
            "count", ("trips_offered",), at),
        Kpi("loads_posted", g, "Eingestellte Sendungen", "Loads posted", "count of LoadPosted, by the load's origin",
            "count", ("loads_posted",), at),
        Kpi("loads_matched", g, "Vermittelte Sendungen", "Loads matched", "count of MatchAgreed", "count",
            ("loads_matched",), at),
        Kpi("loads_delivered", g, "Zugestellte Sendungen", "Loads delivered", "count of LoadDelivered", "count",
            ("loads_delivered",), at),
        Kpi("km_avoided", g, "Vermiedene Kilometer", "Kilometres avoided",
            "sum of LoadDelivered.km_avoided (else MatchAgreed.km_avoided)", "km", ("loads_delivered",), at),
        Kpi("co2_avoided", g, "Vermiedenes CO₂", "CO₂ avoided",
            "kilometres avoided × configured CO₂ factor (INSIGHTS_CO2_G_PER_KM, source INSIGHTS_CO2_SOURCE) / 1000",
            "kg CO₂e", ("loads_delivered",), at),
        Kpi("compensation", g, "Vergütung", "Compensation", "sum of the agreed price of the loads delivered",
            "EUR", ("loads_delivered",), at),
    ]


def _trade() -> list[Kpi]:
    g = "trade"
    return [
        Kpi("active_shops", g, "Aktive Läden", "Active shops", "shops registered and not closed, at the period's end",
            "count", period_value=LAST),
        Kpi("goods_listed", g, "Gelistete Waren", "Goods listed",
            "goods listed and not delisted by the area's shops, at the period's end", "count", period_value=LAST),
        Kpi("orders_per_shop", g, "Bestellungen je Laden", "Orders per shop",
            "orders with a part from one of the area's shops / active shops", "orders/shop", ("shop_orders",)),
    ]


def _reach() -> list[Kpi]:
    g = "reach"
    out = []
    for metres, label in ((1000, "1.000 m"), (2000, "2 km"), (5000, "5 km")):
        out.append(Kpi(f"reach_{metres}m", g, f"Einwohner im Umkreis von {label}", f"Residents within {label}",
                       f"residents of villages within {metres} m (straight line) of a pick-up point in service with "
                       "free room or an open shop selling daily goods / residents × 100", "%", ("residents",),
                       period_value=LAST))
    for metres, label in ((1000, "1.000 m"), (2000, "2 km"), (5000, "5 km")):
        out.append(Kpi(f"reach_road_{metres}m", g, f"Einwohner bis {label} Straßenweg", f"Residents within {label} by road",
                       f"residents of villages within {metres} m by road (the road matrix, INSIGHTS_OSRM_URL) of a "
                       "pick-up point in service with free room or an open shop selling daily goods / residents × 100; "
                       "none without a road matrix", "%", ("residents",), period_value=LAST))
    return out


CATALOGUE: tuple[Kpi, ...] = (*_orders(), *_pickup(), *_logistics(), *_freight(), *_trade(), *_reach())
KPIS: dict[str, Kpi] = {k.id: k for k in CATALOGUE}
GROUPS = ("orders", "pickup", "logistics", "freight", "trade", "reach")
