"""Depositing a parcel: the reservation it needs, the compartments it goes into,
its deadline; and the parcel's record as a ParcelDeposited describes it."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from nahnetz.events import Actor, new_event
from nahnetz.kit.errors import Conflict, NotFound, Unprocessable
from nahnetz.records import ParcelDeposited
from services.pickup.domain.collection import DEPOSITED, ParcelState
from services.pickup.domain.deposit import (PartHold, Reservation, check_reserved, occupancy_for_deposit, parts_missing,
                                           parts_record, plan_deposit)
from services.pickup.domain.parcels import from_ms, parcel_record, state_of, to_ms
from services.pickup.domain.points import Compartment, PickupPoint

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=timezone.utc)


def locker(hold_days: int = 3) -> PickupPoint:
    return PickupPoint("pp-1", "Locker Brakel", "LOCKER", 51.7, 9.2, "Brakel",
                       (Compartment("A1", 45_000, label="1"), Compartment("A2", 45_000, label="2"),
                        Compartment("C1", 20_000, "CHILLED")), hold_days=hold_days)


def reserved(*compartments: str, status: str = "reserved") -> Reservation:
    return Reservation.from_record("o-1", {
        "pickup_point_id": "pp-1", "status": status, "delivery_day": "2026-05-04", "resident_id": "r-1",
        "correlation_id": "flow-1", "compartment_ids": json.dumps(list(compartments))})


def test_only_a_reserved_order_is_deposited():
    assert check_reserved(reserved("A1")) == "pp-1"
    with pytest.raises(NotFound, match="no compartment reservation"):
        check_reserved(Reservation.from_record("o-1", {}))
    with pytest.raises(Conflict, match="its reservation is rejected"):
        check_reserved(reserved(status="rejected"))
    with pytest.raises(Conflict, match="not decided yet"):
        check_reserved(Reservation.from_record("o-1", {"pickup_point_id": "pp-1"}))


def test_the_goods_go_into_the_reserved_compartments_until_the_hold_days_end():
    plan = plan_deposit(reserved("A1", "C1"), locker(hold_days=2), {"A1": "o-1", "C1": "o-1"}, None, NOW, None)
    assert plan.compartment_ids == ["A1", "C1"] and plan.doors == ["1", "C1"]
    assert plan.expires_at == NOW + timedelta(days=2)
    assert plan_deposit(reserved("A1"), locker(), {}, None, NOW, 5).expires_at == NOW + timedelta(seconds=5)


def test_the_depositor_may_choose_free_compartments_of_the_point():
    plan = plan_deposit(reserved("A1"), locker(), {"A1": "o-1"}, ["A2", "A2", "A1"], NOW, None)
    assert plan.compartment_ids == ["A2", "A1"]
    with pytest.raises(Unprocessable, match="Z9"):
        plan_deposit(reserved("A1"), locker(), {}, ["Z9"], NOW, None)
    with pytest.raises(Conflict, match="A2"):
        plan_deposit(reserved("A1"), locker(), {"A2": "o-other"}, ["A2"], NOW, None)
    with pytest.raises(NotFound, match="pp-1"):
        plan_deposit(reserved("A1"), None, {}, None, NOW, None)


def test_the_parcel_record_keeps_the_hashes_and_the_deadline_to_the_millisecond():
    deadline = NOW + timedelta(days=3, milliseconds=7)
    deposited = new_event(ParcelDeposited, producer="test", actor=Actor("driver-7", "DRIVER"), event_id="d-1",
                          order_id="o-1", pickup_point_id="pp-1", compartment_ids=["A1"], code_hash="h1",
                          qr_hash="h2", deposited_by="driver-7", expires_at=deadline)
    record = parcel_record(deposited, resident_id="r-1", delivery_day="2026-05-04")
    assert (record["status"], record["salt"], record["code_hash"], record["qr_hash"]) == (DEPOSITED, "d-1", "h1", "h2")
    assert from_ms(record["expires_at_ms"]) == deadline and to_ms(deadline) == int(record["expires_at_ms"])
    assert all(isinstance(v, str) for v in record.values())
    assert state_of(record) == ParcelState(DEPOSITED, 0, False, deadline)


# -- an order in parts ------------------------------------------------------------------------
def in_parts(**extra: str) -> Reservation:
    """Two shops' parts: the farm's in A1 on Monday, the bakery's moved to Tuesday in A2."""
    holds = {"shop-hof": PartHold("2026-05-04", ("A1",)), "shop-baecker": PartHold("2026-05-05", ("A2",))}
    return Reservation.from_record("o-1", {
        "pickup_point_id": "pp-1", "status": "reserved", "resident_id": "r-1",
        "shops": json.dumps(["shop-hof", "shop-baecker"]), **parts_record(holds), **extra})


def test_an_order_is_whole_only_when_every_shop_s_part_is_in():
    order = in_parts()
    assert order.delivery_day == "2026-05-05" and order.compartment_ids == ("A1", "A2")
    assert order.held_on() == {"2026-05-04": ("A1",), "2026-05-05": ("A2",)}
    assert parts_missing(order, ["shop-hof"]) == ("shop-baecker",)
    assert parts_missing(order, ["shop-baecker", "shop-hof"]) == ()
    # Parts never told (a reservation from before parts): whole with its first delivery.
    assert parts_missing(reserved("A1"), []) == ()


def test_a_part_delivered_on_an_earlier_day_does_not_block_the_deposit_of_the_whole_order():
    order = in_parts()
    # On Tuesday A1 is booked by another order (holds are per day), but the farm's goods wait in it for o-1.
    by_day = {"2026-05-04": {"A1": "o-1"}, "2026-05-05": {"A1": "o-7", "A2": "o-1"}}
    occupancy = occupancy_for_deposit(order, by_day)
    assert occupancy == {"A1": "o-1", "A2": "o-1"}
    plan = plan_deposit(order, locker(), occupancy, None, NOW, None)
    assert plan.compartment_ids == ["A1", "A2"]
