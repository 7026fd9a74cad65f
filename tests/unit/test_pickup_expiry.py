"""Which parcels the expiry job expires, and when a parcel is due."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from services.pickup.domain.expiry import ExpiryStep, expires_at, expiry_step

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=timezone.utc)


def test_a_parcel_is_kept_the_points_hold_days_unless_seconds_are_set():
    assert expires_at(NOW, 3) == NOW + timedelta(days=3)
    assert expires_at(NOW, 3, override_seconds=2) == NOW + timedelta(seconds=2)


def test_a_deposited_parcel_past_its_deadline_expires_and_one_before_it_waits():
    assert expiry_step("deposited", NOW, NOW, published=False) is ExpiryStep.EXPIRE
    assert expiry_step("deposited", NOW - timedelta(seconds=1), NOW, published=False) is ExpiryStep.EXPIRE
    assert expiry_step("deposited", NOW + timedelta(seconds=1), NOW, published=False) is ExpiryStep.WAIT


def test_collected_or_vanished_parcels_leave_the_index():
    assert expiry_step("collected", NOW - timedelta(days=1), NOW, published=False) is ExpiryStep.DROP
    assert expiry_step(None, None, NOW, published=False) is ExpiryStep.DROP


def test_an_expired_parcel_whose_event_may_be_lost_is_published_again_once():
    assert expiry_step("expired", NOW, NOW, published=False) is ExpiryStep.REPUBLISH
    assert expiry_step("expired", NOW, NOW, published=True) is ExpiryStep.DROP
