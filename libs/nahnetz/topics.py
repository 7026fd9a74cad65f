"""The topic registry: every Kafka topic of Nahnetz, declared once.

Nothing else in the code base types a topic name. Services import the `Topic`
objects from here; the topic-init job, the embedded stack, the AsyncAPI
catalogue and the docker-compose test all read this one list.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DLQ_SUFFIX = ".dlq"
RETAIN_FOREVER = -1
WEEK_MS = 7 * 24 * 3600 * 1000


@dataclass(frozen=True)
class Topic:
    """A Kafka topic. `key` names the event field whose value is the record key
    (one entity's events share a partition, so they stay in order); only the
    `owner` service writes the topic."""

    name: str
    key: str
    owner: str
    event_types: tuple[str, ...]
    partitions: int = 6
    # Entity topics are the system of record and keep every event.
    retention_ms: int = RETAIN_FOREVER
    compacted: bool = False
    description: str = ""
    # Internal topics re-key another topic's events to the deciding key
    # (consistency by partitioning); only their owner reads them.
    internal: bool = False
    config: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def dlq(self) -> str:
        return self.name + DLQ_SUFFIX

    def kafka_config(self) -> dict[str, str]:
        config = {
            "retention.ms": str(self.retention_ms),
            "cleanup.policy": "compact" if self.compacted else "delete",
        }
        config.update(self.config)
        return config


def _t(name: str, key: str, owner: str, events: str, description: str, **kw) -> Topic:
    return Topic(name, key, owner, tuple(events.split()), description=description, **kw)


CATALOG_SHOPS = _t(
    "catalog.shops", "shop_id", "catalog",
    "ShopRegistered ShopUpdated ShopClosed",
    "Shops, farms and market stalls: profile, opening hours, location.",
    partitions=3,
)
CATALOG_PRODUCTS = _t(
    "catalog.products", "product_id", "catalog",
    "ProductListed ProductUpdated StockAdjusted ProductDelisted",
    "Goods a shop lists, with price, stock and temperature class.",
)
CATALOG_STOCK_RESERVATIONS = _t(
    "catalog.stock-reservations", "order_id", "catalog",
    "StockReserved StockRejected StockReleased StockSold",
    "Stock decisions per order line, made by the worker owning the product.",
)
ORDERS_ORDERS = _t(
    "orders.orders", "order_id", "orders",
    "OrderPlaced OrderConfirmed OrderRejected OrderCancelled OrderReadyForPickup "
    "OrderCollected OrderExpired OrderDeliveryMoved",
    "The life of a resident's order, from placement to collection.",
)
PICKUP_POINTS = _t(
    "pickup.points", "pickup_point_id", "pickup",
    "PickupPointRegistered PickupPointUpdated",
    "Lockers and staffed counters where residents collect their goods.",
    partitions=3,
)
PICKUP_RESERVATIONS = _t(
    "pickup.reservations", "order_id", "pickup",
    "CompartmentReserved CompartmentRejected CompartmentReleased CompartmentHoldMoved",
    "Compartment decisions per order, made by the worker owning the pick-up point.",
)
PICKUP_PARCELS = _t(
    "pickup.parcels", "order_id", "pickup",
    "ParcelDeposited ParcelCollected ParcelExpired PickupCodeLocked PickupCodeReissued",
    "Parcels in compartments: deposit, collection with a code, locks and new codes, expiry.",
)
LOGISTICS_SHIPMENTS = _t(
    "logistics.shipments", "shipment_id", "hub",
    "ShipmentRequested ShipmentCollected ShipmentAtHub ShipmentDelivered",
    "One shipment per shop and order: from the shop via the hub to the pick-up point.",
)
LOGISTICS_PLANS = _t(
    "logistics.plans", "plan_id", "routing",
    "RoutePlanRequested RoutePlanned RoutePlanFailed",
    "Tour planning requests and the OR-Tools plans answering them.",
    partitions=3,
)
LOGISTICS_TOURS = _t(
    "logistics.tours", "tour_id", "dispatch",
    "TourDispatched StopCompleted StopFailed TourCompleted",
    "Tours handed to drivers and what happened at each stop.",
    partitions=3,
)
FREIGHT_TRIPS = _t(
    "freight.trips", "trip_id", "freight",
    "TripOffered TripWithdrawn",
    "Trips driven anyway, offered with their spare capacity.",
    partitions=3,
)
FREIGHT_LOADS = _t(
    "freight.loads", "load_id", "freight",
    "LoadPosted LoadWithdrawn",
    "Loads looking for a ride.",
    partitions=3,
)
FREIGHT_MATCHES = _t(
    "freight.matches", "match_id", "freight",
    "MatchProposed MatchAccepted MatchAgreed MatchDeclined MatchCancelled LoadPickedUp LoadDelivered",
    "Proposed, accepted and agreed pairings of a load with a trip, and the hand-over.",
    partitions=3,
)
# -- internal repartition topics: the same order events, keyed by the deciding entity --
ORDER_EVENTS = "OrderPlaced OrderRejected OrderCancelled OrderExpired"
CATALOG_STOCK_REQUESTS = _t(
    # A collected order's held units are sold.
    "catalog.stock-requests", "product_id", "catalog", ORDER_EVENTS + " OrderCollected",
    "Order events copied once per product of the order, so the worker owning the "
    "product's partition decides its stock.",
    retention_ms=WEEK_MS, internal=True,
)
PICKUP_RESERVATION_REQUESTS = _t(
    # A part arriving on another day moves its compartment hold.
    "pickup.reservation-requests", "pickup_point_id", "pickup", ORDER_EVENTS + " OrderDeliveryMoved",
    "Order events keyed by pick-up point, so the worker owning the point decides "
    "its compartments.",
    retention_ms=WEEK_MS, internal=True,
)
NOTIFY_REQUESTS = _t(
    "notify.requests", "recipient_id", "notify",
    "NotificationRequested NotificationSent NotificationFailed",
    "Messages to residents, shops, drivers and operators, by SMS, e-mail or paper.",
    partitions=3,
    retention_ms=4 * WEEK_MS,
)
NOTIFY_CONTACTS = _t(
    "notify.contacts", "recipient_id", "notify",
    "ContactDetailsSet ContactDetailsErased",
    "How each person wants to be told things (with consent); compacted: only the latest per person.",
    partitions=3,
    compacted=True,
)

ALL: tuple[Topic, ...] = (
    CATALOG_SHOPS,
    CATALOG_PRODUCTS,
    CATALOG_STOCK_RESERVATIONS,
    ORDERS_ORDERS,
    PICKUP_POINTS,
    PICKUP_RESERVATIONS,
    PICKUP_PARCELS,
    LOGISTICS_SHIPMENTS,
    LOGISTICS_PLANS,
    LOGISTICS_TOURS,
    FREIGHT_TRIPS,
    FREIGHT_LOADS,
    FREIGHT_MATCHES,
    NOTIFY_REQUESTS,
    NOTIFY_CONTACTS,
    CATALOG_STOCK_REQUESTS,
    PICKUP_RESERVATION_REQUESTS,
)

_BY_NAME = {t.name: t for t in ALL}


def by_name(name: str) -> Topic:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown topic {name!r}; known: {sorted(_BY_NAME)}") from None


def topic_for_event(event_type: str) -> Topic:
    """The one (public) topic an event type is written to."""
    for topic in ALL:
        if event_type in topic.event_types and not topic.internal:
            return topic
    raise KeyError(f"event type {event_type!r} belongs to no topic")


def dead_letter_topics() -> tuple[Topic, ...]:
    """A `<topic>.dlq` for every topic: same key, kept four weeks, 1 partition."""
    return tuple(
        Topic(
            t.dlq, t.key, t.owner, (), partitions=1, retention_ms=4 * WEEK_MS,
            description=f"Events of {t.name} that could not be handled, with the error.",
        )
        for t in ALL
    )


def all_with_dead_letters() -> tuple[Topic, ...]:
    return ALL + dead_letter_topics()
