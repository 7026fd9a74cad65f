"""Which parcels the expiry job expires, and when a parcel is due."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from services.pickup.domain.expiry import ExpiryStep, expires_at, expiry_step

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=timezone.utc)


def test_a_parcel_is_kept_the_points_hold_days_unless_seconds_are_set():
    assert expires_at(NOW, 3) == NOW + timedelta(days=3)
    assert expires_at(NOW, 3, override_seconds=2) == NOW + timedelta(seconds=2)


def test_a_deposited_parcel_past_its_deadline_expires_and_one_before_it_waits():
    assert expiry_step("deposited", NOW, NOW) is ExpiryStep.EXPIRE
    assert expiry_step("deposited", NOW - timedelta(seconds=1), NOW) is ExpiryStep.EXPIRE
    assert expiry_step("deposited", NOW + timedelta(seconds=1), NOW) is ExpiryStep.WAIT


def test_collected_or_vanished_parcels_leave_the_index():
    assert expiry_step("collected", NOW - timedelta(days=1), NOW) is ExpiryStep.DROP
    assert expiry_step(None, None, NOW) is ExpiryStep.DROP


def test_an_expired_parcel_is_not_expired_again():
    # Its ParcelExpired is the outbox's to publish (tests/integration/test_pickup.py).
    assert expiry_step("expired", NOW, NOW) is ExpiryStep.DROP
