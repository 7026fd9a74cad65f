"""The fault campaign's checks find what they claim to find: fed events as the topics
would hold them after a campaign gone wrong (an order decided twice, one lost,
units oversold, a compartment double-booked, a rejected order still holding, a
dead letter), each is reported; fed a clean run, nothing is."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

from nahnetz.events import new_event
from nahnetz.records import (CompartmentReleased, CompartmentReserved, Money, OrderConfirmed, OrderLine, OrderPlaced,
                             OrderRejected, ProductListed, StockReleased, StockReserved)
from nahnetz.testing.faults import CampaignPlan, FaultCampaign, Placement
from nahnetz.testing.topics import Seen
from nahnetz.topics import CATALOG_PRODUCTS, CATALOG_STOCK_RESERVATIONS, ORDERS_ORDERS, PICKUP_RESERVATIONS

LABEL = "fc-test"
DAY = date(2026, 12, 10)
T0 = datetime(2026, 12, 6, 10, 0, tzinfo=timezone.utc)


class Reader:
    """What the checks ask of a TopicReader, over records given to it."""

    def __init__(self, records: list[Seen]):
        self.records = records

    def events(self, topic=None, event_type=None, *, where=None):
        name = getattr(topic, "name", topic)
        return [r.event for r in self.records if r.event is not None and (name is None or r.topic == name)
                and (event_type is None or r.event.type == event_type) and (where is None or where(r.event))]

    def dead_letters(self, topic=None, *, keys=None):
        wanted = {k.encode() for k in keys or ()}
        return [r for r in self.records if r.topic.endswith(".dlq") and r.key in wanted]


class Topics:
    def __init__(self) -> None:
        self.records: list[Seen] = []
        self.clock = T0

    def add(self, topic, cls, **fields):
        self.clock += timedelta(milliseconds=5)
        event = new_event(cls, producer="test", occurred_at=self.clock, **fields)
        self.records.append(Seen(topic.name, 0, len(self.records), None, event.encode(), (), None, event))
        return event

    def again(self, event) -> None:
        """The same event once more (an Outbox publishing again after a crash): one decision."""
        self.records.append(Seen(self.records[-1].topic, 0, len(self.records), None, event.encode(), (), None, event))

    def placed(self, n: int, product: str, quantity: int, point: str = "pp0") -> OrderPlaced:
        line = OrderLine(product_id=product, shop_id="s", product_name="Ware", unit="Stück", quantity=quantity,
                         unit_price=Money(amount_cents=100), vat_rate_bp=700, weight_g=100, volume_ml=100)
        return self.add(ORDERS_ORDERS, OrderPlaced, order_id=f"o{n}", resident_id=f"{LABEL}-r{n:05d}", lines=[line],
                        pickup_point_id=point, delivery_day=DAY, delivery_fee=Money(amount_cents=0),
                        total=Money(amount_cents=100 * quantity))

    def reserve(self, order: str, product: str, quantity: int, compartment: str, point: str = "pp0") -> None:
        self.add(CATALOG_STOCK_RESERVATIONS, StockReserved, order_id=order,
                 lines=[{"product_id": product, "shop_id": "s", "quantity": quantity}])
        self.add(PICKUP_RESERVATIONS, CompartmentReserved, order_id=order, pickup_point_id=point, delivery_day=DAY,
                 compartment_ids=[compartment])

    def release(self, order: str, product: str, quantity: int, compartment: str, point: str = "pp0") -> None:
        self.add(CATALOG_STOCK_RESERVATIONS, StockReleased, order_id=order, reason="ORDER_REJECTED",
                 lines=[{"product_id": product, "shop_id": "s", "quantity": quantity}])
        self.add(PICKUP_RESERVATIONS, CompartmentReleased, order_id=order, pickup_point_id=point, delivery_day=DAY,
                 compartment_ids=[compartment], reason="ORDER_REJECTED")

    def confirm(self, order: str, compartment: str, point: str = "pp0") -> OrderConfirmed:
        return self.add(ORDERS_ORDERS, OrderConfirmed, order_id=order, pickup_point_id=point, delivery_day=DAY,
                        compartment_ids=[compartment])

    def reject(self, order: str, reason: str = "OUT_OF_STOCK") -> None:
        self.add(ORDERS_ORDERS, OrderRejected, order_id=order, reason=reason)


def checked(topics: Topics, accepted: list[str]):
    campaign = FaultCampaign(SimpleNamespace(), CampaignPlan(), platform=SimpleNamespace(), label=LABEL)
    campaign.products, campaign.points = ["p1"], ["pp0"]
    placements = [Placement(i, f"{LABEL}-r{i:05d}", {}, order_id=o) for i, o in enumerate(accepted)]
    campaign._check(Reader(topics.records), placements)
    return campaign.report


def listed(topics: Topics, stock: int) -> None:
    topics.add(CATALOG_PRODUCTS, ProductListed, product_id="p1", shop_id="s", name="Ware", unit="Stück",
               price={"amount_cents": 100, "currency": "EUR"}, vat_rate_bp=700, stock=stock, weight_g=100,
               volume_ml=100)


def test_a_clean_run_has_no_problems():
    t = Topics()
    listed(t, stock=3)
    t.placed(1, "p1", 2)
    t.placed(2, "p1", 2)
    t.reserve("o1", "p1", 2, "A001")
    confirmed = t.confirm("o1", "A001")
    t.again(confirmed)                       # republished with the same event id: still one decision
    t.reject("o2")                            # out of stock: 2 of 3 held
    report = checked(t, ["o1", "o2"])
    assert report.problems() == []
    assert report.outcomes == {"OrderConfirmed": 1, "OrderRejected": 1}


def test_every_broken_invariant_is_reported():
    t = Topics()
    listed(t, stock=3)
    for n in range(1, 6):
        t.placed(n, "p1", 2)
    t.reserve("o1", "p1", 2, "A001")
    t.confirm("o1", "A001")
    t.reserve("o2", "p1", 2, "A001")          # 4 of 3 units held; A001 held by o1 already
    t.confirm("o2", "A001")
    t.reject("o2", "TIMEOUT")                 # and decided a second time
    t.reserve("o3", "p1", 0, "A002")
    t.reject("o3")                            # rejected, never releases A002
    t.placed(6, "p1", 1)                      # placed, though the client never saw its 202
    report = checked(t, ["o1", "o2", "o3", "o4", "o5"])  # o4, o5 never decided
    problems = "\n".join(report.problems())
    assert report.lost == ["o4", "o5", "o6"]
    assert report.decided_twice == ["o2"]
    assert report.units_oversold == 1 and report.oversold_products == {"p1": 1}
    assert report.double_booked == [f"pp0 {DAY} A001: o1 and o2"]
    assert report.confirmed_sharing and "A001" in report.confirmed_sharing[0]
    assert report.held_by_rejected == {"o3 compartments": 1}  # o2 counts as confirmed (and twice decided)
    assert report.orphans == ["o6"]
    for words in ("lost", "decided twice", "oversold", "double-booked", "sharing", "still hold", "no 202"):
        assert words in problems, words


def test_a_release_before_the_next_reservation_is_no_double_booking():
    t = Topics()
    listed(t, stock=2)
    t.placed(1, "p1", 2)
    t.placed(2, "p1", 2)
    t.reserve("o1", "p1", 2, "A001")
    t.reject("o1", "TIMEOUT")
    t.release("o1", "p1", 2, "A001")
    t.reserve("o2", "p1", 2, "A001")          # the same units and compartment, after the release
    t.confirm("o2", "A001")
    report = checked(t, ["o1", "o2"])
    assert report.problems() == []
