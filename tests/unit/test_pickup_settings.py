"""PICKUP_* settings: read from the environment, a real code secret in production."""

from __future__ import annotations

import pytest

from nahnetz.kit.settings import Settings, SettingsError
from services.pickup.settings import load_pickup_settings


def shared(env: str) -> Settings:
    return Settings(KAFKA_BOOTSTRAP="127.0.0.1:9092", REDIS_URL="redis://127.0.0.1:6379/0", NAHNETZ_ENV=env,
                    NAHNETZ_JWT_SECRET="x" * 40)


def test_expiry_and_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("PICKUP_EXPIRY_SECONDS", "5")
    monkeypatch.setenv("PICKUP_MAX_FAILED_ATTEMPTS", "7")
    pickup = load_pickup_settings(shared("dev"))
    assert (pickup.expiry_seconds, pickup.max_failed_attempts, pickup.expiry_days) == (5, 7, 3)


def test_a_wrong_value_names_its_variable(monkeypatch):
    monkeypatch.setenv("PICKUP_EXPIRY_DAYS", "0")
    with pytest.raises(SettingsError, match="PICKUP_EXPIRY_DAYS"):
        load_pickup_settings(shared("dev"))


def test_production_needs_its_own_code_secret(monkeypatch):
    monkeypatch.delenv("PICKUP_CODE_SECRET", raising=False)
    with pytest.raises(SettingsError, match="PICKUP_CODE_SECRET"):
        load_pickup_settings(shared("prod"))
    monkeypatch.setenv("PICKUP_CODE_SECRET", "s" * 40)
    assert load_pickup_settings(shared("prod")).code_key == b"s" * 40
