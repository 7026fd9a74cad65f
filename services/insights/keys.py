"""Every Redis key of the insights service (prefix `insights:`), in one place.

| key | type | what | written by |
|---|---|---|---|
| insights:point:<id> | string (JSON) | a pick-up point: municipality, village, kind, place, compartments (size, temperature), opening hours, in service | worker, from pickup.points |
| insights:points | set | pick-up point ids | worker |
| insights:shop:<id> | string (JSON) | a shop: municipality, village, kind, place, opening hours, open or closed | worker, from catalog.shops |
| insights:shops | set | shop ids | worker |
| insights:listed:<product_id> | string | "1" while the product is listed (a repeated listing counts once) | worker, from catalog.products |
| insights:listed | set | product ids listed, as versions before 2026-12-07 kept them: read, emptied as products change | worker |
| insights:order:<id> | string (JSON) | what the fold keeps of an order (`domain.orders.OrderTrace`) | worker, from orders.orders |
| insights:tour:<id> | string (JSON) | what the fold keeps of a tour (`domain.tours.TourTrace`) | worker, from logistics.tours |
| insights:tour-plan:<tour_id> | string (JSON) | the plan's load factor and empty km of the tour | worker, from logistics.plans |
| insights:match:<id> | string (JSON) | what the fold keeps of an agreed match (`domain.freight.MatchTrace`) | worker, from freight.matches |
| insights:origin:<trip|load>:<id> | string (JSON) | where a trip or load starts (its area is found when read) | worker, from freight.trips / freight.loads |
| insights:cell:<day>:<kind>:<ref> | hash | a day's counters of a point, shop, tour, trip or load (`domain.changes`) | worker |
| insights:samples:<day>:<kind>:<ref>:<measure> | hash | entity id -> one measurement (seconds), for percentiles | worker |
| insights:index:<day>:<kind> | set | the refs with a cell that day | worker |
| insights:days:<kind> | set | the days with a cell of that kind (trade states sum every day up to one) | worker |

The worker's processed markers are `nahnetz:processed:insights.<consumer>:<event id>`.
Nothing here names a resident: orders are kept by order id only, for their lead times.
"""

from __future__ import annotations

from datetime import date

PREFIX = "insights"
POINTS = "insights:points"
SHOPS = "insights:shops"
LISTED = "insights:listed"

# Processed-marker consumers, one per agent (once per event id).
ORDER_EVENT = "insights.order_event"
RESERVATION_EVENT = "insights.reservation_event"
CATALOG_EVENT = "insights.catalog_event"
TOUR_EVENT = "insights.tour_event"
LISTING_EVENT = "insights.listing_event"
MATCH_EVENT = "insights.match_event"
CONSUMERS = (ORDER_EVENT, RESERVATION_EVENT, CATALOG_EVENT, TOUR_EVENT, LISTING_EVENT, MATCH_EVENT)


def listed(product_id: str) -> str:
    # One key per product: the catalog.products partitions are folded side by side, and
    # a single set of all listed products was watched by every one of them.
    return f"insights:listed:{product_id}"


def point(point_id: str) -> str:
    return f"insights:point:{point_id}"


def shop(shop_id: str) -> str:
    return f"insights:shop:{shop_id}"


def order(order_id: str) -> str:
    return f"insights:order:{order_id}"


def tour(tour_id: str) -> str:
    return f"insights:tour:{tour_id}"


def tour_plan(tour_id: str) -> str:
    return f"insights:tour-plan:{tour_id}"


def match(match_id: str) -> str:
    return f"insights:match:{match_id}"


def origin(kind: str, ref: str) -> str:
    return f"insights:origin:{kind}:{ref}"


def cell(day: date | str, kind: str, ref: str) -> str:
    return f"insights:cell:{day}:{kind}:{ref}"


def samples(day: date | str, kind: str, ref: str, measure: str) -> str:
    return f"insights:samples:{day}:{kind}:{ref}:{measure}"


def index(day: date | str, kind: str) -> str:
    return f"insights:index:{day}:{kind}"


def days(kind: str) -> str:
    return f"insights:days:{kind}"
